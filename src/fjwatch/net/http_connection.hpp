#pragma once
// A client HTTP/1.1 connection to one origin (http or https) with deadlines, keep-alive and size
// limits. Used by the API client and by webhook delivery; Beast and OpenSSL stay in the .cpp.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fjwatch/http/message.hpp"
#include "fjwatch/http/proxy.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/util/units.hpp"

namespace fjwatch {

// A client TLS context: the peer is verified against the system store plus `ca_file` ("" for
// none), TLS 1.2 at least. Throws std::runtime_error naming the file if it cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file);

// One keep-alive connection to `origin`, opened on first use, reused across requests, reopened
// after the server closes it or any error. Never follows redirects. Not thread-safe; one request
// at a time, on the executor it was built with.
class http_connection {
 public:
  // `tls` must be set when origin is https; unused for http. With a `proxy`, every connection
  // is a tunnel through it (HTTP CONNECT to the origin's host:port, with its Proxy-Authorization
  // when set), then TLS with the origin as without one: SNI and the certificate check are the
  // origin's, so the proxy sees neither headers nor bodies. The request's timeout covers the
  // proxy's steps too; a proxy's refusal fails the request with "proxy <host:port> refused
  // CONNECT: <status> <reason>" (never naming the credentials).
  http_connection(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
                  url_parts origin, http_limits limits = {},
                  std::optional<proxy_route> proxy = std::nullopt);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  // Sends `req` (which must outlive the operation) and reads the whole response within
  // `timeout` (DNS to last byte). When req.idempotent, a reused connection that fails before any
  // byte of response is retried once on a fresh one. A request that cannot be written as valid
  // HTTP (a line break in a header value) is not sent. Network and protocol failures come back
  // as http_error, never as exceptions; the connection is closed after them.
  boost::asio::awaitable<http_result> request(const http_request& req, millis timeout);

  // HTTP/1.1 pipelining: sends every request of `reqs` (which must outlive the operation) in one
  // write and reads their answers in order, one result per request, all within `timeout`. When
  // the connection fails or closes before an answer began, the idempotent requests still without
  // one are sent again on a fresh connection, as long as each attempt got at least one answer
  // (or once, when a reused connection turned out stale); otherwise they fail with the same
  // error. A set holding a request that cannot be written as valid HTTP is not sent at all.
  boost::asio::awaitable<std::vector<http_result>> request_all(std::span<const http_request> reqs,
                                                               millis timeout);

  // What the last request_all of more than one request showed of a server that does not take
  // pipelined requests, "" when nothing: it went silent after answering some of them (a step
  // timeout after an answer), or it closed the connection unannounced after answering some, twice
  // within one set. A close announced with `Connection: close` (a server's limit of requests per
  // connection) is not counted.
  const std::string& pipelining_problem() const;

  // Closes the connection now; a pending request fails and the next one reconnects.
  void close();

  // TCP connections established so far (for https each followed by one TLS handshake; through a
  // proxy, connections to the proxy, each a tunnel).
  std::uint64_t connections_opened() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fjwatch
