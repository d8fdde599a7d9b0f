// The watch list parser on arbitrary text: never throws, and what it keeps is what the header
// promises (valid ids, unique, in file order; a usable list or a reason it is not).
#include "fjwatch/watch_list.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <set>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  static const std::set<std::string, std::less<>> known{"journal", "team-hook"};
  const watch_load load = parse_watch_list(fuzz::as_text(data, size), "fuzz.yaml", known);

  if (!load.usable) {
    FUZZ_CHECK(std::any_of(load.problems.begin(), load.problems.end(),
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
  // Comparing a list with itself finds no change.
  FUZZ_CHECK(diff(load.list, load.list).empty(), "diff of a list with itself");
  return 0;
}
