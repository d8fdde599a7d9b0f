#pragma once
// Durations ("250ms", "5s", "1h30m") and rates ("10/s", "600/min") as written in the config.
#include "fjwatch/util/result.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch {

using millis = std::chrono::milliseconds;

// Parses one or more <integer><unit> parts, units d, h, m, s, ms, in decreasing order, each unit at
// most once: "250ms", "5s", "2m", "1h30m", "1d12h". Fails on anything else (empty, a bare number,
// a negative, a unit out of order, overflow past ~292 years).
result<millis> parse_duration(std::string_view text);

// The wall clock as unix milliseconds: how the store, events and the CLI keep time.
std::int64_t unix_ms_now();

// A unix time in milliseconds as RFC 3339 UTC with milliseconds: "2026-05-01T07:09:10.110Z".
std::string format_rfc3339(std::int64_t unix_ms);

// The shortest form parse_duration reads back to the same value: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(millis d);

// Requests per second, parsed from "<number>/<unit>", unit s|sec|second|m|min|minute|h|hour;
// the number is positive and may have a fraction ("0.5/s"). Fails on anything else.
struct rate {
  double per_second = 0;
  friend bool operator==(const rate&, const rate&) = default;
};
result<rate> parse_rate(std::string_view text);

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

// An absolute http(s) URL: scheme://host[:port][/path][?query]. No user info or fragment. IPv6
// literals in brackets. The port defaults to 443 / 80; path to "" (never ends with '/').
struct url_parts {
  std::string scheme;  // "https" or "http"
  std::string host;    // without brackets
  std::uint16_t port = 0;
  std::string path;    // "" or "/prefix"
  std::string query;   // after '?', as written; "" when none
  bool https() const { return scheme == "https"; }
  // The request target for this URL itself: path (or "/") and "?query" when there is one.
  std::string target() const { return (path.empty() ? "/" : path) + (query.empty() ? "" : "?" + query); }
  friend bool operator==(const url_parts&, const url_parts&) = default;
};
result<url_parts> parse_url(std::string_view text);

}  // namespace fjwatch
