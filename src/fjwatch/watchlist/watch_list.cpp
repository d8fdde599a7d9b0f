#include "fjwatch/watchlist/watch_list.hpp"

#include "fjwatch/util/read_file.hpp"

#include "fjwatch/watchlist/detail/list_reader.hpp"
#include "fjwatch/util/diagnostic.hpp"

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
  out.problems.assign(
      1, {name, where.line, where.column, std::move(message), diagnostic::severity::error});
  return out;
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
  const auto text = read_file_if_exists(path, max_bytes);
  if (!text) return give_up(out, name, {}, "cannot read: " + text.error().what);
  if (!*text) {
    out.problems.push_back(
        {name, 0, 0, "file not found, watching nothing until it appears", warning});
    return out;
  }
  return parse_watch_list(**text, name, known_actions);
}

}  // namespace fjwatch
