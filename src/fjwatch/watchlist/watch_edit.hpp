#pragma once
// Edits the text of a watch list file the way a careful person would: only the lines of the
// entries added or removed change; comments, order, blank lines, quoting and line endings of
// everything else stay byte for byte the same. Pure: no I/O, no clock; the caller reads and
// writes the file (see atomic_file.hpp).
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// What `fjwatch add` asks for: the same label and actions for every id.
struct watch_additions {
  std::vector<session_id> ids;       // in order; a repeated id counts once
  std::string label;                 // "" writes no label
  std::vector<std::string> actions;  // empty writes no `actions:` (the config's defaults apply)
};

// How to read the file back: its name (in messages, as file:line:col) and the config's action
// names (entries naming others are skipped by the loader, as the daemon would).
struct watch_edit_context {
  std::string name;
  std::set<std::string, std::less<>> known_actions;
};

// An edit's outcome: the new text and, in request order, which ids it touched and which it left.
struct watch_edit {
  std::string text;
  std::vector<session_id> changed;    // added, or removed
  std::vector<session_id> unchanged;  // add: already in the list; remove: not in the list
};

// Appends one entry per id not yet in the `sessions` sequence, after its last entry, in the
// indentation of the existing entries: `- ID` when there is no label or action, else a map entry
// (`- id: ID` with `label:` double-quoted and `actions: [..]` on the lines below). Handles an
// empty file, a file of comments only (a `sessions:` block is appended), `sessions:` with no
// value or `sessions: []`/`~`/`null` (that line alone is rewritten), a top-level list, CRLF line
// endings (kept) and a missing final newline (one is added to the last line). An id already
// listed (in any entry, even one the loader skips) is left as it is and reported in `unchanged`.
// Fails, changing nothing, when the text is not a usable watch list, when `sessions` is a
// non-empty flow list (`[a, b]`) or the whole document is one flow collection (`[]`, `{..}`), when
// a carriage return is not followed by a line feed, when the label is not valid UTF-8, or when the new text would not parse back to the old entries plus
// the new ones.
result<watch_edit> add_entries(std::string_view text, const watch_additions& request,
                               const watch_edit_context& context);

// Deletes every entry of the `sessions` sequence whose id is one of `ids` (each occurrence):
// all of its lines, from its `- ` line to its last nested line, with the comments between them.
// Comments and blank lines before and after an entry stay. Ids not listed are reported in
// `unchanged`. Fails, changing nothing, when the text is not a usable watch list, when `sessions`
// is a non-empty flow list or the whole document is one flow collection, when a carriage return
// is not followed by a line feed, or when the new text would not parse back to the old entries
// minus the removed ones.
result<watch_edit> remove_entries(std::string_view text, std::span<const session_id> ids,
                                  const watch_edit_context& context);

// `text` as a YAML double-quoted scalar: `"` and `\` escaped, control characters as \xNN, \n,
// \t; other UTF-8 kept. Fails when `text` is not valid UTF-8.
result<std::string> yaml_quote(std::string_view text);

}  // namespace fjwatch
