#pragma once
// The outcome of one poll of Get Session Details, as every layer above the API client sees it.
#include "fjwatch/domain/session.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch {

// The outcome of one poll: a typed value, never an exception.
struct poll_outcome {
  enum class kind : std::uint8_t {
    ok,             // 200 with the documented JSON: `session` is set
    not_modified,   // 304 to our If-None-Match: nothing changed
    unauthorized,   // 401: the API key is rejected (concerns every session)
    not_found,      // 404: this session does not exist or is in another workspace
    rate_limited,   // 429
    server_error,   // 5xx
    bad_response,   // anything else: not JSON, missing fields, unknown status, too large, 3xx...
    network_error,  // resolve, connect, TLS, timeout, reset
  };
  kind what = kind::network_error;
  std::optional<session_snapshot> session;  // set when what == ok
  std::string etag;                         // the ETag of a 200 or 304, if any
  std::string reason;                       // short, for logs; never holds the API key
  int http_status = 0;                      // 0 when no response was read
  std::string request_id;                   // X-Request-Id, if any
  // The server's wait hint: Retry-After (seconds or HTTP-date), or for a 429 without one,
  // RateLimit-Reset.
  std::optional<std::chrono::milliseconds> retry_after;
  std::string retry_after_ignored;  // a Retry-After in neither form, as sent (printable, cut)
  std::optional<std::int64_t> ratelimit_remaining;           // RateLimit-Remaining
  std::optional<std::chrono::milliseconds> ratelimit_reset;  // RateLimit-Reset
  std::chrono::microseconds latency{0};                      // request start to outcome

  bool failed() const { return what != kind::ok && what != kind::not_modified; }
};

std::string_view to_string(poll_outcome::kind k);

}  // namespace fjwatch
