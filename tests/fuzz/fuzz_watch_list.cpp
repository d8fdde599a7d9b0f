// The watch list parser on arbitrary text: never throws, and what it keeps is what the header
// promises (valid ids, unique, in file order; a usable list or a reason it is not); the fast path
// for plain lists gives exactly what yaml-cpp alone gives.
#include "fjwatch/watchlist/watch_list.hpp"
#include "fuzz_check.hpp"
#include "fjwatch/watchlist/detail/list_reader.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/watchlist/watch_diff.hpp"

#include <algorithm>
#include <set>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  static const std::set<std::string, std::less<>> known{"journal", "team-hook"};
  const watch_load load = parse_watch_list(fuzz::as_text(data, size), "fuzz.yaml", known);

  if (!load.usable) {
    FUZZ_CHECK(
        std::any_of(load.problems.begin(), load.problems.end(),
                    [](const diagnostic& d) { return d.level == diagnostic::severity::error; }),
        "an unusable list says why");
  }
  std::set<session_id> seen;
  int last_line = 0;
  for (const auto& e : load.list.entries) {
    FUZZ_CHECK(seen.insert(e.id).second, "ids are unique");
    FUZZ_CHECK(session_id::parse(e.id.view()).has_value(), "ids are valid");
    FUZZ_CHECK(e.line > last_line, "entries in file order, lines 1-based");
    last_line = e.line;
    if (e.actions) {
      for (const auto& a : *e.actions) FUZZ_CHECK(known.contains(a), "actions are known ones");
    }
  }
  for (const auto& d : load.problems) {
    FUZZ_CHECK(!d.message.empty() && d.line >= 0 && d.column >= 0, "problems are positioned");
  }
  // The same entries and problems, at the same positions, as the reference parse.
  const watch_load reference =
      detail::parse_watch_list_yaml(fuzz::as_text(data, size), "fuzz.yaml", known);
  FUZZ_CHECK(load.usable == reference.usable, "fast path: usable as yaml-cpp says");
  FUZZ_CHECK(load.list.entries.size() == reference.list.entries.size(),
             "fast path: as many entries");
  for (std::size_t i = 0; i < std::min(load.list.entries.size(), reference.list.entries.size());
       ++i) {
    const auto& a = load.list.entries[i];
    const auto& b = reference.list.entries[i];
    FUZZ_CHECK(a.same_settings(b) && a.line == b.line, "fast path: the same entry");
  }
  FUZZ_CHECK(load.problems.size() == reference.problems.size(), "fast path: as many problems");
  for (std::size_t i = 0; i < std::min(load.problems.size(), reference.problems.size()); ++i) {
    FUZZ_CHECK(load.problems[i].str() == reference.problems[i].str() &&
                   load.problems[i].level == reference.problems[i].level,
               "fast path: the same problem");
  }
  // Comparing a list with itself finds no change.
  FUZZ_CHECK(diff(load.list, load.list).empty(), "diff of a list with itself");
  return 0;
}
