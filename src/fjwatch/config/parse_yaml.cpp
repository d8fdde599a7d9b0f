// Turning config text into a YAML tree safely: a nesting scan before yaml-cpp (which recurses once
// per level), a walk of the tree after it (aliases can make it deep or huge).
#include "fjwatch/config/detail/config_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace fjwatch {
using namespace std::chrono_literals;
namespace {

constexpr int max_depth = 64;
constexpr std::size_t max_nodes = 100'000;

struct scan_state {
  std::vector<std::size_t> block;             // columns of the open block levels
  int flow = 0;                               // open [ and {
  char quote = 0;                             // inside a quoted scalar that may span lines
  std::optional<std::size_t> literal_indent;  // inside a | or > scalar under a line this indented
  int deepest_line = 0;
  int deepest_column = 0;

  bool too_deep(int line, std::size_t column) {
    if (static_cast<int>(block.size()) + flow <= max_depth) return false;
    deepest_line = line;
    deepest_column = static_cast<int>(column) + 1;
    return true;
  }
};

// A quote starts a scalar only where a value starts: first on the line, right after [ { or ',',
// or after ": ", "- " or "? ". Elsewhere (it's, a 'b) it is part of a plain scalar.
bool opens_quote(std::string_view line, std::size_t pos) {
  const std::size_t before = line.find_last_not_of(" \t", pos == 0 ? 0 : pos - 1);
  if (pos == 0 || before == std::string_view::npos) return true;
  const char c = line[before];
  if (c == '[' || c == '{' || c == ',') return true;
  return before + 1 < pos && (c == ':' || c == '-' || c == '?');
}

// A line whose value is "|" or ">" (with optional indicators) starts a block scalar.
bool ends_with_block_indicator(std::string_view code) {
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.remove_suffix(1);
  const std::size_t start = code.find_last_of(" \t");
  const std::string_view token = start == std::string_view::npos ? code : code.substr(start + 1);
  return !token.empty() && (token[0] == '|' || token[0] == '>') && token.size() <= 3 &&
         token.find_first_not_of("-+0123456789", 1) == std::string_view::npos;
}

// Opens the block levels at the start of a line: its indentation and each "- " or "? " on it.
// Sets `pos` past them; false when too deep.
bool open_block_levels(scan_state& s, std::string_view line, std::size_t indent, int line_no,
                       std::size_t& pos) {
  while (!s.block.empty() && s.block.back() >= indent) s.block.pop_back();
  s.block.push_back(indent);
  pos = indent;
  if (s.too_deep(line_no, pos)) return false;
  while (pos < line.size() && (line[pos] == '-' || line[pos] == '?') &&
         (pos + 1 == line.size() || line[pos + 1] == ' ')) {
    pos = line.find_first_not_of(' ', pos + 1);
    if (pos == std::string_view::npos) pos = line.size();
    s.block.push_back(pos);
    if (s.too_deep(line_no, pos)) return false;
  }
  return true;
}

// Follows quotes, comments and flow brackets to the end of the line; false when too deep.
bool scan_rest(scan_state& s, std::string_view line, std::size_t pos, int line_no) {
  for (; pos < line.size(); ++pos) {
    const char c = line[pos];
    if (s.quote != 0) {
      if (s.quote == '"' && c == '\\') {
        ++pos;
      } else if (c == s.quote) {
        if (s.quote == '\'' && pos + 1 < line.size() && line[pos + 1] == '\'') {
          ++pos;
        } else {
          s.quote = 0;
        }
      }
    } else if (c == '#' && (pos == 0 || line[pos - 1] == ' ' || line[pos - 1] == '\t')) {
      break;
    } else if ((c == '"' || c == '\'') && opens_quote(line, pos)) {
      s.quote = c;
    } else if (c == '[' || c == '{') {
      ++s.flow;
      if (s.too_deep(line_no, pos)) return false;
    } else if ((c == ']' || c == '}') && s.flow > 0) {
      --s.flow;
    }
  }
  return true;
}

// The 1-based position where nesting first goes past max_depth; a rough scan, not a parser.
std::optional<std::pair<int, int>> find_deep_nesting(std::string_view text) {
  scan_state s;
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(' ');
    const std::size_t indent = first == std::string_view::npos ? line.size() : first;
    const bool blank = indent == line.size() || line[indent] == '#';
    if (s.literal_indent) {
      if (blank || indent > *s.literal_indent) continue;
      s.literal_indent.reset();
    }
    std::size_t pos = 0;
    if (s.quote == 0 && s.flow == 0 && !blank &&
        !open_block_levels(s, line, indent, line_no, pos)) {
      return std::pair(s.deepest_line, s.deepest_column);
    }
    const bool block_context = s.quote == 0 && s.flow == 0;
    if (!scan_rest(s, line, pos, line_no)) return std::pair(s.deepest_line, s.deepest_column);
    const std::size_t hash = line.find(" #");
    if (block_context && s.quote == 0 && s.flow == 0 && !blank &&
        ends_with_block_indicator(line.substr(0, hash))) {
      s.literal_indent = indent;
    }
  }
  return std::nullopt;
}

// Depth-first over the tree; the first node past the depth or node-count limit, if any.
std::optional<YAML::Node> past_limits(const YAML::Node& n, int depth, std::size_t& count) {
  if (++count > max_nodes || depth > max_depth) return n;
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (auto bad = past_limits(it->first, depth + 1, count)) return bad;
      if (auto bad = past_limits(it->second, depth + 1, count)) return bad;
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (auto bad = past_limits(item, depth + 1, count)) return bad;
    }
  }
  return std::nullopt;
}

// Where the documents of a YAML stream start, reading at most two: yaml-cpp 0.7's LoadAll loops
// forever (and grows without bound) on a token it cannot use at the top level, such as a leading
// ',' or a stray '}', starting empty document after empty document at the same place.
class document_starts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The first two document starts of `text`; throws YAML::Exception on a syntax error in them.
std::vector<YAML::Mark> first_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  document_starts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  return starts.marks;
}

struct limit_problem {
  int line = 0;
  int column = 0;
  std::string message;
};

// Walks the whole tree once; a node past the depth limit is named by its own position, a tree
// with too many nodes by the top-level entry where the count ran out (aliases can point anywhere).
std::optional<limit_problem> check_limits(const YAML::Node& root) {
  std::size_t count = 0;
  auto problem = [&](const YAML::Node& bad, const YAML::Node& top) {
    const YAML::Mark m = count > max_nodes ? top.Mark() : bad.Mark();
    return limit_problem{m.line + 1, m.column + 1,
                         count > max_nodes
                             ? "more than " + std::to_string(max_nodes) + " values"
                             : "nested deeper than " + std::to_string(max_depth) + " levels"};
  };
  if (!root.IsMap()) {
    if (const auto bad = past_limits(root, 1, count)) return problem(*bad, root);
    return std::nullopt;
  }
  ++count;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (const auto bad = past_limits(it->first, 2, count)) return problem(*bad, it->first);
    if (const auto bad = past_limits(it->second, 2, count)) return problem(*bad, it->first);
  }
  return std::nullopt;
}

}  // namespace

std::optional<YAML::Node> parse_yaml(std::string_view text, config_reader& reader) {
  if (const auto deep = find_deep_nesting(text)) {
    reader.report_at(deep->first, deep->second,
                     "nested deeper than " + std::to_string(max_depth) + " levels");
    return std::nullopt;
  }
  const std::string copy(text);
  YAML::Node doc;
  try {
    const std::vector<YAML::Mark> starts = first_documents(copy);
    if (starts.empty()) return YAML::Node();
    if (starts.size() > 1) {
      const YAML::Mark& m = starts[1];
      reader.report_at(m.line + 1, m.column + 1,
                       m.pos == starts[0].pos ? "YAML syntax error: unexpected character"
                                              : "expected one YAML document, found more");
      return std::nullopt;
    }
    doc = YAML::Load(copy);
  } catch (const YAML::Exception& e) {
    reader.report_at(e.mark.is_null() ? 0 : e.mark.line + 1,
                     e.mark.is_null() ? 0 : e.mark.column + 1, e.msg);
    return std::nullopt;
  }
  if (const auto problem = check_limits(doc)) {
    reader.report_at(problem->line, problem->column, problem->message);
    return std::nullopt;
  }
  return doc;
}

}  // namespace fjwatch
