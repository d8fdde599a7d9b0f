#pragma once
// One GET of one session over a keep-alive TLS connection, into a poll_outcome.
#include "fjwatch/net/http_connection.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/http/proxy.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

struct api_target {
  url_parts base;                    // from api.base_url; https unless allow_insecure_http was set
  millis timeout{10000};             // whole request: connect (if needed) to the last byte
  std::optional<proxy_route> proxy;  // a tunnel through this proxy (see http_connection)
};

// A client context for the API: peer verification against the system store plus `ca_file`
// ("" for none), TLS 1.2 minimum. Throws std::runtime_error naming the file if ca_file cannot be
// loaded. Shared by every api_client (it is read-only once built).
std::shared_ptr<boost::asio::ssl::context> make_api_tls_context(const std::string& ca_file);

// One session to poll, and the ETag of what was last seen of it ("" for none).
struct poll_item {
  session_id id;
  std::string etag;
};

// One worker's client: one connection, opened on first use, reused across polls, reopened after
// the server closes it or any error. Requests carry x-fj-api-key (only ever to base.host),
// If-None-Match with the given etag, and never follow redirects. Not thread-safe; one poll (or
// one set of pipelined polls) at a time.
class api_client {
 public:
  api_client(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
             api_target target, std::string api_key);
  ~api_client();
  api_client(const api_client&) = delete;
  api_client& operator=(const api_client&) = delete;

  // Polls every item at once over the one connection (one item: a plain request; more: HTTP/1.1
  // pipelining, see http_connection::request_all): one outcome per item, in order; every latency
  // runs from the start of the set to its end. `items` must outlive the operation. Never throws
  // for network or protocol failures: they come back as outcomes.
  boost::asio::awaitable<std::vector<poll_outcome>> poll_all(std::span<const poll_item> items);

  // What the last poll_all of more than one item showed of a server that mishandles pipelined
  // requests ("" when nothing): http_connection::pipelining_problem, or an answer for another
  // session among them (answers out of order).
  const std::string& pipelining_problem() const { return pipelining_problem_; }

  // The key later polls send (a reload loaded a new one). Call between polls, not during one.
  void set_api_key(std::string key);

  // Closes the connection now (shutdown); the next poll reconnects.
  void close();

  // Connections opened so far (each a TCP connect and, for https, one TLS handshake).
  std::uint64_t connections_opened() const;

 private:
  static constexpr std::size_t fixed_headers = 3;  // User-Agent, Accept, x-fj-api-key

  std::unique_ptr<http_connection> conn_;
  api_target target_;
  std::string api_key_;
  std::vector<http_request> reqs_;  // one per item of the largest set so far, reused
  std::string target_prefix_;       // the path up to the session id
  std::string pipelining_problem_;  // of the last set
};

}  // namespace fjwatch
