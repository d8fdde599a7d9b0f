#include <boost/test/unit_test.hpp>

#include "fjwatch/watchlist/watch_edit.hpp"
#include "fjwatch/watchlist/watch_list.hpp"

#include <random>
#include <string>
#include <vector>

using fjwatch::session_id;

namespace {

const fjwatch::watch_edit_context context{"watchlist.yaml", {"journal", "team-hook"}};

// Valid ids, distinct per n: A = id(1), B = id(2)...
std::string id(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "69f45196c8bbf1ce65b5b%03x", 0xa00 + n);
  return buf;
}
const std::string A = id(1), B = id(2), C = id(3), D = id(4);

session_id sid(const std::string& text) { return *session_id::parse(text); }

std::vector<session_id> sids(const std::vector<std::string>& texts) {
  std::vector<session_id> out;
  for (const auto& t : texts) out.push_back(sid(t));
  return out;
}

std::vector<std::string> strs(const std::vector<session_id>& ids) {
  std::vector<std::string> out;
  for (const auto& i : ids) out.push_back(i.str());
  return out;
}

fjwatch::watch_additions plain(std::vector<std::string> ids) { return {sids(ids), "", {}}; }

fjwatch::result<fjwatch::watch_edit> add(const std::string& text,
                                         const fjwatch::watch_additions& r) {
  return fjwatch::add_entries(text, r, context);
}
fjwatch::result<fjwatch::watch_edit> remove(const std::string& text, std::vector<std::string> ids) {
  const auto list = sids(ids);
  return fjwatch::remove_entries(text, list, context);
}

// Entries as the daemon's loader reads them: "id label=... actions=[...]".
std::vector<std::string> entries(const std::string& text) {
  const auto load = fjwatch::parse_watch_list(text, "watchlist.yaml", context.known_actions);
  std::vector<std::string> out;
  for (const auto& e : load.list.entries) {
    std::string row(e.id.view());
    if (!e.label.empty()) row += " label=" + e.label;
    if (e.actions) {
      row += " actions=[";
      for (std::size_t i = 0; i < e.actions->size(); ++i) row += (i ? "," : "") + (*e.actions)[i];
      row += "]";
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(adding)

BOOST_AUTO_TEST_CASE(appends_in_the_style_of_the_file) {
  struct row {
    std::string name;
    std::string before;
    std::string after;
  };
  const std::vector<row> rows{
      {"empty file", "", "sessions:\n  - " + A + "\n"},
      {"comments only", "# my list\n\n# more\n", "# my list\n\n# more\nsessions:\n  - " + A + "\n"},
      {"comment without final newline", "# my list", "# my list\nsessions:\n  - " + A + "\n"},
      {"other keys only", "version: 1\n", "version: 1\nsessions:\n  - " + A + "\n"},
      {"sessions with no value", "sessions:\n", "sessions:\n  - " + A + "\n"},
      {"sessions: [] rewrites that line only", "# top\nsessions: []\n# end\n",
       "# top\nsessions:\n  - " + A + "\n# end\n"},
      {"sessions: [ ] keeps its comment", "sessions: [ ]   # none yet\n",
       "sessions: # none yet\n  - " + A + "\n"},
      {"sessions: ~", "sessions: ~\n", "sessions:\n  - " + A + "\n"},
      {"after the last item", "sessions:\n  - " + B + "\n  - " + C + "\n",
       "sessions:\n  - " + B + "\n  - " + C + "\n  - " + A + "\n"},
      {"CRLF line endings", "# x\r\nsessions:\r\n  - " + B + "\r\n",
       "# x\r\nsessions:\r\n  - " + B + "\r\n  - " + A + "\r\n"},
      {"CRLF, empty list", "sessions: []\r\n", "sessions:\r\n  - " + A + "\r\n"},
      {"missing final newline", "sessions:\n  - " + B, "sessions:\n  - " + B + "\n  - " + A + "\n"},
      {"items at column 0", "sessions:\n- " + B + "\nother: 1\n",
       "sessions:\n- " + B + "\n- " + A + "\nother: 1\n"},
      {"indent 4, wide dash", "sessions:\n    -   " + B + "\n",
       "sessions:\n    -   " + B + "\n    -   " + A + "\n"},
      {"a top-level list", "- " + B + "\n", "- " + B + "\n- " + A + "\n"},
      {"an indented top-level list", "\n  - " + B + "\n", "\n  - " + B + "\n  - " + A + "\n"},
      {"document start marker", "---\nsessions:\n  - " + B + "\n...\n",
       "---\nsessions:\n  - " + B + "\n  - " + A + "\n...\n"},
      {"before trailing comments and the next key",
       "sessions:\n  - " + B + "  # b\n  # - " + C + " (later)\n\nnotes: x\n",
       "sessions:\n  - " + B + "  # b\n  - " + A + "\n  # - " + C + " (later)\n\nnotes: x\n"},
      {"after a map entry's nested lines and inner comments",
       "sessions:\n  - id: " + B +
           "\n    # the label:\n    label: |\n      two\n      lines\n# end\n",
       "sessions:\n  - id: " + B +
           "\n    # the label:\n    label: |\n      two\n      lines\n  - " + A + "\n# end\n"},
      {"after a flow map entry", "sessions:\n  - { id: " + B + ", actions: [] }\n",
       "sessions:\n  - { id: " + B + ", actions: [] }\n  - " + A + "\n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto e = add(r.before, plain({A}));
      BOOST_REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().what));
      BOOST_TEST(e->text == r.after);
      BOOST_TEST(strs(e->changed) == std::vector<std::string>{A}, boost::test_tools::per_element());
      BOOST_TEST(e->unchanged.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_label_or_actions_make_a_map_entry) {
  fjwatch::watch_additions r{sids({A, C}), "Pune \"senior\" .NET: #1", {"journal", "team-hook"}};
  const auto e = add("sessions:\n  - " + B + "\n", r);
  BOOST_REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().what));
  const std::string entry_a = "  - id: " + A + "\n    label: \"Pune \\\"senior\\\" .NET: #1\"\n" +
                              "    actions: [journal, team-hook]\n";
  const std::string entry_c = "  - id: " + C + "\n    label: \"Pune \\\"senior\\\" .NET: #1\"\n" +
                              "    actions: [journal, team-hook]\n";
  BOOST_TEST(e->text == "sessions:\n  - " + B + "\n" + entry_a + entry_c);
  const auto only_actions = add("sessions:\n    - " + B + "\n", {sids({A}), "", {"journal"}});
  BOOST_REQUIRE(only_actions.has_value());
  BOOST_TEST(only_actions->text ==
             "sessions:\n    - " + B + "\n    - id: " + A + "\n      actions: [journal]\n");
}

BOOST_AUTO_TEST_CASE(labels_survive_quoting_exactly) {
  const std::vector<std::string> labels{
      "plain",          "with: colon",        "# hash",        "- dash",
      "'single'",       "\"double\"",         "back\\slash",   "new\nline",
      "tab\there",      "bell\x07",           "null",          "true",
      "  spaces  ",     "Zürich – 東京",      "line\u2028sep", "{flow}, [seq]",
      "&anchor *alias", "%percent @at `tick", "\x7f del",      "emoji \xf0\x9f\x9a\x80"};
  for (const auto& label : labels) {
    BOOST_TEST_CONTEXT(label) {
      const auto e = add("sessions:\n", {sids({A}), label, {}});
      BOOST_REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().what));
      BOOST_TEST(entries(e->text) == std::vector<std::string>{A + " label=" + label},
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(an_id_already_listed_is_not_added_twice) {
  const std::string text = "sessions:\n  - id: " + B + "\n    label: x\n  - " + C + "\n";
  const auto none = add(text, plain({B, C}));
  BOOST_REQUIRE(none.has_value());
  BOOST_TEST(none->text == text);
  BOOST_TEST(none->changed.empty());
  BOOST_TEST(strs(none->unchanged) == (std::vector<std::string>{B, C}),
             boost::test_tools::per_element());

  const auto some = add(text, plain({A, B, A, D}));
  BOOST_REQUIRE(some.has_value());
  BOOST_TEST(strs(some->changed) == (std::vector<std::string>{A, D}),
             boost::test_tools::per_element());
  BOOST_TEST(strs(some->unchanged) == std::vector<std::string>{B},
             boost::test_tools::per_element());
  BOOST_TEST(some->text == text + "  - " + A + "\n  - " + D + "\n");
  // An id in an entry the loader skips (unknown action) still counts as listed.
  const std::string bad = "sessions:\n  - id: " + B + "\n    actions: [nope]\n";
  const auto kept = add(bad, plain({B}));
  BOOST_REQUIRE(kept.has_value());
  BOOST_TEST(kept->text == bad);
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_edit_safely) {
  struct row {
    std::string name;
    std::string before;
    fjwatch::watch_additions request;
    std::string error;
  };
  const std::vector<row> rows{
      {"a non-empty flow list", "sessions: [" + B + "]\n", plain({A}),
       "watchlist.yaml:1: sessions is written as a flow list [...]; fjwatch edits only the block "
       "form "
       "(one \"- ID\" per line)"},
      {"a top-level flow list, even an empty one", " []\n", plain({A}),
       "watchlist.yaml:1: sessions is written as a flow list [...]; fjwatch edits only the block "
       "form "
       "(one \"- ID\" per line)"},
      {"a lone carriage return", "sessions:\n  - " + B + "\r# note\n", plain({A}),
       "watchlist.yaml:2: a carriage return without a line feed; fjwatch edits only files with \\n "
       "or \\r\\n "
       "line endings"},
      {"a file that does not parse", "sessions:\n  - [unclosed\n", plain({A}),
       "watchlist.yaml:3:1: YAML syntax error: end of sequence flow not found (fix the file "
       "first)"},
      {"sessions not a list", "sessions: {a: 1}\n", plain({A}),
       "watchlist.yaml:1:11: sessions: expected a list of entries, found a map (fix the file "
       "first)"},
      {"a label that is not UTF-8", "sessions:\n", {sids({A}), "bad \xff", {}}, "not valid UTF-8"},
      {"an unknown action (the safety net)",
       "sessions:\n",
       {sids({A}), "", {"nope"}},
       "refusing to write: the edited file would not read back as the same list with only the "
       "requested "
       "change (please report this, with the file)"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto e = add(r.before, r.request);
      BOOST_REQUIRE(!e.has_value());
      BOOST_TEST(e.error().what == r.error);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(removing)

BOOST_AUTO_TEST_CASE(deletes_the_entry_lines_and_keeps_the_neighbours) {
  struct row {
    std::string name;
    std::string before;
    std::vector<std::string> ids;
    std::string after;
  };
  const std::vector<row> rows{
      {"a plain item between comments",
       "sessions:\n  # first\n  - " + B + "\n  # second\n  - " + A + "  # mine\n  # third\n  - " +
           C + "\n",
       {A},
       "sessions:\n  # first\n  - " + B + "\n  # second\n  # third\n  - " + C + "\n"},
      {"a map item with nested lines and a comment inside",
       "sessions:\n  - " + B + "\n  # about A\n  - id: " + A +
           "\n    # inside\n\n    label: |\n      x\n" +
           "    actions: [journal]\n  # after A\n  - " + C + "\n",
       {A},
       "sessions:\n  - " + B + "\n  # about A\n  # after A\n  - " + C + "\n"},
      {"a flow map item",
       "sessions:\n  - { id: " + A + ", label: x }\n  - " + B + "\n",
       {A},
       "sessions:\n  - " + B + "\n"},
      {"the last item, no final newline",
       "sessions:\n  - " + B + "\n  - id: " + A + "\n    label: y",
       {A},
       "sessions:\n  - " + B + "\n"},
      {"every occurrence of a duplicate",
       "sessions:\n  - " + A + "\n  - " + B + "\n  - id: " + A + "\n",
       {A},
       "sessions:\n  - " + B + "\n"},
      {"all of them",
       "# list\nsessions:\n  - " + A + "\n  - " + B + "\n# end\n",
       {B, A},
       "# list\nsessions:\n# end\n"},
      {"CRLF",
       "sessions:\r\n  - " + A + "\r\n  - " + B + "\r\n",
       {A},
       "sessions:\r\n  - " + B + "\r\n"},
      {"a top-level list", "- " + B + "\n- " + A + "\n", {A}, "- " + B + "\n"},
      {"an indented top-level list",
       "\n  - " + B + "\n  - id: " + A + "\n   ",
       {A},
       "\n  - " + B + "\n   "},
      {"items at column 0 before another key",
       "sessions:\n- " + A + "\n- " + B + "\nnotes: x\n",
       {A},
       "sessions:\n- " + B + "\nnotes: x\n"},
      {"an entry the loader skips",
       "sessions:\n  - id: " + A + "\n    actions: [nope]\n  - " + B + "\n",
       {A},
       "sessions:\n  - " + B + "\n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto e = remove(r.before, r.ids);
      BOOST_REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().what));
      BOOST_TEST(e->text == r.after);
      BOOST_TEST(e->unchanged.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(ids_not_listed_are_reported_and_nothing_changes) {
  const std::string text = "sessions:\n  - " + B + "\n";
  const auto e = remove(text, {A, B, C, A});
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(strs(e->changed) == std::vector<std::string>{B}, boost::test_tools::per_element());
  BOOST_TEST(strs(e->unchanged) == (std::vector<std::string>{A, C}),
             boost::test_tools::per_element());
  const auto none = remove(text, {A});
  BOOST_REQUIRE(none.has_value());
  BOOST_TEST(none->text == text);
  BOOST_TEST(none->changed.empty());
  const auto flow = remove("sessions: [" + B + "]\n", {B});
  BOOST_TEST(!flow.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(preservation)

// A file full of comments, blank lines, odd spacing and every entry style.
const std::string commented =
    "# fjwatch watch list\n"
    "#   edited by hand and by scripts\n"
    "\n"
    "sessions:   # the list\n"
    "  # Just an id.\n"
    "  - " +
    B +
    "    # trailing comment\n"
    "\n"
    "  # An id with a label.\n"
    "  - id: " +
    C +
    "\n"
    "    label: 'Pune .NET'   # single quotes\n"
    "    # comment inside the entry\n"
    "    actions:\n"
    "      - journal\n"
    "\n"
    "  - { id: " +
    D +
    ", label: \"Backend, Berlin\", actions: [] }\n"
    "  # closing comment of the list\n"
    "\n"
    "# EOF comment\n";

BOOST_AUTO_TEST_CASE(add_then_remove_gives_back_every_byte) {
  const auto added = add(commented, {sids({A}), "new one", {"team-hook"}});
  BOOST_REQUIRE_MESSAGE(added.has_value(), (added ? "" : added.error().what));
  const std::string inserted =
      "  - id: " + A + "\n    label: \"new one\"\n    actions: [team-hook]\n";
  const auto at = commented.find("  # closing comment");
  BOOST_TEST(added->text == commented.substr(0, at) + inserted + commented.substr(at));
  const auto removed = remove(added->text, {A});
  BOOST_REQUIRE(removed.has_value());
  BOOST_TEST(removed->text == commented);
  const auto without_c = remove(commented, {C});
  BOOST_REQUIRE(without_c.has_value());
  const auto c_from = commented.find("  - id: " + C),
             c_to = commented.find("\n      - journal\n") + 17;
  BOOST_TEST(without_c->text == commented.substr(0, c_from) + commented.substr(c_to));
}

// Random files of comments, blank lines and entries in every style, LF or CRLF, with or without a
// final newline: adding an id and removing it again restores the file exactly, and removing an
// existing entry leaves every other entry as the loader reads it.
BOOST_AUTO_TEST_CASE(random_files_round_trip) {
  std::mt19937 rng(20240501);
  const std::vector<std::string> pieces{"# comment",
                                        "",
                                        "  # indented comment",
                                        "- {id}",
                                        "- {id}  # note",
                                        "- id: {id}\n  label: x y",
                                        "- id: {id}\n  # in\n  actions: [journal]",
                                        "- { id: {id} }"};
  for (int round = 0; round < 300; ++round) {
    const bool crlf = rng() % 2 == 0;
    const std::string indent = rng() % 2 ? "  " : "";
    std::string text = rng() % 3 == 0 ? "# head\n" : "";
    text += "sessions:\n";
    std::vector<std::string> listed;
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      std::string p = pieces[rng() % pieces.size()];
      if (const auto at = p.find("{id}"); at != p.npos) {
        listed.push_back(id(10 + i));
        p.replace(at, 4, listed.back());
      }
      for (std::size_t nl = 0; (nl = p.find('\n', nl)) != p.npos; nl += 1 + indent.size())
        p.insert(nl + 1, indent);
      text += indent + p + "\n";
    }
    if (rng() % 3 == 0) text += "# tail\n";
    if (rng() % 4 == 0 && text.ends_with("\n")) text.pop_back();
    if (crlf) {
      for (std::size_t nl = 0; (nl = text.find('\n', nl)) != text.npos; nl += 2)
        text.insert(nl, "\r");
    }
    BOOST_TEST_CONTEXT("round " << round << ":\n" << text) {
      const auto added = add(text, {sids({A}), rng() % 2 ? "" : "lab", {}});
      BOOST_REQUIRE_MESSAGE(added.has_value(), (added ? "" : added.error().what));
      const auto removed = remove(added->text, {A});
      BOOST_REQUIRE(removed.has_value());
      std::string want = text;
      if (!want.empty() && !want.ends_with("\n"))
        want += want.find("\r\n") != want.npos ? "\r\n" : "\n";
      BOOST_TEST(
          (removed->text == text || removed->text == want));  // a line break may have been added
      if (listed.empty()) continue;
      const std::string victim = listed[rng() % listed.size()];
      const auto smaller = remove(text, {victim});
      BOOST_REQUIRE_MESSAGE(smaller.has_value(), (smaller ? "" : smaller.error().what));
      auto expected = entries(text);
      std::erase_if(expected, [&](const std::string& e) { return e.starts_with(victim); });
      BOOST_TEST(entries(smaller->text) == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
