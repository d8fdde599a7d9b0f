#pragma once
// The watch list file: which sessions to poll, each with an optional label and actions.
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// The largest watch list read (64 MiB: about 2 million bare ids).
inline constexpr std::size_t max_watch_list_bytes = 64u << 20;

struct watch_entry {
  session_id id;
  std::string label;
  std::optional<std::vector<std::string>> actions;  // nullopt: the config's defaults.actions
  int line = 0;                                     // 1-based, where the entry starts

  // Same id, label and actions (line is ignored).
  bool same_settings(const watch_entry& other) const;
};

// Entries in file order, ids unique.
struct watch_list {
  std::vector<watch_entry> entries;
};

struct watch_load {
  watch_list list;
  std::vector<diagnostic> problems;  // bad entries (skipped), duplicate ids (merged), warnings
  // False when the file as a whole could not be used (YAML syntax error, not a map with a
  // `sessions` sequence, unreadable): the caller keeps its last good list.
  bool usable = true;
};

// Parses a watch list:
//   sessions:
//     - 69f45196c8bbf1ce65b5bcd6
//     - { id: 69f45196c8bbf1ce65b5bcd7, label: Pune .NET, actions: [journal] }
// An empty document or `sessions:` with no value is an empty list. A bad entry (id not 24 hex,
// unknown key, wrong type, action not in known_actions) is reported with its line and skipped;
// a duplicate id is merged into the first (label/actions of the later one fill what the first
// lacks) with a warning.
watch_load parse_watch_list(std::string_view text, const std::string& name,
                            const std::set<std::string, std::less<>>& known_actions);

// Reads the file. A missing file is an empty, usable list with a warning.
watch_load load_watch_list(const std::filesystem::path& path,
                           const std::set<std::string, std::less<>>& known_actions);

}  // namespace fjwatch
