#pragma once
// HTTP/1.1 messages as a client sends and receives them, and why a request got no response: plain
// values, no sockets (net/http_connection.hpp moves them; http/wire.hpp writes and parses them).
#include "fjwatch/util/units.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

struct http_header {
  std::string name;
  std::string value;
};

struct http_request {
  std::string method = "GET";
  std::string target;                // origin-form: "/path?query"
  std::vector<http_header> headers;  // sent in order; Host is added by the connection
  std::string body;                  // sent with a Content-Length when not empty
  bool idempotent = true;            // allows the one retry after a stale keep-alive connection
};

struct http_response {
  int status = 0;
  std::string body;
  bool body_dropped = false;  // the body was over max_body and drop_oversized_body was set

  // The first value of header `name` (case-insensitive); "" when absent.
  std::string_view header(std::string_view name) const;
  // Records one header field as received.
  void add_header(std::string_view name, std::string_view value);

 private:
  // Every field in one buffer: name length and value length (4 bytes each), then name and value.
  std::string fields_;
};

struct http_limits {
  millis step_timeout{10000};            // cap on each of resolve, connect, handshake, write, read
  std::size_t max_body = 1024 * 1024;    // a longer body fails with too_large "body too large"
  std::uint32_t max_header = 64 * 1024;  // larger headers fail with too_large "header too large"
  // For callers that need only the status and headers: a body over max_body is then no error.
  // It is left unread, the response comes back with an empty body and body_dropped set, and the
  // connection is closed.
  bool drop_oversized_body = false;
};

// Why a request got no usable response. `reason` is short and never holds request content.
struct http_error {
  enum class kind : std::uint8_t {
    network,    // resolve, connect, TLS, reset, closed: "connect: Connection refused"
    timeout,    // "timeout after 10s" (whole request) or "read: timeout after 5s" (one step)
    too_large,  // "body too large", "header too large"
    bad_http,   // the peer did not speak HTTP/1.1: "bad HTTP response: <what>"
  };
  kind what = kind::network;
  std::string reason;
};

using http_result = boost::system::result<http_response, http_error>;

}  // namespace fjwatch
