#pragma once
// What `fjwatch add`, `remove`, `prune` and `list` were asked for, shared by watch_commands.cpp (parsing, the
// edits) and list_command.cpp (the listing). Internal to the cli module.
#include "fjwatch/util/units.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace fjwatch::cli {

struct watch_options {
  std::string config_path;
  bool help = false;
  bool json = false;                               // list
  std::vector<std::string> ids;                    // add, remove: as typed, checked later
  std::optional<std::string> label;                // add
  std::vector<std::string> actions;                // add: each name once, in order
  millis wait = std::chrono::seconds(10);          // add, remove, prune: for the lock
  millis older_than = std::chrono::hours(24 * 7);  // prune: ended at least this long ago
};

// `fjwatch list` after parsing; see run_list. Throws store_error when the database cannot be read.
int list_command(const watch_options& o, std::ostream& out, std::ostream& err);

}  // namespace fjwatch::cli
