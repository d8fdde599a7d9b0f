// The watch list's fast path (plain_list.cpp): which texts it takes, and that on every text
// it takes the result is exactly yaml-cpp's (entries, lines, every problem and its position).
#include <boost/test/unit_test.hpp>

#include "fjwatch/watchlist/detail/list_reader.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <yaml-cpp/exceptions.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

using fjwatch::diagnostic;
using fjwatch::watch_load;

namespace {

const std::set<std::string, std::less<>> known{"journal", "team-hook"};

std::string hex(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "69f45196c8bbf1ce65b5b%03x", 0xcd0 + n);
  return buf;
}

// Counts what the fast path sends, without reading it.
struct counter final : YAML::EventHandler {
  void OnDocumentStart(const YAML::Mark&) override { ++events; }
  void OnDocumentEnd() override { ++events; }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { ++events; }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ++events; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    ++events;
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    ++events;
  }
  void OnSequenceEnd() override { ++events; }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    ++events;
  }
  void OnMapEnd() override { ++events; }
  int events = 0;
};

bool takes_fast_path(const std::string& text) {
  const auto shape = fjwatch::detail::find_plain_shape(text);
  if (!shape) return false;
  counter c;
  fjwatch::detail::stream_plain(text, *shape, c);
  return c.events == static_cast<int>(shape->entries.size()) + 7;  // doc, map, key, list: 7 events
}

// Everything a parse produced, one line each, positions included.
std::vector<std::string> facts(const watch_load& load) {
  std::vector<std::string> out{load.usable ? "usable" : "unusable"};
  for (const auto& e : load.list.entries) {
    std::string s =
        "L" + std::to_string(e.line) + " " + std::string(e.id.view()) + " label=" + e.label;
    if (e.actions) {
      s += " actions=";
      for (const auto& a : *e.actions) s += a + ",";
    }
    out.push_back(s);
  }
  for (const diagnostic& d : load.problems) {
    out.push_back((d.level == diagnostic::severity::warning ? "warning " : "error ") + d.str());
  }
  return out;
}

void check_same(const std::string& text) {
  const auto fast = facts(fjwatch::parse_watch_list(text, "w.yaml", known));
  const auto slow = facts(fjwatch::detail::parse_watch_list_yaml(text, "w.yaml", known));
  auto lines = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& l : v) out += "\n  " + l;
    return out;
  };
  BOOST_TEST(fast == slow, "differs on:\n"
                               << text << "\nfast path:" << lines(fast)
                               << "\nyaml-cpp:" << lines(slow));
}

// A random watch list from pieces that are plain, and pieces that are not (rarer when `plain`).
std::string random_list(std::mt19937& rng, bool plain) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string t;
  if (pick(4) == 0) t += "# header \xc3\xbc\n\n";
  const int shape = pick(plain ? 60 : 20);
  t += shape == 0     ? "sessions: []\n"
       : shape == 1   ? "other: 1\nsessions:\n"
       : pick(3) == 0 ? "sessions:  # ids\n"
                      : "sessions:\n";
  const std::string pad(static_cast<std::size_t>(pick(3) * 2), ' ');
  const std::string deeper = pad + "  ";
  const int n = pick(12);
  for (int i = 0; i < n; ++i) {
    const std::string id = hex(pick(8));
    switch (pick(plain ? 60 : 17)) {
      case 0:
        t += pad + "- " + id + "  # note\n";
        break;
      case 1:
        t += pad + "- 69F45196C8BBF1CE65B5BCD6\n";
        break;
      case 2:
        t += pad + "- " + id.substr(1) + "\n";
        break;
      case 3:
        t += pad + "- null\n";
        break;
      case 4:
        t += pad + "- { id: " + id + ", label: \"a # b\", actions: [journal] }\n";
        break;
      case 5:
        t += pad + "- { id: " + id + ", actions: [nope] }\n";
        break;
      case 6:
        t += pad + "- id: " + id + "\n" + deeper + "label: \"Pune \\\"NET\\\"\"\n";
        break;
      case 7:
        t += pad + "-\n" + deeper + id + "\n";
        break;
      case 8:
        t += pad + "- id: " + id + "\n" + deeper + (pick(2) ? "colour: red\n" : "no colon\n");
        break;
      case 9:
        t += deeper + "# indented comment \xe2\x82\xac\n\n";
        break;
      case 10:
        t += pad + "- " + id + "\n" + deeper + "0000\n";
        break;  // a scalar that goes on
      case 11:
        t += pick(4) == 0 ? pad + "- &a " + id + "\n" : pad + "- 'it''s'\n";
        break;
      case 12:
        t += pick(4) == 0 ? pad + "- \"" + id + "\n" + deeper + "x\"\n"
                          : pad + "-   " + id + "   \n";
        break;
      case 13:
        t += pick(6) == 0 ? pad.substr(0, pad.size() / 2) + " - " + id + "\n"
                          : pad + "- " + id + "\n";
        break;
      case 14:
        t += pad + "- " + id + "#not a comment\n";
        break;
      case 15:
        t += pad + "- " + id + "0\n";
        break;
      default:
        t += pad + "- " + id + "\n";
        break;
    }
  }
  if (pick(10) == 0 && !t.empty()) t.pop_back();  // no final line break
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plain_fast_path)

BOOST_AUTO_TEST_CASE(which_texts_take_it) {
  const std::string a = hex(1), b = hex(2);
  for (const std::string& text : {
           "sessions:\n  - " + a + "\n  - " + b + "\n",
           "# ids\nsessions:   # mine\n\n  - " + a + "   # first\n    # more\n  - " + b,
           "sessions:\n- " + a + "\n",  // items at the key's own indentation
           "sessions:\n  - " + a + "\n  # caf\xc3\xa9\n  - " + b + "   \n",
       }) {
    BOOST_TEST(takes_fast_path(text), text);
    check_same(text);
  }
  for (const std::string& text : {
           std::string("sessions: []\n"),
           "sessions:\n  - { id: " + a + ", label: \"x, y # z\" }\n  - " + b + "\n",
           "sessions:\n  - " + a + "\n  - id: " + b + "\n    label: Pune\n",
           "sessions:\n  - " + a + "#x\n",
           std::string("\xef\xbb\xbfsessions:\n  - ") + a + "\n",
           "sessions:\r\n  - " + a + "\r\n",
           "sessions:\n\t- " + a + "\n",
           "sessions:\n  - &x " + a + "\n  - *x\n",
           "sessions:\n  - { id: " + a + ",\n      label: x }\n",
           "sessions:\n  - id: " + a + "\n    label: \"two\n  - lines\"\n",
           "sessions:\n  - id: " + a + "\n    label: |\n      text\n",
           "other: 1\nsessions:\n  - " + a + "\n",
           "sessions:\n  - " + a + "\nmore: 1\n",
           std::string("sessions:\n"),
           "---\nsessions:\n  - " + a + "\n",
       }) {
    BOOST_TEST(!takes_fast_path(text), text);
    check_same(text);
  }
}

// Problems keep yaml-cpp's lines and columns.
BOOST_AUTO_TEST_CASE(problems_keep_their_positions) {
  const std::string a = hex(1), b = hex(2);
  const std::string text = "sessions:\n  - " + a + "\n  - " + a.substr(2) + "\n  - { id: " + a +
                           ", label: L }\n  -\n    " + b + "\n  - id: " + b +
                           "\n    colour: red\n  - null\n";
  BOOST_TEST(!takes_fast_path(text));
  check_same(text);
  const auto load = fjwatch::parse_watch_list(text, "w.yaml", known);
  BOOST_TEST(load.list.entries.size() == 2u);
  BOOST_TEST(load.problems.size() == 4u);
  // Duplicates in a plain list: the fast path reports them where yaml-cpp does.
  const std::string dups = "sessions:\n  - " + a + "\n\n  - " + b + "  # again\n  -   " + a + "\n";
  BOOST_TEST(takes_fast_path(dups));
  check_same(dups);
  BOOST_TEST(fjwatch::parse_watch_list(dups, "w.yaml", known).problems.size() == 1u);
}

// A syntax error is yaml-cpp's to report.
BOOST_AUTO_TEST_CASE(a_syntax_error_is_yaml_cpps) {
  const std::string text = "sessions:\n  - " + hex(1) + "\n  - { id: " + hex(2) + ", ]\n";
  const auto load = fjwatch::parse_watch_list(text, "w.yaml", known);
  BOOST_TEST(!load.usable);
  check_same(text);
}

BOOST_AUTO_TEST_CASE(agrees_with_yaml_cpp_on_random_lists) {
  std::mt19937 rng(20261129);
  int fast = 0;
  constexpr int rounds = 4000;
  for (int i = 0; i < rounds; ++i) {
    const auto text = random_list(rng, i % 2 == 0);
    fast += takes_fast_path(text);
    check_same(text);
  }
  BOOST_TEST_MESSAGE(fast << " of " << rounds << " random lists took the fast path");
  BOOST_TEST(fast > rounds / 8);  // the fast path is really exercised
  BOOST_TEST(fast < rounds);
}

BOOST_AUTO_TEST_SUITE_END()
