#pragma once
// The one-line summary systemd shows for the service (STATUS=), and how the API's health is judged
// from the poll counters between two looks. Pure: no I/O, no clock.
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace fjwatch {

enum class api_health { unknown, ok, failing, unauthorized };

// Watched sessions by what is known of them.
struct session_counts {
  std::size_t waiting = 0;  // no answer yet
  std::size_t processing = 0;
  std::size_t fetching_more = 0;
  std::size_t done = 0;
  std::size_t not_found = 0;  // the API answered 404; no longer polled
  std::size_t timed_out = 0;  // give_up_after passed; no longer polled
  std::size_t total() const;
  bool operator==(const session_counts&) const = default;
};

// Polls so far by outcome, indexed by poll_outcome::kind (as scheduler_stats keeps them).
using poll_tally = std::array<std::uint64_t, 8>;

// What the summary is made of.
struct service_facts {
  session_counts sessions;
  std::int64_t deliveries_pending = 0;
  std::int64_t deliveries_failed = 0;
  api_health api = api_health::unknown;
  // While the API has paused every poll for a long time (long_server_pause or more): when the
  // pause ends, unix ms; 0 otherwise.
  std::int64_t paused_until_unix_ms = 0;
};

// E.g. "watching 42: 30 processing, 12 done; 3 deliveries pending; API ok". Buckets with no
// session are left out; failed deliveries are named only when there are some; a long pause the
// API asked for ends it with "; paused by the API until 2026-05-01T07:24:10.000Z".
std::string status_line(const service_facts& f);

// The API's health now: unauthorized while the 401 pause lasts; otherwise ok when some poll since
// the last look got an answer from the API (200, 304, 404, 429), failing when every one of them
// failed (5xx, bad response, network), and `previous` when nothing was polled (unauthorized
// turns ok once the pause is over).
api_health judge_api(api_health previous, const poll_tally& before, const poll_tally& now,
                     bool auth_failing);

}  // namespace fjwatch
