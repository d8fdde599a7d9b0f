#include "fjwatch/watch_list.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
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

constexpr int max_depth = 64;                  // collections inside collections
constexpr std::size_t max_bytes = 64u << 20;   // whole file
constexpr std::size_t max_problems = 100;      // diagnostics kept; one more says there were more
constexpr std::size_t max_entry_nodes = 4096;  // YAML nodes in one entry of `sessions`
constexpr auto warning = diagnostic::severity::warning;

struct position {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

// A yaml-cpp mark as a 1-based position; {0, 0} for yaml-cpp's null mark.
position at(const YAML::Mark& mark) {
  return mark.is_null() ? position{} : position{mark.line + 1, mark.column + 1};
}

// Thrown from inside the parse when the file as a whole cannot be used.
struct unusable {
  position where;
  std::string message;
};

// `v` in double quotes, non-printable bytes as \xNN, cut after 60 bytes; safe to print.
std::string quote(std::string_view v) {
  std::string out = "\"";
  for (const char ch : v.substr(0, 60)) {
    const auto c = static_cast<unsigned char>(ch);
    char buf[8];
    std::snprintf(buf, sizeof buf, c < 0x20 || c >= 0x7f ? "\\x%02x" : c == '"' || c == '\\' ? "\\%c" : "%c", c);
    out += buf;
  }
  return out + (v.size() > 60 ? "...\"" : "\"");
}

// A key as it appears in a path: bare when it is a plain word, else quoted.
std::string display_key(std::string_view key) {
  constexpr std::string_view word_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  const bool word = !key.empty() && key.size() <= 40 && key.find_first_not_of(word_chars) == key.npos;
  return word ? std::string(key) : quote(key);
}

enum class kind : std::uint8_t { null, scalar, sequence, map, alias };

// "a string", "a list"...: what a node is, for "expected X, found Y".
std::string describe(kind k) {
  constexpr std::string_view names[] = {"nothing", "a string", "a list", "a map", "an alias"};
  return std::string(names[static_cast<std::size_t>(k)]);
}

// Finds what must not reach yaml-cpp: NUL bytes, and flow collections ([ {) nested deeper than
// max_depth. Quotes and comments are skipped; a bracket inside a plain scalar in block context is
// not counted. Returns the problem and its position, or nullopt.
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
      if (escaped) escaped = false;
      else if (in_quote == '"' && c == '\\') escaped = true;
      else if (c == '\'' && in_quote == c && i + 1 < text.size() && text[i + 1] == c) ++i;  // ''
      else if (c == in_quote) in_quote = 0;
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
               (depth > 0 || (blank_before && (last == 0 || std::string_view("-:?").find(last) != text.npos)))) {
      if (++depth > max_depth) return unusable{here, "nested deeper than 64 levels"};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    if (c != ' ' && c != '\t' && c != '\r') last = c;
  }
  return std::nullopt;
}

// A read-only stream over a string_view, so yaml-cpp reads the caller's text without a copy.
class view_buf final : public std::streambuf {
 public:
  explicit view_buf(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // the get area is never written
    setg(begin, begin, begin + text.size());
  }
};

// One YAML node of the entry being read.
struct tree_node {
  kind what = kind::null;
  position where;
  std::string text;                 // scalar
  std::vector<std::uint32_t> kids;  // sequence items; map keys and values, alternating
};

// Turns yaml-cpp events into the watch list. The top levels (document, top map, `sessions`) are
// followed as they stream by; each entry of `sessions` is collected into a small tree, checked
// when it ends, then dropped. Throws `unusable` when the file as a whole cannot be used.
class list_reader final : public YAML::EventHandler {
 public:
  list_reader(std::string_view text, const std::string& name,
              const std::set<std::string, std::less<>>& known_actions, watch_load& out)
      : text_(text), name_(name), known_actions_(known_actions), out_(out) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 starts empty documents forever at a token it cannot use (a leading ',').
    if (documents_ > 0 && mark.pos == last_document_.pos) {
      throw unusable{at(mark), "YAML syntax error: unexpected character"};
    }
    last_document_ = mark;
    if (++documents_ == 2) report(at(mark), "a second YAML document is ignored", warning);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { place(kind::null, empty_at(mark), {}); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { place(kind::alias, at(mark), {}); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override {
    place(kind::scalar, at(mark), value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(kind::sequence, at(mark));
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(kind::map, at(mark));
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

 private:
  // What an open collection is to the watch list: the top map, the `sessions` list, part of the
  // entry being collected, or something ignored (read only to keep the nesting right).
  enum class role : std::uint8_t { top_map, sessions, skip, entry };
  struct frame {
    role what = role::skip;
    bool want_key = true;            // top_map: the next node is a key
    bool value_is_sessions = false;  // top_map: the next value belongs to `sessions`
    std::uint32_t node = 0;          // entry: its index in tree_
  };
  using actions_t = std::optional<std::vector<std::string>>;

  // Records a problem; past max_problems only one note that more were found.
  void report(position where, std::string message, diagnostic::severity level = diagnostic::severity::error) {
    if (out_.problems.size() > max_problems) return;
    if (out_.problems.size() == max_problems) {
      where = {};
      message = "too many problems, the rest are not reported";
      level = warning;
    }
    out_.problems.push_back({name_, where.line, where.column, std::move(message), level});
  }

  // A collection starts; throws `unusable` past max_depth, before yaml-cpp recurses any deeper.
  void open(kind k, position where) {
    if (frames_.size() >= max_depth) throw unusable{where, "nested deeper than 64 levels"};
    const frame f = place(k, where, {});
    frames_.push_back(f);
  }

  // A collection ends; an entry of `sessions` that ends is checked and kept or reported.
  void close() {
    const frame f = frames_.back();
    frames_.pop_back();
    if (f.what == role::entry && !frames_.empty() && frames_.back().what == role::sessions) finish_entry();
  }

  // "sessions[<index>]" for the current entry, as diagnostics name it.
  std::string entry_path() const { return "sessions[" + std::to_string(entry_index_) + "]"; }

  // Where to report an empty node: yaml-cpp marks the token after it; this is the `-` before it.
  position empty_at(const YAML::Mark& mark);
  // Takes one node where it stands (the frame to push if it is a collection); throws `unusable`
  // for a document that is not a map or a list.
  frame place(kind k, position where, const std::string& text);
  // A key or a value of the top map; throws `unusable` for a `sessions` that is not a list.
  frame place_in_top_map(frame& parent, kind k, position where, const std::string& text);
  // An item of `sessions`: a scalar is checked at once, a collection starts tree_.
  frame start_entry(kind k, position where, const std::string& text);
  // Checks the collected tree_: a map entry is kept, anything wrong in it reported and skipped.
  void finish_entry();
  void read_map_entry(const tree_node& map, const std::string& path);
  // The id in `value`, or nullopt after reporting why not.
  std::optional<session_id> read_id(const tree_node& value, position where, const std::string& path);
  // Fills `actions` from a list of known names (null leaves it unset); false after reporting a problem.
  bool read_actions(const tree_node& value, position where, const std::string& path, actions_t& actions);
  // Appends a good entry, or merges it into an earlier one with the same id (with a warning).
  void add_entry(session_id id, std::string label, actions_t actions, position where, const std::string& path);

  std::string_view text_;
  const std::string& name_;
  const std::set<std::string, std::less<>>& known_actions_;
  watch_load& out_;
  std::unordered_map<session_id, std::size_t> index_;  // id -> its place in out_.list.entries
  std::vector<frame> frames_;                          // the open collections, outermost first
  std::vector<tree_node> tree_;                        // the entry being read; [0] is its root
  bool entry_too_large_ = false;
  bool seen_sessions_ = false;
  long entry_index_ = -1;
  int documents_ = 0;
  YAML::Mark last_document_;
  int memo_line_ = -1;  // empty_at's last 0-based line and where it starts; -1 before first use
  std::size_t memo_offset_ = 0;
};

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

list_reader::frame list_reader::place_in_top_map(frame& parent, kind k, position where, const std::string& text) {
  if (parent.want_key) {
    parent.want_key = false;
    parent.value_is_sessions = k == kind::scalar && text == "sessions";
    if (parent.value_is_sessions && seen_sessions_) throw unusable{where, "sessions: duplicate key"};
    seen_sessions_ = seen_sessions_ || parent.value_is_sessions;
    if (k != kind::scalar) report(where, "unknown key (" + describe(k) + "), ignored", warning);
    else if (!parent.value_is_sessions) report(where, display_key(text) + ": unknown key, ignored", warning);
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
    add_entry(*id, {}, std::nullopt, where, entry_path());
  } else if (k == kind::scalar) {
    report(where, entry_path() + ": " + quote(text) + " is not a session id (expected 24 hex characters)");
  } else {
    report(where, entry_path() + (k == kind::null ? ": empty entry" : ": aliases are not supported"));
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
      if (which == -2) report(key.where, path + ": keys must be strings, found " + describe(key.what));
      else report(key.where, field + (which < 0 ? ": unknown key" : ": duplicate key"));
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
      label = value.text;
    } else if (value.what != kind::null) {
      report(value.where, field + ": expected a string, found " + describe(value.what));
      ok = false;
    }
  }
  if (!seen[0]) report(map.where, path + ": missing id");
  if (ok && id) add_entry(*id, std::move(label), std::move(actions), map.where, path);
}

std::optional<session_id> list_reader::read_id(const tree_node& value, position where, const std::string& path) {
  if (value.what != kind::scalar) {
    report(where, path + ": expected a session id, found " + describe(value.what));
    return std::nullopt;
  }
  auto id = session_id::parse(value.text);
  if (!id) report(where, path + ": " + quote(value.text) + " is not a session id (expected 24 hex characters)");
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

void list_reader::add_entry(session_id id, std::string label, actions_t actions, position where,
                            const std::string& path) {
  auto& entries = out_.list.entries;
  const auto [it, inserted] = index_.try_emplace(id, entries.size());
  if (inserted) {
    entries.push_back({id, std::move(label), std::move(actions), where.line});
    return;
  }
  watch_entry& first = entries[it->second];
  if (first.label.empty()) first.label = std::move(label);
  if (!first.actions) first.actions = std::move(actions);
  report(where, path + ": duplicate of line " + std::to_string(first.line) + ", merged", warning);
}

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

}  // namespace

watch_load parse_watch_list(std::string_view text, const std::string& name,
                            const std::set<std::string, std::less<>>& known_actions) {
  watch_load out;
  if (text.size() > max_bytes) return give_up(out, name, {}, "larger than 64 MiB");
  if (auto bad = prescan(text)) return give_up(out, name, bad->where, std::move(bad->message));
  view_buf buffer(text);
  std::istream in(&buffer);
  list_reader reader(text, name, known_actions, out);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(reader)) {
    }
  } catch (const unusable& bad) {
    give_up(out, name, bad.where, bad.message);
  } catch (const YAML::Exception& e) {
    give_up(out, name, at(e.mark), "YAML syntax error: " + e.msg);
  }
  return out;
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

watch_diff diff(const watch_list& prev, const watch_list& next) {
  std::unordered_map<session_id, std::size_t> before;  // id -> index in prev (ids are unique)
  before.reserve(prev.entries.size());
  for (std::size_t i = 0; i < prev.entries.size(); ++i) before.emplace(prev.entries[i].id, i);
  std::vector<bool> kept(prev.entries.size(), false);
  watch_diff d;
  for (const watch_entry& e : next.entries) {
    const auto it = before.find(e.id);
    if (it == before.end()) {
      d.added.push_back(e);
      continue;
    }
    kept[it->second] = true;
    if (!prev.entries[it->second].same_settings(e)) d.changed.push_back(e);
  }
  for (std::size_t i = 0; i < prev.entries.size(); ++i) {
    if (!kept[i]) d.removed.push_back(prev.entries[i].id);
  }
  return d;
}

}  // namespace fjwatch
