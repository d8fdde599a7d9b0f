#pragma once
// Text that crosses a boundary: UTF-8 checks, U+FFFD repair, and the escaping that keeps what
// others wrote (a label, a session title, a config value) from controlling a terminal, a log line
// or a JSON document. Pure functions of their input.
#include <cstddef>
#include <string>
#include <string_view>

namespace fjwatch {

// The byte offset of the first byte of `text` that is not part of well-formed UTF-8 (RFC 3629:
// no overlong forms, no surrogates, nothing past U+10FFFF); npos when the whole text is.
std::size_t first_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}

// `text` with each maximal ill-formed subsequence replaced by U+FFFD (Unicode §3.9, "substitution
// of maximal subparts"); well-formed text comes back unchanged.
std::string replace_invalid_utf8(std::string_view text);

// A JSON text repaired for a strict parser: invalid UTF-8 as above, and a \uD800-\uDFFF escape
// that is not half of a surrogate pair (what JavaScript's JSON.stringify writes for a lone
// surrogate) becomes \uFFFD. Nothing else changes, so a text that was not JSON stays not JSON.
std::string repair_json_text(std::string_view text);

// How escape() writes what must not pass through as it is.
enum class escape_style {
  // Inside a JSON string (also the text log's quoted values): \" \\ \n \r \t, other C0 controls
  // and DEL as \u00XX, C1 controls and bidi controls as \uXXXX, invalid UTF-8 as \ufffd.
  json,
  // For a person's terminal (CLI tables, error messages): \n \r \t \0, other C0 controls, DEL and
  // invalid bytes as \xNN, C1 and bidi controls as \uXXXX; quotes and backslashes stay.
  display,
};

// Appends `text` to `out`, escaped in `style`. Printable text, tabs excepted, passes unchanged.
// Bidi controls are U+061C, U+200E, U+200F, U+202A..U+202E and U+2066..U+2069: each can make a
// terminal show text in another order than it was written.
void append_escaped(std::string& out, std::string_view text, escape_style style);
inline std::string escaped(std::string_view text, escape_style style) {
  std::string out;
  append_escaped(out, text, style);
  return out;
}

// `text` without the characters of `set` at either end ("" when it holds nothing else). The
// default set is ASCII whitespace; HTTP's optional whitespace is " \t".
inline std::string_view trim(std::string_view text, std::string_view set = " \t\r\n\f\v") {
  const std::size_t first = text.find_first_not_of(set);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(set) - first + 1);
}

// Whether append_escaped(style) would change `text`.
bool needs_escape(std::string_view text, escape_style style);

// `text` in double quotes for a message to a person: '"' and '\\' escaped with a backslash, the
// rest escaped for display, cut after `max_bytes` (at a character's boundary) with "..." before
// the closing quote.
std::string quoted(std::string_view text, std::size_t max_bytes);

}  // namespace fjwatch
