#include "fjwatch/watchlist/watch_edit.hpp"

#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/watchlist/detail/watch_layout.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

namespace fjwatch {

namespace {

using watch_layout::form;
using watch_layout::layout;

// The first error of a load, as "file:line:col: message".
std::string first_error(const watch_load& load) {
  for (const diagnostic& d : load.problems) {
    if (d.level == diagnostic::severity::error) return d.str();
  }
  return "cannot be read";
}

std::size_t error_count(const watch_load& load) {
  return static_cast<std::size_t>(
      std::count_if(load.problems.begin(), load.problems.end(),
                    [](const diagnostic& d) { return d.level == diagnostic::severity::error; }));
}

// The 1-based line of the first carriage return not followed by a line feed, or 0. YAML reads a
// lone CR as a line break; the layout (and every editor) splits lines at LF only.
int lone_carriage_return(std::string_view text) {
  for (std::size_t at = text.find('\r'); at != text.npos; at = text.find('\r', at + 1)) {
    if (at + 1 == text.size() || text[at + 1] != '\n') {
      return 1 + static_cast<int>(std::count(text.begin(),
                                             text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    }
  }
  return 0;
}

// The text as the loader sees it, or why it cannot be edited.
result<watch_load> load_for_edit(std::string_view text, const watch_edit_context& context,
                                 const layout& where) {
  watch_load load = parse_watch_list(text, context.name, context.known_actions);
  if (!load.usable) return fail(first_error(load) + " (fix the file first)");
  if (const int line = lone_carriage_return(text); line > 0) {
    return fail(
        context.name + ":" + std::to_string(line) +
        ": a carriage return without a line feed; fjwatch edits only files with \\n or \\r\\n "
        "line endings");
  }
  if (where.shape == form::flow) {
    return fail(context.name + ":" + std::to_string(where.key_line + 1) +
                ": sessions is written as a flow list [...]; fjwatch edits only the block form "
                "(one \"- ID\" per line)");
  }
  return load;
}

// The safety net: the new text must load, with exactly `expected` as its entries (ids, labels,
// actions, in order), and with no more entries in error than before (fewer when some are removed).
result<void> check_reads_back(std::string_view text, const watch_edit_context& context,
                              const watch_load& before, const std::vector<watch_entry>& expected) {
  const watch_load after = parse_watch_list(text, context.name, context.known_actions);
  if (!after.usable)
    return fail("refusing to write: the edited file would not parse: " + first_error(after));
  const auto& got = after.list.entries;
  const bool same =
      got.size() == expected.size() &&
      std::equal(got.begin(), got.end(), expected.begin(),
                 [](const watch_entry& a, const watch_entry& b) { return a.same_settings(b); });
  if (!same || error_count(after) > error_count(before)) {
    return fail(
        "refusing to write: the edited file would not read back as the same list with only the "
        "requested change (please report this, with the file)");
  }
  return {};
}

// Appends "- ID" or a map entry for `id` to `out`, `indent` spaces in.
result<void> render_entry(std::string& out, const layout& where, int indent, const session_id& id,
                          const watch_additions& request) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const std::string dash = "-" + std::string(static_cast<std::size_t>(where.dash_gap), ' ');
  if (request.label.empty() && request.actions.empty()) {
    out += pad + dash + std::string(id.view()) + where.eol;
    return {};
  }
  const std::string nested(static_cast<std::size_t>(indent) + dash.size(), ' ');
  out += pad + dash + "id: " + std::string(id.view()) + where.eol;
  if (!request.label.empty()) {
    auto quoted = yaml_quote(request.label);
    if (!quoted) return quoted.error();
    out += nested + "label: " + *quoted + where.eol;
  }
  if (!request.actions.empty()) {
    std::string list;
    for (const auto& name : request.actions) {
      const bool plain =
          !name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) &&
          name.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == name.npos &&
          name != "null" && name != "Null" && name != "NULL";
      auto quoted = plain ? result<std::string>(name) : yaml_quote(name);
      if (!quoted) return quoted.error();
      list += (list.empty() ? "" : ", ") + *quoted;
    }
    out += nested + "actions: [" + list + "]" + where.eol;
  }
  return {};
}

// `text` up to and including line `k`, with a line break after it even when the file had none.
std::string through_line(std::string_view text, const layout& where, std::size_t k) {
  const auto& l = where.lines[k];
  std::string out(text.substr(0, l.next));
  if (l.next == l.end) out += where.eol;
  return out;
}

// The new text: `block` (rendered entries) placed where the layout says new entries go.
std::string splice(std::string_view text, const layout& where, const std::string& block) {
  const auto& lines = where.lines;
  if (where.shape == form::absent) {
    std::string head = lines.empty() ? std::string() : through_line(text, where, lines.size() - 1);
    return head + "sessions:" + where.eol + block;
  }
  if (where.shape == form::empty_value) {
    const auto& key = lines[where.key_line];
    std::string head(text.substr(0, key.begin));
    const std::string comment = where.key_comment.empty() ? "" : " " + where.key_comment;
    return head + "sessions:" + comment + where.eol + block + std::string(text.substr(key.next));
  }
  const std::size_t after = where.items.empty() ? where.key_line : where.items.back().last;
  return through_line(text, where, after) + block + std::string(text.substr(lines[after].next));
}

// One code point inside a double-quoted scalar: escaped when YAML would not keep it as it is.
std::string escaped(std::uint32_t code, std::string_view utf8) {
  char buf[16];
  if (code == '"' || code == '\\') return std::string{'\\', static_cast<char>(code)};
  if (code == '\n') return "\\n";
  if (code == '\t') return "\\t";
  if (code < 0x20 || code == 0x7f) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(code));
    return buf;
  }
  // NEL, the line and paragraph separators and a BOM: line breaks or dropped by some readers.
  if (code == 0x85 || code == 0x2028 || code == 0x2029 || code == 0xfeff) {
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(code));
    return buf;
  }
  return std::string(utf8);
}

}  // namespace

result<watch_edit> add_entries(std::string_view text, const watch_additions& request,
                               const watch_edit_context& context) {
  const layout where = watch_layout::scan(text);
  auto before = load_for_edit(text, context, where);
  if (!before) return before.error();
  std::unordered_set<session_id> present;
  for (const auto& it : where.items) {
    if (it.id) present.insert(*it.id);
  }
  const int indent = where.items.empty() ? (where.top_level_list ? 0 : 2) : where.item_indent;
  watch_edit out;
  std::vector<watch_entry> expected = before->list.entries;
  std::string block;
  for (const session_id& id : request.ids) {
    if (!present.insert(id).second) {
      if (std::find(out.changed.begin(), out.changed.end(), id) == out.changed.end())
        out.unchanged.push_back(id);
      continue;
    }
    if (auto r = render_entry(block, where, indent, id, request); !r) return r.error();
    out.changed.push_back(id);
    expected.push_back({id, request.label,
                        request.actions.empty() ? std::nullopt : std::optional(request.actions),
                        0});
  }
  if (out.changed.empty()) {
    out.text = std::string(text);
    return out;
  }
  out.text = splice(text, where, block);
  if (auto ok = check_reads_back(out.text, context, *before, expected); !ok) return ok.error();
  return out;
}

result<watch_edit> remove_entries(std::string_view text, std::span<const session_id> ids,
                                  const watch_edit_context& context) {
  const layout where = watch_layout::scan(text);
  auto before = load_for_edit(text, context, where);
  if (!before) return before.error();
  const std::unordered_set<session_id> wanted(ids.begin(), ids.end());
  std::unordered_set<session_id> found;
  std::vector<bool> drop(where.lines.size(), false);
  for (const auto& it : where.items) {
    if (!it.id || !wanted.contains(*it.id)) continue;
    found.insert(*it.id);
    std::fill(drop.begin() + static_cast<std::ptrdiff_t>(it.first),
              drop.begin() + static_cast<std::ptrdiff_t>(it.last) + 1, true);
  }
  watch_edit out;
  std::unordered_set<session_id> reported;
  for (const session_id& id : ids) {
    if (!reported.insert(id).second) continue;
    (found.contains(id) ? out.changed : out.unchanged).push_back(id);
  }
  for (std::size_t k = 0; k < where.lines.size(); ++k) {
    if (!drop[k])
      out.text.append(
          text.substr(where.lines[k].begin, where.lines[k].next - where.lines[k].begin));
  }
  // The safety net for ids the layout did not place: the loader must not list them either.
  for (const auto& e : before->list.entries) {
    if (wanted.contains(e.id) && !found.contains(e.id)) {
      return fail("refusing to write: could not find the lines of " + e.id.str() +
                  " (please report this, with the file)");
    }
  }
  if (out.changed.empty()) return out;
  std::vector<watch_entry> expected;
  for (const auto& e : before->list.entries) {
    if (!found.contains(e.id)) expected.push_back(e);
  }
  if (auto ok = check_reads_back(out.text, context, *before, expected); !ok) return ok.error();
  return out;
}

result<std::string> yaml_quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const int length = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xe  ? 3
                       : (c >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + static_cast<std::size_t>(length) > text.size())
      return fail("not valid UTF-8");
    std::uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xc0) != 0x80) return fail("not valid UTF-8");
      code = (code << 6) | (next & 0x3f);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return fail("not valid UTF-8");
    }
    out += escaped(code, text.substr(i, static_cast<std::size_t>(length)));
    i += static_cast<std::size_t>(length);
  }
  return out + "\"";
}

}  // namespace fjwatch
