#pragma once
// What may be sent in an HTTP/1.1 message's header (RFC 9110): tokens and field values.
#include <string_view>

namespace fjwatch {

// Whether `s` is an HTTP token (RFC 9110 §5.6.2): a method or a header field's name.
inline bool is_http_token(std::string_view s) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (const char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Whether `value` may be sent as an HTTP header field's value: visible characters, spaces, tabs
// and bytes above 0x7f (RFC 9110 §5.5), no other control character (CR and LF above all would
// break the message). The config checks webhook headers with it; the client refuses to send
// anything else.
inline bool sendable_field_value(std::string_view value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace fjwatch
