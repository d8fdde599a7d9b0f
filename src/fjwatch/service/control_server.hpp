#pragma once
// The control endpoint: GET /healthz, /metrics and /sessions over HTTP/1.1 on loopback TCP or a
// unix socket, served on the daemon's io_context (status/control_pages.hpp builds the answers).
#include "fjwatch/status/control_pages.hpp"
#include "fjwatch/util/units.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace fjwatch {

struct control_options {
  std::string address;        // config `control`: "host:port" or "unix:/path"
  bool allow_remote = false;  // config `control_allow_remote`
  millis unreachable_after = default_unreachable_after;
  millis header_timeout{2000};  // a request's header, from the start of the wait for it
  millis io_timeout{5000};      // a request's body, and each response's write
  // Open connections at most. One more closes the connection that has waited longest for a
  // request's header; when every one is busy answering, the newcomer is closed at once.
  std::size_t max_connections = 128;
  std::uint32_t max_header_bytes = 8 * 1024;  // larger: 431, then the connection closes
  std::uint32_t max_body_bytes = 4 * 1024;    // larger: 413, then the connection closes
  int max_requests_per_connection = 100;
};

// The endpoint. Single-threaded: every member is called on the io_context's thread.
class control_server {
 public:
  control_server(boost::asio::io_context& ioc, control_options opts, control_source source);
  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  // Binds, listens and starts accepting. Throws std::runtime_error "control endpoint <address>:
  // <why>" when the address cannot be bound, resolves off loopback without allow_remote, or
  // names a unix path that is not a socket or where another process listens. A stale socket
  // file (nobody listening) is replaced; the new one gets mode 0660.
  void start();
  // Closes the listener and every connection, removes the unix socket file it made. Idempotent.
  void stop();
  // Some accept or connection coroutine has not finished yet.
  bool running() const;
  // Connections accepted and not yet finished.
  std::size_t open_connections() const;
  // Where it listens: "127.0.0.1:9470", "[::1]:9470" or "unix:/path" (the actual port when the
  // address said 0); "" before start().
  const std::string& where() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace fjwatch
