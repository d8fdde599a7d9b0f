#include "fjwatch/watchlist/detail/list_reader.hpp"

#include "fjwatch/util/text.hpp"

#include <algorithm>

namespace fjwatch::detail {

namespace {

// `v` in double quotes, escaped for display, cut after 60 bytes; safe to print.
std::string quote(std::string_view v) { return quoted(v, 60); }

// A key as it appears in a path: bare when it is a plain word, else quoted.
std::string display_key(std::string_view key) {
  constexpr std::string_view word_chars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  const bool word =
      !key.empty() && key.size() <= 40 && key.find_first_not_of(word_chars) == key.npos;
  return word ? std::string(key) : quote(key);
}

// "a string", "a list"...: what a node is, for "expected X, found Y".
std::string describe(kind k) {
  constexpr std::string_view names[] = {"nothing", "a string", "a list", "a map", "an alias"};
  return std::string(names[static_cast<std::size_t>(k)]);
}

}  // namespace

std::optional<unusable> prescan(std::string_view text) {
  int line = 1;
  std::size_t line_start = 0;
  int depth = 0;
  char in_quote = 0;
  bool escaped = false;
  bool comment = false;
  char last = 0;  // last non-blank byte on this line outside quotes and comments
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const position here{line, static_cast<int>(i - line_start) + 1};
    if (c == '\0') return unusable{here, "NUL byte: expected UTF-8 text"};
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      comment = false;
      last = 0;
      continue;
    }
    if (comment) continue;
    if (in_quote != 0) {
      if (escaped)
        escaped = false;
      else if (in_quote == '"' && c == '\\')
        escaped = true;
      else if (c == '\'' && in_quote == c && i + 1 < text.size() && text[i + 1] == c)
        ++i;  // ''
      else if (c == in_quote)
        in_quote = 0;
      continue;
    }
    const char prev = i == line_start ? ' ' : text[i - 1];
    const bool blank_before = prev == ' ' || prev == '\t';
    if (c == '#' && blank_before) {
      comment = true;
    } else if ((c == '"' || c == '\'') &&
               (blank_before || (depth > 0 && std::string_view("[{,:").find(prev) != text.npos))) {
      in_quote = c;
    } else if ((c == '[' || c == '{') &&
               (depth > 0 ||
                (blank_before && (last == 0 || std::string_view("-:?").find(last) != text.npos)))) {
      if (++depth > max_depth) return unusable{here, "nested deeper than 64 levels"};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    if (c != ' ' && c != '\t' && c != '\r') last = c;
  }
  return std::nullopt;
}

position list_reader::empty_at(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return at(mark);
  if (memo_line_ < 0 || mark.line < memo_line_) {  // marks mostly go forward: amortised O(1)
    memo_line_ = 0;
    memo_offset_ = text_.starts_with("\xef\xbb\xbf") ? 3 : 0;
  }
  for (; memo_line_ < mark.line && memo_offset_ < text_.size(); ++memo_line_) {
    const std::size_t newline = text_.find('\n', memo_offset_);
    memo_offset_ = newline == text_.npos ? text_.size() : newline + 1;
  }
  std::size_t i = std::min(text_.size(), memo_offset_ + static_cast<std::size_t>(mark.column));
  int line = mark.line + 1;
  while (i > 0 && std::string_view(" \t\r\n").find(text_[i - 1]) != text_.npos) {
    if (text_[--i] == '\n') --line;
  }
  if (i == 0 || text_[i - 1] != '-') return at(mark);
  const std::size_t line_begin = text_.rfind('\n', i - 1) + 1;  // npos + 1 == 0
  return {line, static_cast<int>(i - line_begin)};
}

list_reader::frame list_reader::place(kind k, position where, const std::string& text) {
  if (frames_.empty()) {
    if (documents_ > 1 || k == kind::null) return {role::skip};
    if (k == kind::map) return {role::top_map};
    if (k == kind::sequence) return {role::sessions};
    throw unusable{where, "expected a map with a \"sessions\" list, found " + describe(k)};
  }
  frame& parent = frames_.back();
  if (parent.what == role::top_map) return place_in_top_map(parent, k, where, text);
  if (parent.what == role::sessions) return start_entry(k, where, text);
  if (parent.what == role::skip) return {role::skip};
  if (tree_.size() >= max_entry_nodes) {
    entry_too_large_ = true;
    return {role::skip};
  }
  const auto index = static_cast<std::uint32_t>(tree_.size());
  tree_[parent.node].kids.push_back(index);
  tree_.push_back({k, where, k == kind::scalar ? text : std::string(), {}});
  return {role::entry, true, false, index};
}

list_reader::frame list_reader::place_in_top_map(frame& parent, kind k, position where,
                                                 const std::string& text) {
  if (parent.want_key) {
    parent.want_key = false;
    parent.value_is_sessions = k == kind::scalar && text == "sessions";
    if (parent.value_is_sessions && seen_sessions_)
      throw unusable{where, "sessions: duplicate key"};
    seen_sessions_ = seen_sessions_ || parent.value_is_sessions;
    if (k != kind::scalar)
      report(where, "unknown key (" + describe(k) + "), ignored", warning);
    else if (!parent.value_is_sessions)
      report(where, display_key(text) + ": unknown key, ignored", warning);
    return {role::skip};
  }
  parent.want_key = true;
  if (!parent.value_is_sessions || k == kind::null) return {role::skip};
  if (k == kind::sequence) return {role::sessions};
  throw unusable{where, "sessions: expected a list of entries, found " + describe(k)};
}

list_reader::frame list_reader::start_entry(kind k, position where, const std::string& text) {
  ++entry_index_;
  if (k == kind::sequence || k == kind::map) {
    tree_.clear();
    tree_.push_back({k, where, {}, {}});
    entry_too_large_ = false;
    return {role::entry, true, false, 0};
  }
  const auto id = k == kind::scalar ? session_id::parse(text) : std::nullopt;
  if (id) {
    add_entry(*id, {}, std::nullopt, where);
  } else if (k == kind::scalar) {
    report(where,
           entry_path() + ": " + quote(text) + " is not a session id (expected 24 hex characters)");
  } else {
    report(where,
           entry_path() + (k == kind::null ? ": empty entry" : ": aliases are not supported"));
  }
  return {role::skip};
}

void list_reader::finish_entry() {
  const tree_node& root = tree_.front();
  if (entry_too_large_) {
    report(root.where, entry_path() + ": entry too large (more than 4096 YAML nodes)");
  } else if (root.what == kind::sequence) {
    report(root.where, entry_path() + ": expected a session id or a map, found a list");
  } else {
    read_map_entry(root, entry_path());
  }
  tree_.clear();
}

void list_reader::read_map_entry(const tree_node& map, const std::string& path) {
  std::optional<session_id> id;
  std::string label;
  actions_t actions;
  bool ok = true;
  bool seen[3] = {false, false, false};  // id, label, actions
  for (std::size_t i = 0; i + 1 < map.kids.size(); i += 2) {
    const tree_node& key = tree_[map.kids[i]];
    const tree_node& value = tree_[map.kids[i + 1]];
    const int which = key.what != kind::scalar ? -2
                      : key.text == "id"       ? 0
                      : key.text == "label"    ? 1
                      : key.text == "actions"  ? 2
                                               : -1;
    const std::string field = path + "." + display_key(key.text);
    if (which < 0 || seen[which]) {
      ok = false;
      if (which == -2)
        report(key.where, path + ": keys must be strings, found " + describe(key.what));
      else
        report(key.where, field + (which < 0 ? ": unknown key" : ": duplicate key"));
      continue;
    }
    seen[which] = true;
    const position value_at = value.what == kind::null ? key.where : value.where;
    if (which == 0) {
      id = read_id(value, value_at, field);
      ok = ok && id.has_value();
    } else if (which == 2) {
      ok = read_actions(value, value_at, field, actions) && ok;
    } else if (value.what == kind::scalar) {
      // A label goes into webhook bodies, logs and terminals: it must be text.
      if (const auto bad = first_invalid_utf8(value.text); bad != std::string::npos) {
        report(value.where, field + ": not valid UTF-8 (byte " + std::to_string(bad + 1) + " of " +
                                quote(value.text) + ")");
        ok = false;
      }
      label = value.text;
    } else if (value.what != kind::null) {
      report(value.where, field + ": expected a string, found " + describe(value.what));
      ok = false;
    }
  }
  if (!seen[0]) report(map.where, path + ": missing id");
  if (ok && id) add_entry(*id, std::move(label), std::move(actions), map.where);
}

std::optional<session_id> list_reader::read_id(const tree_node& value, position where,
                                               const std::string& path) {
  if (value.what != kind::scalar) {
    report(where, path + ": expected a session id, found " + describe(value.what));
    return std::nullopt;
  }
  auto id = session_id::parse(value.text);
  if (!id)
    report(where,
           path + ": " + quote(value.text) + " is not a session id (expected 24 hex characters)");
  return id;
}

bool list_reader::read_actions(const tree_node& value, position where, const std::string& path,
                               actions_t& actions) {
  if (value.what == kind::null) return true;
  if (value.what != kind::sequence) {
    report(where, path + ": expected a list of action names, found " + describe(value.what));
    return false;
  }
  bool ok = true;
  actions.emplace();
  for (std::size_t i = 0; i < value.kids.size(); ++i) {
    const tree_node& item = tree_[value.kids[i]];
    const auto item_path = [&] { return path + "[" + std::to_string(i) + "]"; };
    if (item.what != kind::scalar) {
      report(item.where, item_path() + ": expected an action name, found " + describe(item.what));
      ok = false;
    } else if (!known_actions_.contains(item.text)) {
      report(item.where, item_path() + ": unknown action " + quote(item.text));
      ok = false;
    } else if (std::find(actions->begin(), actions->end(), item.text) != actions->end()) {
      report(item.where, item_path() + ": " + quote(item.text) + " listed twice, ignored", warning);
    } else {
      actions->push_back(item.text);
    }
  }
  return ok;
}

void list_reader::reserve(std::size_t n) { index_.reserve(n, entry_ids()); }

void list_reader::add_entry(session_id id, std::string label, actions_t actions, position where) {
  auto& entries = out_.list.entries;
  const auto earlier = index_.find(id, entry_ids());
  if (!earlier) {
    entries.push_back({id, std::move(label), std::move(actions), where.line});
    index_.insert(static_cast<std::uint32_t>(entries.size() - 1), entry_ids());
    return;
  }
  watch_entry& first = entries[*earlier];
  if (first.label.empty()) first.label = std::move(label);
  if (!first.actions) first.actions = std::move(actions);
  report(where, entry_path() + ": duplicate of line " + std::to_string(first.line) + ", merged",
         warning);
}

}  // namespace fjwatch::detail
