// The watch list parser's fast path. Most watch lists have this shape:
//
//   # comments and blank lines anywhere
//   sessions:                          (a comment may follow)
//     - 69f45196c8bbf1ce65b5bcd6       # a bare id; a comment may follow
//     - 69f45196c8bbf1ce65b5bcd7
//
// For such a text the YAML events are found line by line: the top map, its `sessions` key, the
// list, and one scalar per id, with the marks yaml-cpp would give. Any other line (an entry with
// a label or actions, another key, a directive, a tab, a carriage return, a byte-order mark, a
// NUL) sends the whole file to yaml-cpp: the fast path never parses part of a file with yaml-cpp,
// whose reading of one entry can depend on entries further on.
#include "fjwatch/watchlist/detail/list_reader.hpp"

#include <yaml-cpp/emitterstyle.h>

namespace fjwatch::detail {

namespace {

// True when `rest` is empty, or spaces, or spaces then a comment.
bool nothing_but_comment(std::string_view rest) {
  const std::size_t next = rest.find_first_not_of(' ');
  return next == rest.npos || (next > 0 && rest[next] == '#');
}

bool is_hex_id(std::string_view v) {
  if (v.size() < id_length) return false;
  for (std::size_t i = 0; i < id_length; ++i) {
    const char c = v[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

}  // namespace

std::optional<plain_shape> find_plain_shape(std::string_view text) {
  for (const char c : {'\r', '\t', '\0'}) {
    if (text.find(c) != text.npos) return std::nullopt;
  }
  if (text.starts_with("\xef\xbb\xbf")) return std::nullopt;
  constexpr std::string_view key = "sessions:";
  plain_shape out;
  bool have_key = false;
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size(); ++line) {
    const std::size_t newline = text.find('\n', at);
    const std::size_t end = newline == text.npos ? text.size() : newline;
    const std::string_view whole = text.substr(at, end - at);
    const std::size_t indent = whole.find_first_not_of(' ');
    if (indent == whole.npos || whole[indent] == '#') {  // blank or comment
      at = end + 1;
      continue;
    }
    const std::string_view body = whole.substr(indent);
    if (!have_key) {
      if (indent != 0 || !body.starts_with(key) || !nothing_but_comment(body.substr(key.size()))) {
        return std::nullopt;
      }
      have_key = true;
      out.key_line = line;
      out.key_offset = at;
    } else {
      if (out.entries.empty()) out.item_indent = indent;
      const std::size_t gap = body.find_first_not_of(' ', 1);
      if (indent != out.item_indent || !body.starts_with("- ") || gap == body.npos)
        return std::nullopt;
      const std::string_view value = body.substr(gap);
      if (!is_hex_id(value) || !nothing_but_comment(value.substr(id_length))) return std::nullopt;
      out.entries.push_back({.line = line, .begin = at, .value = at + indent + gap});
    }
    at = end + 1;
  }
  if (!have_key || out.entries.empty()) return std::nullopt;
  return out;
}

namespace {

YAML::Mark mark_at(std::size_t pos, std::size_t line, std::size_t column) {
  YAML::Mark m;
  m.pos = static_cast<int>(pos);
  m.line = static_cast<int>(line);
  m.column = static_cast<int>(column);
  return m;
}

}  // namespace

void stream_plain(std::string_view text, const plain_shape& shape, YAML::EventHandler& h) {
  const std::string tag = "?";  // yaml-cpp's tag for an untagged plain node
  const auto key = mark_at(shape.key_offset, shape.key_line, 0);
  h.OnDocumentStart(key);
  h.OnMapStart(key, tag, YAML::NullAnchor, YAML::EmitterStyle::Block);
  h.OnScalar(key, tag, YAML::NullAnchor, "sessions");
  const auto& first = shape.entries.front();
  h.OnSequenceStart(mark_at(first.begin + shape.item_indent, first.line, shape.item_indent), tag,
                    YAML::NullAnchor, YAML::EmitterStyle::Block);
  std::string id;
  for (const auto& e : shape.entries) {
    id.assign(text.substr(e.value, id_length));
    h.OnScalar(mark_at(e.value, e.line, e.value - e.begin), tag, YAML::NullAnchor, id);
  }
  h.OnSequenceEnd();
  h.OnMapEnd();
  h.OnDocumentEnd();
}

}  // namespace fjwatch::detail
