#include "fjwatch/watchlist/watch_list.hpp"

#include "fjwatch/watchlist/detail/list_reader.hpp"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <istream>
#include <streambuf>
#include <system_error>
#include <unordered_map>

namespace fjwatch {

bool watch_entry::same_settings(const watch_entry& other) const {
  return id == other.id && label == other.label && actions == other.actions;
}

namespace {

using detail::at;
using detail::max_bytes;
using detail::position;
using detail::prescan;
using detail::warning;

// Marks `out` unusable because of this one problem; what was read before it (entries and their
// problems, often artefacts of the same broken text) is dropped.
watch_load& give_up(watch_load& out, const std::string& name, position where, std::string message) {
  out.usable = false;
  out.list.entries.clear();
  out.problems.assign(1, {name, where.line, where.column, std::move(message), diagnostic::severity::error});
  return out;
}

// Reads a whole regular file of at most max_bytes into `text`; on failure returns why.
std::optional<std::string> read_all(int fd, std::string& text) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "cannot read: " + std::generic_category().message(errno);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return "not a regular file";
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return "larger than 64 MiB";
  text.assign(static_cast<std::size_t>(st.st_size) + 1, '\0');  // +1: see growth early, not late
  std::size_t used = 0;
  for (ssize_t n = 1; n != 0;) {
    if (used == text.size()) text.resize(std::min(text.size() * 2, max_bytes + 1));
    n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno != EINTR) return "cannot read: " + std::generic_category().message(errno);
    used += n > 0 ? static_cast<std::size_t>(n) : 0;
    if (used > max_bytes) return "larger than 64 MiB";
  }
  text.resize(used);
  return std::nullopt;
}

// yaml-cpp over text that passed the size and prescan checks.
watch_load parse_with_yaml(std::string_view text, const std::string& name,
                           const std::set<std::string, std::less<>>& known_actions) {
  watch_load out;
  detail::view_buf buffer(text);
  std::istream in(&buffer);
  detail::list_reader reader(text, name, known_actions, out);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(reader)) {
    }
  } catch (const detail::unusable& bad) {
    give_up(out, name, bad.where, bad.message);
  } catch (const YAML::Exception& e) {
    give_up(out, name, at(e.mark), "YAML syntax error: " + e.msg);
  }
  return out;
}

// The checks that come before any YAML is read; nullopt when they pass.
std::optional<watch_load> refuse(std::string_view text, const std::string& name) {
  watch_load out;
  if (text.size() > max_bytes) return give_up(out, name, {}, "larger than 64 MiB");
  if (auto bad = prescan(text)) return give_up(out, name, bad->where, std::move(bad->message));
  return std::nullopt;
}

}  // namespace

watch_load detail::parse_watch_list_yaml(std::string_view text, const std::string& name,
                                         const std::set<std::string, std::less<>>& known_actions) {
  if (auto refused = refuse(text, name)) return std::move(*refused);
  return parse_with_yaml(text, name, known_actions);
}

// The plain shape (a `sessions:` list of bare ids, with comments) is read without yaml-cpp's
// per-character cost; anything else by yaml-cpp.
watch_load parse_watch_list(std::string_view text, const std::string& name,
                            const std::set<std::string, std::less<>>& known_actions) {
  if (text.size() > max_bytes) return *refuse(text, name);
  if (const auto shape = detail::find_plain_shape(text)) {
    watch_load out;
    out.list.entries.reserve(shape->entries.size());
    detail::list_reader reader(text, name, known_actions, out);
    reader.reserve(shape->entries.size());
    detail::stream_plain(text, *shape, reader);
    return out;
  }
  return detail::parse_watch_list_yaml(text, name, known_actions);
}

watch_load load_watch_list(const std::filesystem::path& path,
                           const std::set<std::string, std::less<>>& known_actions) {
  const std::string name = path.string();
  watch_load out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) {
    out.problems.push_back({name, 0, 0, "file not found, watching nothing until it appears", warning});
    return out;
  }
  if (fd < 0) return give_up(out, name, {}, "cannot read: " + std::generic_category().message(errno));
  std::string text;
  const auto why = read_all(fd, text);
  ::close(fd);
  if (why) return give_up(out, name, {}, *why);
  return parse_watch_list(text, name, known_actions);
}

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
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail].id == b[b.size() - 1 - tail].id) {
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
