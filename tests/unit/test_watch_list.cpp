#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hpp"

#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/watchlist/watch_diff.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace fs = std::filesystem;
using fjwatch::diagnostic;
using fjwatch::session_id;
using fjwatch::watch_entry;
using fjwatch::watch_list;
using fjwatch::watch_load;

namespace {

const std::set<std::string, std::less<>> known_actions{"journal", "team-hook"};

// The two ids of the README's watch list and more like them: id(6) is 69f45196c8bbf1ce65b5bcd6.
std::string id(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "69f45196c8bbf1ce65b5b%03x", 0xcd0 + n);
  return buf;
}

watch_load parse(const std::string& text) {
  return fjwatch::parse_watch_list(text, "watchlist.yaml", known_actions);
}

// "error: file:line:col: message" or "warning: ...".
std::vector<std::string> problems_of(const watch_load& load) {
  std::vector<std::string> out;
  for (const diagnostic& d : load.problems) {
    out.push_back((d.level == diagnostic::severity::warning ? "warning: " : "error: ") + d.str());
  }
  return out;
}

// "L<line> <id>", then " label=<label>" if any, then " actions=[a,b]" if set.
std::string render(const watch_entry& e) {
  std::string out = "L";
  out.append(std::to_string(e.line)).append(" ").append(e.id.view());
  if (!e.label.empty()) out.append(" label=").append(e.label);
  if (e.actions) {
    out += " actions=[";
    for (std::size_t i = 0; i < e.actions->size(); ++i)
      out.append(i ? "," : "").append((*e.actions)[i]);
    out += "]";
  }
  return out;
}

std::vector<std::string> entries_of(const watch_load& load) {
  std::vector<std::string> out;
  for (const watch_entry& e : load.list.entries) out.push_back(render(e));
  return out;
}

watch_entry entry(int n, std::string label = {},
                  std::optional<std::vector<std::string>> actions = {}, int line = 1) {
  return {*session_id::parse(id(n)), std::move(label), std::move(actions), line};
}

using fjwatch::testing::temp_dir;

struct parse_case {
  std::string name;
  std::string text;
  bool usable;
  std::vector<std::string> entries;
  std::vector<std::string> problems;
};

void check_rows(const std::vector<parse_case>& rows) {
  for (const parse_case& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      const watch_load load = parse(row.text);
      BOOST_TEST(load.usable == row.usable);
      BOOST_TEST(entries_of(load) == row.entries, boost::test_tools::per_element());
      BOOST_TEST(problems_of(load) == row.problems, boost::test_tools::per_element());
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(good_lists) {
  const std::string a = id(6), b = id(7), c = id(8);
  check_rows({
      {"empty document", "", true, {}, {}},
      {"comments only", "# nothing yet\n\n", true, {}, {}},
      {"sessions with no value", "sessions:\n", true, {}, {}},
      {"explicit null", "sessions: ~\n", true, {}, {}},
      {"empty flow list", "sessions: []\n", true, {}, {}},
      {"plain ids", "sessions:\n  - " + a + "\n  - " + b + "\n", true, {"L2 " + a, "L3 " + b}, {}},
      {"upper case folded", "sessions:\n  - 69F45196C8BBF1CE65B5BCD6\n", true, {"L2 " + a}, {}},
      {"quoted ids",
       "sessions:\n  - \"" + a + "\"\n  - '" + b + "'\n",
       true,
       {"L2 " + a, "L3 " + b},
       {}},
      {"tagged id", "sessions:\n  - !!str " + a + "\n", true, {"L2 " + a}, {}},
      {"map entry",
       "sessions:\n  - id: " + b + "\n    label: Pune .NET\n    actions: [journal]\n",
       true,
       {"L2 " + b + " label=Pune .NET actions=[journal]"},
       {}},
      {"flow map entry",
       "sessions: [{id: " + a + ", actions: [team-hook, journal]}]\n",
       true,
       {"L1 " + a + " actions=[team-hook,journal]"},
       {}},
      {"empty actions differ from none",
       "sessions:\n  - {id: " + a + ", actions: []}\n  - {id: " + b + ", actions: ~, label: ~}\n",
       true,
       {"L2 " + a + " actions=[]", "L3 " + b},
       {}},
      {"bare sequence", "- " + a + "\n- id: " + b + "\n", true, {"L1 " + a, "L2 " + b}, {}},
      {"explicit document markers", "---\nsessions:\n  - " + a + "\n...\n", true, {"L3 " + a}, {}},
      {"CRLF and BOM",
       "\xef\xbb\xbfsessions:\r\n  - " + a + "\r\n  - id: " + b + "\r\n    label: x\r\n",
       true,
       {"L2 " + a, "L3 " + b + " label=x"},
       {}},
      {"anchor without alias",
       "sessions:\n  - &first " + a + "\n  - " + c + "\n",
       true,
       {"L2 " + a, "L3 " + c},
       {}},
  });
}

BOOST_AUTO_TEST_CASE(bad_entries_are_skipped) {
  const std::string a = id(6), b = id(7), c = id(8);
  check_rows({
      {"not an id",
       "sessions:\n  - " + a + "\n  - 69f4\n  - " + b + "\n",
       true,
       {"L2 " + a, "L4 " + b},
       {"error: watchlist.yaml:3:5: sessions[1]: \"69f4\" is not a session id (expected 24 hex "
        "characters)"}},
      {"unknown action",
       "sessions:\n  - " + a + "\n  - " + c + "\n  - actions:\n    - nope\n    id: " + b + "\n",
       true,
       {"L2 " + a, "L3 " + c},
       {"error: watchlist.yaml:5:7: sessions[2].actions[0]: unknown action \"nope\""}},
      {"unknown key",
       "sessions:\n    - " + a + "\n    - " + c + "\n    - id: " + b + "\n      colour: red\n",
       true,
       {"L2 " + a, "L3 " + c},
       {"error: watchlist.yaml:5:7: sessions[2].colour: unknown key"}},
      {"25 hex characters",
       "sessions: [" + a + "0]\n",
       true,
       {},
       {"error: watchlist.yaml:1:12: sessions[0]: \"" + a +
        "0\" is not a session id (expected 24 hex characters)"}},
      {"not hex",
       "sessions:\n  - 69f45196c8bbf1ce65b5bcdg\n",
       true,
       {},
       {"error: watchlist.yaml:2:5: sessions[0]: \"69f45196c8bbf1ce65b5bcdg\" is not a session id "
        "(expected 24 hex characters)"}},
      {"a label that is not UTF-8",
       "sessions:\n  - " + a + "\n  - id: " + b + "\n    label: Pune \xff\xfe NET\n  - " + c + "\n",
       true,
       {"L2 " + a, "L5 " + c},
       {"error: watchlist.yaml:4:12: sessions[1].label: not valid UTF-8 (byte 6 of \"Pune "
        "\\xff\\xfe NET\")"}},
      {"a label that is UTF-8",
       "sessions:\n  - id: " + b + "\n    label: \"caf\xc3\xa9 \xf0\x9f\x9a\x80\"\n",
       true,
       {"L2 " + b + " label=caf\xc3\xa9 \xf0\x9f\x9a\x80"},
       {}},
      {"control characters quoted",
       "sessions:\n  - \"a\\tb\\\"\"\n",
       true,
       {},
       {"error: watchlist.yaml:2:5: sessions[0]: \"a\\tb\\\"\" is not a session id (expected 24 "
        "hex characters)"}},
      {"bad id in a map",
       "sessions:\n  - id: zz\n    label: x\n",
       true,
       {},
       {"error: watchlist.yaml:2:9: sessions[0].id: \"zz\" is not a session id (expected 24 hex "
        "characters)"}},
      {"id with no value",
       "sessions:\n  - id:\n    label: x\n",
       true,
       {},
       {"error: watchlist.yaml:2:5: sessions[0].id: expected a session id, found nothing"}},
      {"id is a list",
       "sessions:\n  - id: [" + a + "]\n",
       true,
       {},
       {"error: watchlist.yaml:2:9: sessions[0].id: expected a session id, found a list"}},
      {"missing id",
       "sessions:\n  - label: x\n  - " + a + "\n",
       true,
       {"L3 " + a},
       {"error: watchlist.yaml:2:5: sessions[0]: missing id"}},
      {"empty entry",
       "sessions:\n  -\n  - " + a + "\n",
       true,
       {"L3 " + a},
       {"error: watchlist.yaml:2:3: sessions[0]: empty entry"}},
      {"empty entry at the end",
       "sessions:\n  - " + a + "\n  -   \n\n",
       true,
       {"L2 " + a},
       {"error: watchlist.yaml:3:3: sessions[1]: empty entry"}},
      {"explicit null entry",
       "sessions:\n  - ~\n",
       true,
       {},
       {"error: watchlist.yaml:2:3: sessions[0]: empty entry"}},
      {"entry is a list",
       "sessions:\n  - [" + a + "]\n",
       true,
       {},
       {"error: watchlist.yaml:2:5: sessions[0]: expected a session id or a map, found a list"}},
      {"label is a map",
       "sessions:\n  - id: " + a + "\n    label: {x: y}\n",
       true,
       {},
       {"error: watchlist.yaml:3:12: sessions[0].label: expected a string, found a map"}},
      {"actions is a string",
       "sessions:\n  - id: " + a + "\n    actions: journal\n",
       true,
       {},
       {"error: watchlist.yaml:3:14: sessions[0].actions: expected a list of action names, found a "
        "string"}},
      {"action is a list",
       "sessions:\n  - id: " + a + "\n    actions: [journal, [team-hook]]\n",
       true,
       {},
       {"error: watchlist.yaml:3:24: sessions[0].actions[1]: expected an action name, found a "
        "list"}},
      {"action listed twice",
       "sessions:\n  - id: " + a + "\n    actions: [journal, journal]\n",
       true,
       {"L2 " + a + " actions=[journal]"},
       {"warning: watchlist.yaml:3:24: sessions[0].actions[1]: \"journal\" listed twice, ignored"}},
      {"duplicate key",
       "sessions:\n  - id: " + a + "\n    id: " + b + "\n",
       true,
       {},
       {"error: watchlist.yaml:3:5: sessions[0].id: duplicate key"}},
      {"key that is not a string",
       "sessions:\n  - {[x]: y, id: " + a + "}\n",
       true,
       {},
       {"error: watchlist.yaml:2:6: sessions[0]: keys must be strings, found a list"}},
      {"odd key quoted",
       "sessions:\n  - {id: " + a + ", \"a b\": 1}\n",
       true,
       {},
       {"error: watchlist.yaml:2:36: sessions[0].\"a b\": unknown key"}},
      {"alias entry",
       "sessions:\n  - &x " + a + "\n  - *x\n",
       true,
       {"L2 " + a},
       {"error: watchlist.yaml:3:5: sessions[1]: aliases are not supported"}},
      {"every problem of an entry",
       "sessions:\n  - id: 42\n    colour: red\n    actions: [nope]\n",
       true,
       {},
       {"error: watchlist.yaml:2:9: sessions[0].id: \"42\" is not a session id (expected 24 hex "
        "characters)",
        "error: watchlist.yaml:3:5: sessions[0].colour: unknown key",
        "error: watchlist.yaml:4:15: sessions[0].actions[0]: unknown action \"nope\""}},
      {"bare sequence entry",
       "- " + a + "\n- nope\n",
       true,
       {"L1 " + a},
       {"error: watchlist.yaml:2:3: sessions[1]: \"nope\" is not a session id (expected 24 hex "
        "characters)"}},
  });
}

BOOST_AUTO_TEST_CASE(top_level) {
  const std::string a = id(6);
  check_rows({
      {"unknown top-level key",
       "colour: red\nsessions:\n  - " + a + "\n",
       true,
       {"L3 " + a},
       {"warning: watchlist.yaml:1:1: colour: unknown key, ignored"}},
      {"unknown key with a big value",
       "extra:\n  deep: [[1], {a: b}]\nsessions: [" + a + "]\n",
       true,
       {"L3 " + a},
       {"warning: watchlist.yaml:1:1: extra: unknown key, ignored"}},
      {"second document",
       "sessions: [" + a + "]\n---\nsessions: [" + id(7) + "]\n",
       true,
       {"L1 " + a},
       {"warning: watchlist.yaml:2:1: a second YAML document is ignored"}},
      {"scalar document",
       "hello\n",
       false,
       {},
       {"error: watchlist.yaml:1:1: expected a map with a \"sessions\" list, found a string"}},
      {"sessions is a map",
       "sessions:\n  id: " + a + "\n",
       false,
       {},
       {"error: watchlist.yaml:2:3: sessions: expected a list of entries, found a map"}},
      {"sessions is a string",
       "sessions: " + a + "\n",
       false,
       {},
       {"error: watchlist.yaml:1:11: sessions: expected a list of entries, found a string"}},
      {"sessions twice",
       "sessions: [" + a + "]\nsessions: []\n",
       false,
       {},
       {"error: watchlist.yaml:2:1: sessions: duplicate key"}},
      {"unclosed flow list",
       "sessions: [" + a + "\n",
       false,
       {},
       {"error: watchlist.yaml:2:1: YAML syntax error: end of sequence flow not found"}},
      {"bad indentation",
       "sessions:\n  - " + a + "\n - x\n",
       false,
       {},
       {"error: watchlist.yaml:3:2: YAML syntax error: end of map not found"}},
      {"only the syntax error is reported",
       "colour: red\nsessions:\n  - x\n  - [\n",
       false,
       {},
       {"error: watchlist.yaml:5:1: YAML syntax error: end of sequence flow not found"}},
      {"leading comma",
       ",sessions:\n  - " + a + "\n",
       false,
       {},
       {"error: watchlist.yaml:1:1: YAML syntax error: unexpected character"}},
  });
}

BOOST_AUTO_TEST_CASE(duplicates_merge_into_the_first) {
  const std::string text =
      "sessions:\n"
      "  # first\n"
      "  - 69f45196c8bbf1ce65b5bcd6\n"
      "  - id: 69f45196c8bbf1ce65b5bcd7\n"
      "    label: kept\n"
      "  - 69f45196c8bbf1ce65b5bcd8\n"
      "  - 69f45196c8bbf1ce65b5bcd9\n"
      "  # again, in capitals\n"
      "  - id: 69F45196C8BBF1CE65B5BCD6\n"
      "    label: filled in\n"
      "    actions: [journal]\n"
      "  - {id: 69f45196c8bbf1ce65b5bcd7, label: ignored, actions: [team-hook]}\n"
      "  - 69f45196c8bbf1ce65b5bcd6\n";
  const watch_load load = parse(text);
  BOOST_TEST(load.usable);
  const std::vector<std::string> entries{"L3 " + id(6) + " label=filled in actions=[journal]",
                                         "L4 " + id(7) + " label=kept actions=[team-hook]",
                                         "L6 " + id(8), "L7 " + id(9)};
  BOOST_TEST(entries_of(load) == entries, boost::test_tools::per_element());
  const std::vector<std::string> problems{
      "warning: watchlist.yaml:9:5: sessions[4]: duplicate of line 3, merged",
      "warning: watchlist.yaml:12:5: sessions[5]: duplicate of line 4, merged",
      "warning: watchlist.yaml:13:5: sessions[6]: duplicate of line 3, merged"};
  BOOST_TEST(problems_of(load) == problems, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(same_settings_ignores_the_line) {
  BOOST_TEST(entry(1, "a", std::vector<std::string>{"journal"}, 3)
                 .same_settings(entry(1, "a", std::vector<std::string>{"journal"}, 9)));
  BOOST_TEST(!entry(1, "a").same_settings(entry(2, "a")));
  BOOST_TEST(!entry(1, "a").same_settings(entry(1, "b")));
  BOOST_TEST(!entry(1).same_settings(entry(1, {}, std::vector<std::string>{})));
}

BOOST_AUTO_TEST_CASE(diff_cases) {
  struct row {
    std::string name;
    std::vector<watch_entry> prev, next;
    std::string expected;  // "added ...; removed ...; changed ..." by id number
  };
  const auto render_diff = [](const fjwatch::watch_diff& d) {
    const auto n = [](const session_id& s) {
      return std::to_string(std::stoi(s.str().substr(21), nullptr, 16) - 0xcd0);
    };
    std::string out = "added";
    for (const auto* e : d.added) out.append(" ").append(n(e->id));
    out += "; removed";
    for (const auto& s : d.removed) out.append(" ").append(n(s));
    out += "; changed";
    for (const auto* e : d.changed)
      out.append(" ").append(n(e->id)).append("(").append(e->label).append(")");
    return out;
  };
  const std::vector<std::string> journal{"journal"};
  const std::vector<row> rows{
      {"both empty", {}, {}, "added; removed; changed"},
      {"same list",
       {entry(1), entry(2, "x")},
       {entry(1), entry(2, "x")},
       "added; removed; changed"},
      {"only the line moved",
       {entry(1, "x", {}, 2)},
       {entry(1, "x", {}, 7)},
       "added; removed; changed"},
      {"reordered", {entry(1), entry(2)}, {entry(2), entry(1)}, "added; removed; changed"},
      {"added in next order",
       {entry(1)},
       {entry(5), entry(1), entry(3)},
       "added 5 3; removed; changed"},
      {"removed in prev order",
       {entry(4), entry(1), entry(2)},
       {entry(1)},
       "added; removed 4 2; changed"},
      {"label changed", {entry(1, "a")}, {entry(1, "b")}, "added; removed; changed 1(b)"},
      {"actions changed",
       {entry(1, "a")},
       {entry(1, "a", journal)},
       "added; removed; changed 1(a)"},
      {"default versus none",
       {entry(1, "a", std::vector<std::string>{})},
       {entry(1, "a")},
       "added; removed; changed 1(a)"},
      {"everything at once",
       {entry(1), entry(2), entry(3, "old")},
       {entry(3, "new"), entry(4), entry(1)},
       "added 4; removed 2; changed 3(new)"},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const watch_list prev{r.prev}, next{r.next};
      const auto d = fjwatch::diff(prev, next);
      BOOST_TEST(render_diff(d) == r.expected);
      BOOST_TEST(d.empty() == (r.expected == "added; removed; changed"));
    }
  }
}

// The prefix and suffix shortcut gives what hashing every entry gives, on random edits.
BOOST_AUTO_TEST_CASE(diff_agrees_with_a_plain_reference_on_random_edits) {
  const auto reference = [](const watch_list& prev, const watch_list& next) {
    fjwatch::watch_diff d;
    for (const auto& e : next.entries) {
      const auto it = std::find_if(prev.entries.begin(), prev.entries.end(),
                                   [&](const auto& p) { return p.id == e.id; });
      if (it == prev.entries.end())
        d.added.push_back(&e);
      else if (!it->same_settings(e))
        d.changed.push_back(&e);
    }
    for (const auto& p : prev.entries) {
      if (std::none_of(next.entries.begin(), next.entries.end(),
                       [&](const auto& e) { return e.id == p.id; })) {
        d.removed.push_back(p.id);
      }
    }
    return d;
  };
  const auto ids = [](const std::vector<const watch_entry*>& v) {
    std::vector<std::string> out;
    for (const auto* e : v) out.push_back(e->id.str() + "/" + e->label);
    return out;
  };
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    watch_list prev;
    std::vector<int> pool(40);
    std::iota(pool.begin(), pool.end(), 0);
    std::shuffle(pool.begin(), pool.end(), rng);
    const auto n = rng() % 12;
    for (unsigned i = 0; i < n; ++i) prev.entries.push_back(entry(pool[i], rng() % 3 ? "" : "x"));
    watch_list next = prev;
    for (int edits = static_cast<int>(rng() % 4); edits > 0; --edits) {
      const auto where = next.entries.empty() ? 0 : rng() % (next.entries.size() + 1);
      switch (rng() % 4) {
        case 0:
          next.entries.insert(next.entries.begin() + static_cast<long>(where),
                              entry(pool[20 + rng() % 20]));
          break;
        case 1:
          if (where < next.entries.size())
            next.entries.erase(next.entries.begin() + static_cast<long>(where));
          break;
        case 2:
          if (where < next.entries.size()) next.entries[where].label += "y";
          break;
        default:
          if (next.entries.size() > 1) std::swap(next.entries.front(), next.entries.back());
          break;
      }
    }
    // ids stay unique, as a parsed list's are
    std::set<std::string> seen;
    std::erase_if(next.entries, [&](const auto& e) { return !seen.insert(e.id.str()).second; });
    const auto d = fjwatch::diff(prev, next);
    const auto r = reference(prev, next);
    BOOST_TEST(ids(d.added) == ids(r.added));
    BOOST_TEST(ids(d.changed) == ids(r.changed));
    std::vector<std::string> removed, expected;
    for (const auto& s : d.removed) removed.push_back(s.str());
    for (const auto& s : r.removed) expected.push_back(s.str());
    BOOST_TEST(removed == expected);
  }
}

BOOST_AUTO_TEST_CASE(load_missing_file) {
  const temp_dir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());  // the file is named as given: a relative name stays relative
  const watch_load load = fjwatch::load_watch_list("watchlist.yaml", known_actions);
  fs::current_path(previous);
  BOOST_TEST(load.usable);
  BOOST_TEST(load.list.entries.empty());
  const std::vector<std::string> problems{
      "warning: watchlist.yaml: file not found, watching nothing until it appears"};
  BOOST_TEST(problems_of(load) == problems, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(load_file) {
  const temp_dir dir;
  const fs::path path = dir.write("watchlist.yaml", "sessions:\n  - " + id(6) + "\n  - bad\n");
  const watch_load load = fjwatch::load_watch_list(path, known_actions);
  BOOST_TEST(load.usable);
  BOOST_TEST(entries_of(load) == std::vector<std::string>{"L2 " + id(6)},
             boost::test_tools::per_element());
  const std::vector<std::string> problems{
      "error: " + path.string() +
      ":3:5: sessions[1]: \"bad\" is not a session id (expected 24 hex characters)"};
  BOOST_TEST(problems_of(load) == problems, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(load_unreadable_or_too_large) {
  const temp_dir dir;
  const watch_load directory = fjwatch::load_watch_list(dir.path(), known_actions);
  BOOST_TEST(!directory.usable);
  BOOST_TEST(problems_of(directory) == std::vector<std::string>{"error: " + dir.path().string() +
                                                                ": cannot read: Is a directory"},
             boost::test_tools::per_element());

  const fs::path big = dir.write("big.yaml", "");
  fs::resize_file(big, (64u << 20) + 1);  // sparse: costs no disk
  const watch_load large = fjwatch::load_watch_list(big, known_actions);
  BOOST_TEST(!large.usable);
  BOOST_TEST(problems_of(large) == std::vector<std::string>{"error: " + big.string() +
                                                            ": cannot read: larger than 64 MiB"},
             boost::test_tools::per_element());

  const std::string text((64u << 20) + 1, ' ');
  const watch_load parsed = parse(text);
  BOOST_TEST(!parsed.usable);
  BOOST_TEST(
      problems_of(parsed) == std::vector<std::string>{"error: watchlist.yaml: larger than 64 MiB"},
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected) {
  const std::string a = id(6);
  check_rows({
      {"flow brackets",
       "sessions: " + std::string(100000, '['),
       false,
       {},
       {"error: watchlist.yaml:1:75: nested deeper than 64 levels"}},
      {"flow braces inside a list",
       "sessions:\n  - " + std::string(70, '{'),
       false,
       {},
       {"error: watchlist.yaml:2:69: nested deeper than 64 levels"}},
      {"64 flow levels are parsed",
       std::string(64, '[') + std::string(64, ']'),
       true,
       {},
       {"error: watchlist.yaml:1:2: sessions[0]: expected a session id or a map, found a list"}},
      {"65 flow levels",
       std::string(65, '[') + std::string(65, ']'),
       false,
       {},
       {"error: watchlist.yaml:1:65: nested deeper than 64 levels"}},
      {"flow depth is checked before parsing",
       "sessions: x\n" + std::string(70, '['),
       false,
       {},
       {"error: watchlist.yaml:2:65: nested deeper than 64 levels"}},
      {"flow depth after a key",
       "sessions: x\nother: " + std::string(70, '{'),
       false,
       {},
       {"error: watchlist.yaml:2:72: nested deeper than 64 levels"}},
      {"block lists on one line",
       [] {
         std::string t;
         for (int i = 0; i < 100000; ++i) t += "- ";
         return t + "x\n";
       }(),
       false,
       {},
       {"error: watchlist.yaml:1:129: nested deeper than 64 levels"}},
      {"indented maps",
       [] {
         std::string t;
         for (int i = 0; i < 2000; ++i) t += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
         return t;
       }(),
       false,
       {},
       {"error: watchlist.yaml:65:65: nested deeper than 64 levels"}},
      {"brackets in quotes and comments do not count",
       "sessions:  # " + std::string(100, '[') + "\n  - id: " + a + "\n    label: '" +
           std::string(100, '{') + "'\n  - \"" + std::string(100, '[') + "\"\n",
       true,
       {"L2 " + a + " label=" + std::string(100, '{')},
       {"error: watchlist.yaml:4:5: sessions[1]: \"" + std::string(60, '[') +
        "...\" is not a session id (expected 24 hex characters)"}},
      {"brackets inside a plain label do not count",
       "sessions:\n  - id: " + a + "\n    label: x " + std::string(100, '[') + "\n",
       true,
       {"L2 " + a + " label=x " + std::string(100, '[')},
       {}},
  });
}

BOOST_AUTO_TEST_CASE(garbage_gives_a_diagnostic) {
  check_rows({
      {"NUL byte",
       std::string("sessions:\n  - 69f4\0", 19) + "1234\n",
       false,
       {},
       {"error: watchlist.yaml:2:9: NUL byte: expected UTF-8 text"}},
      {"UTF-16 text",
       std::string("\xff\xfes\0e\0s\0", 8),
       false,
       {},
       {"error: watchlist.yaml:1:4: NUL byte: expected UTF-8 text"}},
      {"invalid UTF-8",
       "\xc3\x28\xff\xfe\x80",
       false,
       {},
       {"error: watchlist.yaml:1:1: expected a map with a \"sessions\" list, found a string"}},
  });
  // Random bytes and random edits of a valid list: never a crash, and the result is consistent.
  std::mt19937 rng(20240611);
  const std::string alphabet = "[]{}:-#'\"\n &*!|>?,%@`\t\\ab01\xc3\xa9";
  const std::string base =
      "sessions:\n  - " + id(6) + "\n  - id: " + id(7) + "\n    label: x\n    actions: [journal]\n";
  int unusable = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    if (round % 3 == 0) {
      text.assign(std::uniform_int_distribution<std::size_t>(0, 200)(rng), ' ');
      for (char& c : text) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    } else {
      for (int edit = 0, edits = std::uniform_int_distribution<int>(1, 8)(rng); edit < edits;
           ++edit) {
        const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size())(rng);
        const char c =
            alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
        if (edit % 2 == 0 && at < text.size()) text.erase(at, 1);
        text.insert(at, 1, c);
      }
    }
    const watch_load load = parse(text);
    BOOST_TEST_CONTEXT("round " << round) {
      std::unordered_set<session_id> ids;
      for (const watch_entry& e : load.list.entries) BOOST_TEST(ids.insert(e.id).second);
      if (!load.usable) {
        ++unusable;
        BOOST_TEST(load.list.entries.empty());
        BOOST_TEST(load.problems.size() == 1u);
        BOOST_TEST(
            (!load.problems.empty() && load.problems.back().level == diagnostic::severity::error));
      }
    }
  }
  BOOST_TEST(unusable > 0);
}

BOOST_AUTO_TEST_CASE(problems_are_capped) {
  std::string text = "sessions:\n";
  for (int i = 0; i < 5000; ++i) text += "  - x\n";
  const watch_load load = parse(text);
  BOOST_TEST(load.usable);
  BOOST_REQUIRE(load.problems.size() == 101u);
  BOOST_TEST(load.problems.back().str() ==
             "watchlist.yaml: too many problems, the rest are not reported");
}

BOOST_AUTO_TEST_CASE(large_entry_is_rejected) {
  std::string text = "sessions:\n  - id: " + id(6) + "\n    actions: [";
  for (int i = 0; i < 5000; ++i) text += "journal, ";
  text += "journal]\n  - " + id(7) + "\n";
  const watch_load load = parse(text);
  BOOST_TEST(load.usable);
  BOOST_TEST(entries_of(load) == std::vector<std::string>{"L4 " + id(7)},
             boost::test_tools::per_element());
  BOOST_TEST(problems_of(load) ==
                 std::vector<std::string>{
                     "error: watchlist.yaml:2:5: sessions[0]: entry too large (more than 4096 "
                     "YAML nodes)"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(hundred_thousand_entries) {
  constexpr int count = 100000;
  std::string text = "sessions:\n";
  text.reserve(30 * count);
  char line[40];
  for (int i = 0; i < count; ++i) {
    std::snprintf(line, sizeof line, "  - %024x\n", i);
    text += line;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const watch_load load = parse(text);
  const std::clock_t cpu_parsed = std::clock();
  const auto parsed = std::chrono::steady_clock::now();
  BOOST_TEST(load.usable);
  BOOST_TEST(load.problems.empty());
  BOOST_REQUIRE(load.list.entries.size() == static_cast<std::size_t>(count));
  BOOST_TEST(load.list.entries.back().line == count + 1);

  watch_list next = load.list;
  next.entries.erase(next.entries.begin());
  next.entries[10].label = "changed";
  next.entries.push_back(entry(6));
  const auto diff_start = std::chrono::steady_clock::now();
  const auto d = fjwatch::diff(load.list, next);
  const auto diffed = std::chrono::steady_clock::now();
  BOOST_TEST(d.added.size() == 1u);
  BOOST_TEST(d.removed.size() == 1u);
  BOOST_TEST(d.changed.size() == 1u);
  using ms = std::chrono::duration<double, std::milli>;
  const double cpu_ms = 1000.0 * static_cast<double>(cpu_parsed - cpu_start) / CLOCKS_PER_SEC;
  BOOST_TEST_MESSAGE("parse of " << count << " entries: " << ms(parsed - start).count() << " ms ("
                                 << cpu_ms << " ms CPU); diff: " << ms(diffed - diff_start).count()
                                 << " ms");
}

BOOST_AUTO_TEST_CASE(example_file_parses_cleanly) {
  const watch_load load = fjwatch::load_watch_list(
      FJWATCH_TEST_DATA "/../../config/watchlist.example.yaml", known_actions);
  BOOST_TEST(load.usable);
  BOOST_TEST(problems_of(load).empty());
  const std::vector<std::string> entries{
      "L21 69f45196c8bbf1ce65b5bcd6",
      "L24 69f45196c8bbf1ce65b5bcd7 label=Pune .NET actions=[journal]",
      "L29 69f4519dc8bbf1ce65b5bcdb label=Backend, Berlin actions=[]"};
  BOOST_TEST(entries_of(load) == entries, boost::test_tools::per_element());
}
