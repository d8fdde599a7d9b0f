#include "fjwatch/watchlist/detail/watch_layout.hpp"

#include "fjwatch/util/text.hpp"

#include <yaml-cpp/yaml.h>

namespace fjwatch::watch_layout {

namespace {

constexpr std::string_view bom = "\xef\xbb\xbf";

bool starts_word(std::string_view body, std::string_view word) {
  return body == word ||
         (body.starts_with(word) && (body[word.size()] == ' ' || body[word.size()] == '\t'));
}

// Splits `text` into classified lines.
std::vector<line> split(std::string_view text) {
  std::vector<line> out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', at);
    line l;
    l.begin = at;
    l.next = newline == text.npos ? text.size() : newline + 1;
    l.end = newline == text.npos ? text.size() : newline;
    if (l.end > l.begin && text[l.end - 1] == '\r') --l.end;
    std::size_t body_at = l.begin;
    if (out.empty() && text.substr(body_at).starts_with(bom)) body_at += bom.size();
    const std::size_t first = text.substr(0, l.end).find_first_not_of(' ', body_at);
    const std::string_view body = first == text.npos || first >= l.end
                                      ? std::string_view()
                                      : text.substr(first, l.end - first);
    l.indent = static_cast<int>((first == text.npos ? l.end : std::min(first, l.end)) - body_at);
    if (body.find_first_not_of(" \t") == body.npos)
      l.kind = line_kind::blank;
    else if (body.front() == '#')
      l.kind = line_kind::comment;
    else if (l.indent == 0 &&
             (starts_word(body, "---") || starts_word(body, "...") || body.front() == '%'))
      l.kind = line_kind::marker;
    else
      l.kind = line_kind::content;
    l.dash_item = l.kind == line_kind::content && starts_word(body, "-");
    out.push_back(l);
    at = l.next;
  }
  return out;
}

// The line's text after its indentation.
std::string_view body_of(std::string_view text, const line& l) {
  std::string_view all = text.substr(l.begin, l.end - l.begin);
  if (all.starts_with(bom)) all.remove_prefix(bom.size());
  return all.substr(static_cast<std::size_t>(l.indent));
}

// `value  # comment` split into its value and its comment (from '#'); both trimmed.
std::pair<std::string_view, std::string_view> split_comment(std::string_view rest) {
  std::size_t hash = rest.npos;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '#' && (i == 0 || rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
      hash = i;
      break;
    }
  }
  if (hash == rest.npos) return {trim(rest, " \t"), {}};
  return {trim(rest.substr(0, hash), " \t"), trim(rest.substr(hash), " \t")};
}

// The part after `sessions:` when `body` is that key (bare or quoted), else nullopt.
std::optional<std::string_view> sessions_value(std::string_view body) {
  for (std::string_view key : {"sessions:", "\"sessions\":", "'sessions':"}) {
    if (!body.starts_with(key)) continue;
    const std::string_view rest = body.substr(key.size());
    if (rest.empty() || rest.front() == ' ' || rest.front() == '\t') return rest;
  }
  return std::nullopt;
}

// The id of one entry, read from its own lines; nullopt when it has none that is valid.
std::optional<session_id> read_id(std::string_view entry_text) {
  try {
    const YAML::Node doc = YAML::Load(std::string(entry_text));
    if (!doc.IsSequence() || doc.size() != 1) return std::nullopt;
    const YAML::Node node = doc[0];
    if (node.IsScalar()) return session_id::parse(node.Scalar());
    if (!node.IsMap()) return std::nullopt;
    const YAML::Node id = node["id"];
    return id && id.IsScalar() ? session_id::parse(id.Scalar()) : std::nullopt;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

// Collects the items of a block sequence whose first content line is `from`.
void read_items(std::string_view text, layout& out, std::size_t from) {
  const auto& lines = out.lines;
  out.item_indent = lines[from].indent;
  for (std::size_t k = from; k < lines.size(); ++k) {
    const line& l = lines[k];
    if (l.kind == line_kind::marker) break;
    if (l.kind != line_kind::content) continue;
    if (l.indent < out.item_indent || (l.indent == out.item_indent && !l.dash_item)) break;
    if (l.indent == out.item_indent)
      out.items.push_back({k, k, std::nullopt});
    else
      out.items.back().last = k;
  }
  for (item& it : out.items) {
    const std::size_t begin = lines[it.first].begin;
    it.id = read_id(text.substr(begin, lines[it.last].end - begin));
  }
  const std::string_view first = body_of(text, lines[from]).substr(1);
  const auto gap = first.find_first_not_of(' ');
  if (gap != first.npos && gap > 0) out.dash_gap = static_cast<int>(gap);
}

// The first content line after `after` in the same document, or npos.
std::size_t next_content(const std::vector<line>& lines, std::size_t after) {
  for (std::size_t k = after + 1; k < lines.size(); ++k) {
    if (lines[k].kind == line_kind::marker) return std::string_view::npos;
    if (lines[k].kind == line_kind::content) return k;
  }
  return std::string_view::npos;
}

// Fills `out` from the `sessions:` key at line k.
void read_key(std::string_view text, layout& out, std::size_t k, std::string_view rest) {
  out.key_line = k;
  const auto [value, comment] = split_comment(rest);
  if (value.empty()) {
    out.shape = form::block;
    const std::size_t first = next_content(out.lines, k);
    if (first != std::string_view::npos && out.lines[first].dash_item) read_items(text, out, first);
  } else if (value == "[]" || value == "[ ]" || value == "~" || value == "null" ||
             value == "Null" || value == "NULL") {
    out.shape = form::empty_value;
    out.key_comment = comment;
  } else {
    out.shape = form::flow;
  }
}

}  // namespace

layout scan(std::string_view text) {
  layout out;
  out.lines = split(text);
  const auto newline = text.find('\n');
  if (newline != text.npos && newline > 0 && text[newline - 1] == '\r') out.eol = "\r\n";
  bool seen_content = false;
  for (std::size_t k = 0; k < out.lines.size(); ++k) {
    const line& l = out.lines[k];
    if (l.kind == line_kind::marker && seen_content) break;  // the loader reads one document
    if (l.kind != line_kind::content) continue;
    if (!seen_content && l.dash_item) {  // the document is a list, at any indentation
      out.shape = form::block;
      out.top_level_list = true;
      read_items(text, out, k);
      break;
    }
    if (!seen_content) {
      const std::string_view body = body_of(text, l);
      if (body.starts_with('[') || body.starts_with('{')) {  // the document is one flow collection
        out.shape = form::flow;
        out.key_line = k;
        break;
      }
    }
    seen_content = true;
    if (l.indent != 0) continue;
    if (const auto rest = sessions_value(body_of(text, l))) {
      read_key(text, out, k, *rest);
      break;
    }
  }
  return out;
}

}  // namespace fjwatch::watch_layout
