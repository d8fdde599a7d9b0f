#pragma once
// Internal to the watch list parser: the reader that turns YAML events into a watch list (with
// every diagnostic), the checks that run before any YAML is parsed, and the fast path that
// produces the events of a plain list without yaml-cpp. Shared by watch_list.cpp,
// list_reader.cpp, plain_list.cpp and their tests.
#include "fjwatch/domain/id_index.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <streambuf>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fjwatch::detail {

constexpr int max_depth = 64;                            // collections inside collections
constexpr std::size_t max_bytes = max_watch_list_bytes;  // whole file
constexpr std::size_t max_problems = 100;      // diagnostics kept; one more says there were more
constexpr std::size_t max_entry_nodes = 4096;  // YAML nodes in one entry of `sessions`
constexpr auto warning = diagnostic::severity::warning;

struct position {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

// A yaml-cpp mark as a 1-based position; {0, 0} for yaml-cpp's null mark.
inline position at(const YAML::Mark& mark) {
  return mark.is_null() ? position{} : position{mark.line + 1, mark.column + 1};
}

// Thrown from inside the parse when the file as a whole cannot be used.
struct unusable {
  position where;
  std::string message;
};

enum class kind : std::uint8_t { null, scalar, sequence, map, alias };

// Finds what must not reach yaml-cpp: NUL bytes, and flow collections ([ {) nested deeper than
// max_depth. Quotes and comments are skipped; a bracket inside a plain scalar in block context is
// not counted. Returns the problem and its position, or nullopt.
std::optional<unusable> prescan(std::string_view text);

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
  // Room for `n` entries' ids (the fast path knows how many are coming).
  void reserve(std::size_t n);

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 starts empty documents forever at a token it cannot use (a leading ',').
    if (documents_ > 0 && mark.pos == last_document_.pos) {
      throw unusable{at(mark), "YAML syntax error: unexpected character"};
    }
    last_document_ = mark;
    if (++documents_ == 2) report(at(mark), "a second YAML document is ignored", warning);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    place(kind::null, empty_at(mark), {});
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    place(kind::alias, at(mark), {});
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    place(kind::scalar, at(mark), value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(kind::sequence, at(mark));
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
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
  void report(position where, std::string message,
              diagnostic::severity level = diagnostic::severity::error) {
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
    if (f.what == role::entry && !frames_.empty() && frames_.back().what == role::sessions)
      finish_entry();
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
  std::optional<session_id> read_id(const tree_node& value, position where,
                                    const std::string& path);
  // Fills `actions` from a list of known names (null leaves it unset); false after reporting a problem.
  bool read_actions(const tree_node& value, position where, const std::string& path,
                    actions_t& actions);
  // Appends a good entry, or merges it into an earlier one with the same id (with a warning).
  void add_entry(session_id id, std::string label, actions_t actions, position where);

  std::string_view text_;
  const std::string& name_;
  const std::set<std::string, std::less<>>& known_actions_;
  watch_load& out_;
  id_index index_;  // id -> its place in out_.list.entries
  // What index_ reads an entry's id with.
  auto entry_ids() const {
    return [this](std::uint32_t i) -> const session_id& { return out_.list.entries[i].id; };
  }
  std::vector<frame> frames_;    // the open collections, outermost first
  std::vector<tree_node> tree_;  // the entry being read; [0] is its root
  bool entry_too_large_ = false;
  bool seen_sessions_ = false;
  long entry_index_ = -1;
  int documents_ = 0;
  YAML::Mark last_document_;
  int memo_line_ = -1;  // empty_at's last 0-based line and where it starts; -1 before first use
  std::size_t memo_offset_ = 0;
};

// yaml-cpp alone: the reference parse (parse_watch_list uses it whenever the fast path declines).
watch_load parse_watch_list_yaml(std::string_view text, const std::string& name,
                                 const std::set<std::string, std::less<>>& known_actions);

// The fast path (plain_list.cpp). A text of the plain shape is a `sessions:` list of bare
// ids, with comments; find_plain_shape() says where its key and ids are (nullopt for any other
// text), and stream_plain() sends `h` the events yaml-cpp would give for it. The shape needs no
// prescan (it has no flow collections and no NUL).
constexpr std::size_t id_length = 24;
struct plain_shape {
  struct bare_entry {
    std::size_t line = 0;   // 0-based
    std::size_t begin = 0;  // offset of the line
    std::size_t value = 0;  // offset of the id
  };
  std::size_t key_line = 0;
  std::size_t key_offset = 0;
  std::size_t item_indent = 0;
  std::vector<bare_entry> entries;
};
std::optional<plain_shape> find_plain_shape(std::string_view text);
void stream_plain(std::string_view text, const plain_shape& shape, YAML::EventHandler& h);

}  // namespace fjwatch::detail
