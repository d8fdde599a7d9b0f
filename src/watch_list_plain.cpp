// The watch list parser's fast path. A watch list nearly always has this shape:
//
//   # comments and blank lines anywhere
//   sessions:                          (a comment may follow)
//     - 69f45196c8bbf1ce65b5bcd6       # a bare id, a comment may follow
//     - id: 69f45196c8bbf1ce65b5bcd7   (any other entry, on one line or more)
//       label: "Pune .NET"
//
// For such a text the YAML events are found line by line: a bare id is one scalar event, and each
// run of other entries is handed to yaml-cpp as a document of its own, its events moved to where
// the run stands in the file. The shape is checked in full before any event is sent, and
// conservatively: whatever could join lines across entries (a quote, a flow collection or a block
// scalar that does not end on its line, anchors and aliases, tags, directives, tabs, carriage
// returns, a byte-order mark) sends the whole file to yaml-cpp instead.
#include "watch_list_reader.hpp"

#include <yaml-cpp/emitterstyle.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>

namespace fjwatch::detail {

namespace {

// More runs of non-bare entries than this and yaml-cpp over the whole file is as quick.
constexpr std::size_t max_runs = 64;
constexpr std::string_view plain_tag = "?";

struct entry_span {
  std::size_t line = 0;   // 0-based, the line of its '-'
  std::size_t begin = 0;  // offset of that line
  std::size_t end = 0;    // offset just past its last line
  std::size_t value = 0;  // bare: offset of the id
  bool bare = false;      // a bare id alone on its line
};

struct plain_shape {
  std::size_t key_line = 0;
  std::size_t key_offset = 0;
  int item_indent = 0;
  std::vector<entry_span> entries;
};

// The length of a line's content before its comment, trailing spaces dropped; nullopt when
// something in it could reach past the line or is outside the plain shape.
std::optional<std::size_t> content_length(std::string_view body) {
  char quote = 0;
  int depth = 0;
  std::size_t end = body.size();
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;  // the escaped character; a '\' at the very end leaves the quote open
      } else if (c == quote && quote == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
        ++i;  // '' inside single quotes
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '#' && (i == 0 || body[i - 1] == ' ')) {
      end = i;
      break;
    }
    switch (c) {
      case '"':
      case '\'': quote = c; break;
      case '[':
      case '{': ++depth; break;
      case ']':
      case '}':
        if (--depth < 0) return std::nullopt;
        break;
      case '&': case '*': case '!': case '|': case '>': case '%': case '@': case '`': case '?':
        return std::nullopt;
      default: break;
    }
  }
  if (quote != 0 || depth != 0) return std::nullopt;
  while (end > 0 && body[end - 1] == ' ') --end;
  return end;
}

bool is_bare_id(std::string_view v) {
  if (v.size() != 24) return false;
  for (const char c : v) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

// Where the `sessions` key and each entry are; nullopt when `text` is not of the plain shape.
std::optional<plain_shape> find_shape(std::string_view text) {
  for (const char c : {'\r', '\t', '\0'}) {
    if (text.find(c) != text.npos) return std::nullopt;
  }
  if (text.starts_with("\xef\xbb\xbf")) return std::nullopt;
  plain_shape out;
  bool have_key = false;
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size(); ++line) {
    const std::size_t newline = text.find('\n', at);
    const std::size_t next = newline == text.npos ? text.size() : newline + 1;
    const std::string_view whole = text.substr(at, next - at - (newline == text.npos ? 0 : 1));
    const std::size_t first = whole.find_first_not_of(' ');
    if (first == whole.npos || whole[first] == '#') {  // blank or comment
      at = next;
      continue;
    }
    const int indent = static_cast<int>(first);
    const auto length = content_length(whole.substr(first));
    if (!length) return std::nullopt;
    const std::string_view body = whole.substr(first, *length);
    const bool dash = body == "-" || body.starts_with("- ");
    if (!have_key) {
      if (indent != 0 || body != "sessions:") return std::nullopt;
      have_key = true;
      out.key_line = line;
      out.key_offset = at;
    } else if (out.entries.empty() && !dash) {
      return std::nullopt;
    } else if (out.entries.empty() || indent == out.item_indent) {
      if (!dash || (!out.entries.empty() && indent != out.item_indent)) return std::nullopt;
      out.item_indent = indent;
      if (!out.entries.empty()) out.entries.back().end = at;
      const std::string_view rest = body.substr(1);
      const std::string_view value = rest.substr(std::min(rest.size(), rest.find_first_not_of(' ')));
      out.entries.push_back({.line = line, .begin = at, .end = text.size(),
                             .value = static_cast<std::size_t>(value.data() - text.data()),
                             .bare = is_bare_id(value)});
    } else if (indent < out.item_indent) {
      return std::nullopt;
    } else {
      out.entries.back().bare = false;  // a line of its own: a map, or a scalar that goes on
    }
    at = next;
  }
  if (!have_key || out.entries.empty()) return std::nullopt;
  return out;
}

YAML::Mark mark_at(std::size_t pos, std::size_t line, std::size_t column) {
  YAML::Mark m;
  m.pos = static_cast<int>(pos);
  m.line = static_cast<int>(line);
  m.column = static_cast<int>(column);
  return m;
}

// Passes the events of one run's document on, moved by the run's place in the file, without the
// document and the run's own sequence (the entries belong to `sessions`).
class shifted final : public YAML::EventHandler {
 public:
  shifted(YAML::EventHandler& to, std::size_t lines, std::size_t offset)
      : to_(to), lines_(static_cast<int>(lines)), offset_(static_cast<int>(offset)) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { to_.OnNull(inside(m), a); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override { to_.OnAlias(inside(m), a); }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a, const std::string& v) override {
    to_.OnScalar(inside(m), tag, a, v);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                       YAML::EmitterStyle::value style) override {
    if (depth_++ == 0) return;
    to_.OnSequenceStart(move(m), tag, a, style);
  }
  void OnSequenceEnd() override {
    if (--depth_ > 0) to_.OnSequenceEnd();
  }
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                  YAML::EmitterStyle::value style) override {
    to_.OnMapStart(inside(m), tag, a, style);
    ++depth_;
  }
  void OnMapEnd() override {
    --depth_;
    to_.OnMapEnd();
  }

 private:
  YAML::Mark move(YAML::Mark m) const {
    if (!m.is_null()) {
      m.line += lines_;
      m.pos += offset_;
    }
    return m;
  }
  // A node must sit inside the run's sequence; anything else is not the shape this expects.
  YAML::Mark inside(const YAML::Mark& m) const {
    if (depth_ == 0) throw YAML::ParserException(move(m), "not a list of entries");
    return move(m);
  }

  YAML::EventHandler& to_;
  int lines_;
  int offset_;
  int depth_ = 0;
};

// yaml-cpp parses entries [first, last] as one document; their events go to `h`. The run passes
// prescan first (nesting depth), as a whole file would.
void send_run(std::string_view text, const entry_span& first, const entry_span& last,
              YAML::EventHandler& h) {
  const std::string_view run = text.substr(first.begin, last.end - first.begin);
  if (prescan(run)) throw YAML::ParserException(YAML::Mark::null_mark(), "refused by prescan");
  view_buf buffer(run);
  std::istream in(&buffer);
  shifted to(h, first.line, first.begin);
  YAML::Parser parser(in);
  for (int documents = 0; parser.HandleNextDocument(to);) {
    if (++documents > 1) throw YAML::ParserException(YAML::Mark::null_mark(), "a second document");
  }
}

}  // namespace

bool stream_plain(std::string_view text, YAML::EventHandler& h) {
  const auto shape = find_shape(text);
  if (!shape) return false;
  const auto& entries = shape->entries;
  std::size_t runs = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    runs += !entries[i].bare && (i == 0 || entries[i - 1].bare);
  }
  if (runs > max_runs) return false;

  const std::string tag(plain_tag);
  const auto key = mark_at(shape->key_offset, shape->key_line, 0);
  h.OnDocumentStart(key);
  h.OnMapStart(key, tag, YAML::NullAnchor, YAML::EmitterStyle::Block);
  h.OnScalar(key, tag, YAML::NullAnchor, "sessions");
  const auto& first = entries.front();
  h.OnSequenceStart(mark_at(first.begin + static_cast<std::size_t>(shape->item_indent), first.line,
                            static_cast<std::size_t>(shape->item_indent)),
                    tag, YAML::NullAnchor, YAML::EmitterStyle::Block);
  for (std::size_t i = 0; i < entries.size();) {
    const auto& e = entries[i];
    if (e.bare) {
      h.OnScalar(mark_at(e.value, e.line, e.value - e.begin), tag, YAML::NullAnchor,
                 std::string(text.substr(e.value, 24)));
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < entries.size() && !entries[j + 1].bare) ++j;
    send_run(text, e, entries[j], h);
    i = j + 1;
  }
  h.OnSequenceEnd();
  h.OnMapEnd();
  h.OnDocumentEnd();
  return true;
}

}  // namespace fjwatch::detail
