#pragma once
// The pages of the control endpoint (/healthz, /metrics, /sessions), built by pure functions
// (tested without sockets) from what the daemon reads out of its scheduler, outbox and store at
// the time of each request.
#include "fjwatch/status/delivery_counts.hpp"
#include "fjwatch/status/poll_stats.hpp"
#include "fjwatch/status/service_status.hpp"
#include "fjwatch/util/units.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// /healthz degrades once every poll has failed (network errors, 5xx) for this long.
inline constexpr millis default_unreachable_after{5 * 60 * 1000};

// The database's size and rows, and what retention removed since start.
struct database_totals {
  std::int64_t file_bytes = 0;
  std::int64_t free_bytes = 0;
  std::int64_t sessions = 0;
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t forgotten_sessions = 0;
  std::int64_t pruned_events = 0;
  std::int64_t pruned_deliveries = 0;
  std::int64_t pruned_sessions = 0;
  std::int64_t bytes_returned = 0;
};

// What the store counts: deliveries waiting and given up on, and (when known) its size.
struct outbox_totals {
  std::int64_t pending = 0;
  std::int64_t failed = 0;
  std::optional<database_totals> database;
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

// Degraded when an action is disabled (a receiver answered 410 Gone: deliveries[i].disabled),
// the API key is rejected (s.auth_failing), every poll has failed for
// `unreachable_after` or longer at `now`, the API asked for a pause of every poll of
// long_server_pause or more that is still in force at `now` (the reason says when it ends), the
// last write to the database failed for a full disk (s.store_write_problem), or
// `database_problem` is not empty.
health_report judge_health(const scheduler_stats& s, std::string_view database_problem,
                           std::chrono::steady_clock::time_point now, millis unreachable_after,
                           const std::vector<delivery_counts>& deliveries = {});

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
                             const control_source& source,
                             std::chrono::steady_clock::time_point now, millis unreachable_after);

}  // namespace fjwatch
