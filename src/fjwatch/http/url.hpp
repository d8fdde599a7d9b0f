#pragma once
// Absolute http(s) URLs as the config writes them (the API's base_url, a webhook's url).
#include "fjwatch/util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch {

// An absolute http(s) URL: scheme://host[:port][/path][?query]. No user info or fragment. IPv6
// literals in brackets. The port defaults to 443 / 80; path to "" (never ends with '/').
struct url_parts {
  std::string scheme;  // "https" or "http"
  std::string host;    // without brackets
  std::uint16_t port = 0;
  std::string path;   // "" or "/prefix"
  std::string query;  // after '?', as written; "" when none
  bool https() const { return scheme == "https"; }
  // The request target for this URL itself: path (or "/") and "?query" when there is one.
  std::string target() const {
    return (path.empty() ? "/" : path) + (query.empty() ? "" : "?" + query);
  }
  friend bool operator==(const url_parts&, const url_parts&) = default;
};
result<url_parts> parse_url(std::string_view text);

}  // namespace fjwatch
