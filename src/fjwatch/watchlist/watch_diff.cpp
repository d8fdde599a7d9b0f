#include "fjwatch/watchlist/watch_diff.hpp"

#include <algorithm>
#include <unordered_map>

namespace fjwatch {

std::uint64_t settings_digest(const watch_entry& e) {
  constexpr std::uint64_t prime = 1099511628211ull;
  std::uint64_t h = 14695981039346656037ull;
  auto add = [&](std::string_view text) {
    for (const unsigned char c : text) h = (h ^ c) * prime;
    h = (h ^ 0xffu) * prime;  // a byte no UTF-8 text holds ends each string
  };
  add(e.label);
  h = (h ^ (e.actions ? 1u : 2u)) * prime;
  if (e.actions) {
    for (const auto& a : *e.actions) add(a);
  }
  return h;
}

watch_digest digest(const watch_list& list) {
  watch_digest d;
  d.items.reserve(list.entries.size());
  for (const auto& e : list.entries) d.items.push_back({e.id, settings_digest(e)});
  return d;
}

watch_diff diff(const watch_digest& prev, const watch_list& next) {
  const auto& a = prev.items;
  const auto& b = next.entries;
  watch_diff d;
  std::size_t head = 0;
  for (; head < a.size() && head < b.size() && a[head].id == b[head].id; ++head) {
    if (a[head].settings != settings_digest(b[head])) d.changed.push_back(&b[head]);
  }
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail].id == b[b.size() - 1 - tail].id) {
    ++tail;
  }
  std::unordered_map<session_id, std::size_t> before;  // id -> index in prev (ids are unique)
  before.reserve(a.size() - head - tail);
  for (std::size_t i = head; i < a.size() - tail; ++i) before.emplace(a[i].id, i);
  std::vector<bool> kept(a.size(), false);
  for (std::size_t i = head; i < b.size() - tail; ++i) {
    const auto it = before.find(b[i].id);
    if (it == before.end()) {
      d.added.push_back(&b[i]);
      continue;
    }
    kept[it->second] = true;
    if (a[it->second].settings != settings_digest(b[i])) d.changed.push_back(&b[i]);
  }
  for (std::size_t i = head; i < a.size() - tail; ++i) {
    if (!kept[i]) d.removed.push_back(a[i].id);
  }
  for (std::size_t k = tail; k > 0; --k) {
    const auto& e = b[b.size() - k];
    if (a[a.size() - k].settings != settings_digest(e)) d.changed.push_back(&e);
  }
  return d;
}

watch_diff diff(const watch_list& prev, const watch_list& next) { return diff(digest(prev), next); }

}  // namespace fjwatch
