#pragma once
// What the polling shows of itself, as plain values: each watched session for the operator, and
// the counters behind /metrics, /healthz and STATUS=. The scheduler fills them; the status pages
// read them without knowing the scheduler.
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/session_phase.hpp"
#include "fjwatch/policy/server_pause.hpp"
#include "fjwatch/status/metrics.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fjwatch {

// One watched session as the operator sees it (demo table, status).
struct session_view {
  std::string id;
  std::string label;
  std::optional<matching_status> status;
  session_phase phase = session_phase::active;
  std::int64_t matched = 0;
  std::int64_t total_for_matching = 0;
  std::uint32_t polls = 0;
  std::uint32_t events = 0;
  std::int64_t last_poll_ms = 0;  // unix ms, 0 = never
  std::int64_t next_poll_ms = 0;  // unix ms, 0 = none scheduled
  std::string last_error;
};

// Upper bounds, in seconds, of the poll latency histogram's buckets.
inline std::vector<double> poll_latency_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

// Counted where the thing happens, as plain integers (one thread); read by the control endpoint.
struct scheduler_stats {
  std::array<std::uint64_t, 8> polls_by_outcome{};  // indexed by poll_outcome::kind
  histogram poll_latency{poll_latency_bounds()};    // seconds, request start to outcome
  std::uint64_t connections_opened = 0;
  std::uint64_t events_recorded = 0;
  std::uint64_t state_commits = 0;                // transactions of the group commit
  std::uint64_t state_rows_committed = 0;         // session rows they wrote
  std::array<std::uint64_t, 4> events_by_type{};  // indexed by event_type
  std::uint64_t server_rate_limit_pauses = 0;  // a 429 or RateLimit-Remaining: 0 paused every poll
  // The latest such pause (capped at api.max_server_pause); nullopt before the first. Its end
  // may have passed.
  std::optional<server_pause> api_pause;
  std::uint64_t bucket_waits = 0;  // a poll waited for the api.rate token bucket
  int pipeline_depth = 1;  // requests sent at once per connection: api.pipeline, or 1 once the
                           // API mishandled pipelined requests
  bool auth_failing = false;
  // Since when every poll failed with a network error or a 5xx (the streak ends at the next
  // answer of any other kind); nullopt while the API answers.
  std::optional<std::chrono::steady_clock::time_point> api_failing_since;
  std::string api_last_failure;  // "server_error: HTTP 503", the last poll of that streak
  // The store's disk-full state (store::write_problem(), store::full_failures()), filled in by
  // the daemon.
  std::string store_write_problem;
  std::uint64_t store_full_failures = 0;
};

}  // namespace fjwatch
