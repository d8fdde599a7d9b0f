#pragma once
// The control endpoint: GET /healthz, /metrics and /sessions over HTTP/1.1 on loopback TCP or a
// unix socket, served on the daemon's io_context, plus the client `fjwatch status` uses. The
// pages are built by pure functions (tested without sockets) from what the daemon reads out of
// its scheduler, outbox and store at the time of each request.
#include "fjwatch/outbox/outbox.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/poll/scheduler.hpp"
#include "fjwatch/util/units.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// /healthz degrades once every poll has failed (network errors, 5xx) for this long.
inline constexpr millis default_unreachable_after{5 * 60 * 1000};

// Deliveries waiting and given up on, counted by the store.
struct outbox_totals {
  std::int64_t pending = 0;
  std::int64_t failed = 0;
};

// What the endpoint shows. Every function is called on the loop's thread, once per request that
// needs it; none may be empty.
struct control_source {
  std::function<std::vector<session_view>()> sessions;  // /sessions: O(sessions), allocates
  std::function<session_counts()> counts;               // /metrics: one pass, no allocation
  std::function<scheduler_stats()> stats;
  std::function<std::vector<delivery_counts>()> deliveries;
  // Throws (store_error or any std::exception) when the database cannot be read.
  std::function<outbox_totals()> outbox;
};

struct health_report {
  bool ok = true;
  std::string reason;  // "" when ok; else every problem, "; "-separated
};

// Degraded when the API key is rejected (s.auth_failing), every poll has failed for
// `unreachable_after` or longer at `now`, the API asked for a pause of every poll of
// long_server_pause or more that is still in force at `now` (the reason says when it ends), the
// last write to the database failed for a full disk (s.store_write_problem), or
// `database_problem` is not empty.
health_report judge_health(const scheduler_stats& s, std::string_view database_problem,
                           std::chrono::steady_clock::time_point now, millis unreachable_after);

// {"status":"ok"} or {"status":"degraded","reason":"..."}.
std::string health_json(const health_report& h);

// A JSON array, sorted by id, of {id, label, status (null before the first answer), state (the
// phase: active, done_stopped, not_found, timed_out), matched, total, polls, events, last_poll,
// last_poll_ms, next_poll, next_poll_ms (RFC 3339 / unix ms; null when never / none scheduled),
// last_error (null when the last poll succeeded)}.
std::string sessions_json(std::vector<session_view> sessions);

// The Prometheus text (0.0.4) of every fjwatch metric at `now`; the outbox gauges are left out
// when `outbox` is nullopt (the database could not be read).
std::string metrics_text(const scheduler_stats& s, const session_counts& sessions,
                         const std::vector<delivery_counts>& deliveries,
                         const std::optional<outbox_totals>& outbox,
                         std::chrono::steady_clock::time_point now);

// One answer before HTTP framing. For HEAD the body is computed (for Content-Length) and not sent.
struct control_reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // the Allow header of a 405
};

// Routes one request. GET or HEAD of /healthz (200 or 503), /metrics, /sessions; the query string
// is ignored. Another method on those paths: 405 with Allow: GET, HEAD; any other path: 404.
control_reply answer_control(std::string_view method, std::string_view target,
                             const control_source& source, std::chrono::steady_clock::time_point now,
                             millis unreachable_after);

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

// One answer read by control_get.
struct control_response {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET `target` from the endpoint at `address` (as in the config), within `timeout` from connect
// to the last byte. Fails with "connect: Connection refused", "timeout after 2s", ... .
result<control_response> control_get(const std::string& address, std::string_view target,
                                     millis timeout);

}  // namespace fjwatch
