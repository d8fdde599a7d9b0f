#pragma once
// What changed between two watch lists: what a reload adds, removes and updates, and the digest
// of the list in force that it compares with.
#include "fjwatch/domain/session_id.hpp"
#include "fjwatch/watchlist/watch_list.hpp"

#include <cstdint>
#include <vector>

namespace fjwatch {

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
