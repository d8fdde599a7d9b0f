#pragma once
// The watch list file: which sessions to poll, each with an optional label and actions.
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

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

// What a reload needs to keep of the list it replaces: each id, in file order, with a 64-bit
// digest of its label and actions (32 bytes an entry instead of a whole watch_entry).
struct watch_digest {
  struct item {
    session_id id;
    std::uint64_t settings = 0;  // settings_digest()
  };
  std::vector<item> items;
};
// FNV-1a over the label and the action list: two entries with different settings get different
// digests except with probability about 2^-64.
std::uint64_t settings_digest(const watch_entry& e);
watch_digest digest(const watch_list& list);

// What changed between two lists: ids only in `next`, ids only in `prev`, and ids in both whose
// label or actions differ. Each in the order of the list it comes from; `added` and `changed`
// point into `next` (valid while it lives and is not modified). The common prefix and suffix are
// compared in place, so an edit of a few lines costs one pass over a long list.
struct watch_diff {
  std::vector<const watch_entry*> added;
  std::vector<session_id> removed;
  std::vector<const watch_entry*> changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
watch_diff diff(const watch_digest& prev, const watch_list& next);
watch_diff diff(const watch_list& prev, const watch_list& next);
// The result would point into a temporary.
watch_diff diff(const watch_digest& prev, watch_list&& next) = delete;
watch_diff diff(const watch_list& prev, watch_list&& next) = delete;

}  // namespace fjwatch
