#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/util/text.hpp"

#include <stdexcept>

namespace fjwatch {

// Escaped whole: a file name or a message may carry bytes from the file it is about, and no
// control byte of a user's file may reach a terminal.
std::string diagnostic::str() const { return escaped(where() + ": " + message, escape_style::display); }

std::optional<session_id> session_id::parse(std::string_view text) {
  if (text.size() != 24) return std::nullopt;
  session_id id;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return std::nullopt;
    id.chars_[i] = c;
  }
  return id;
}

std::string_view to_string(matching_status s) {
  switch (s) {
    case matching_status::processing: return "processing";
    case matching_status::fetching_more: return "fetching_more";
    case matching_status::done: return "done";
  }
  return "unknown";
}

std::optional<matching_status> parse_matching_status(std::string_view text) {
  if (text == "processing") return matching_status::processing;
  if (text == "fetching_more") return matching_status::fetching_more;
  if (text == "done") return matching_status::done;
  return std::nullopt;
}

std::string_view to_string(poll_outcome::kind k) {
  using enum poll_outcome::kind;
  switch (k) {
    case ok: return "ok";
    case not_modified: return "not_modified";
    case unauthorized: return "unauthorized";
    case not_found: return "not_found";
    case rate_limited: return "rate_limited";
    case server_error: return "server_error";
    case bad_response: return "bad_response";
    case network_error: return "network_error";
  }
  return "unknown";
}

}  // namespace fjwatch
