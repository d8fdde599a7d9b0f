// The scheduler as operators see it: per-poll counters, the sessions table, health facts and
// counts by state (kept as slots change). O(1) per poll and per count, O(sessions) per view.
#include "fjwatch/poll/scheduler.hpp"

#include "fjwatch/poll/detail/slot.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <cassert>

namespace fjwatch {

// The poll's outcome and latency, and whether the API is still answering: a network error or a
// 5xx continues a failing streak, any other outcome ends it.
void scheduler::count_poll(const poll_outcome& o) {
  ++stats_.polls_by_outcome[static_cast<std::size_t>(o.what)];
  stats_.poll_latency.observe(std::chrono::duration<double>(o.latency).count());
  if (o.what != poll_outcome::kind::network_error && o.what != poll_outcome::kind::server_error) {
    stats_.api_failing_since.reset();
    return;
  }
  if (!stats_.api_failing_since) stats_.api_failing_since = clock::now();
  stats_.api_last_failure = std::string(to_string(o.what)) + ": " + o.reason;
}

std::vector<session_view> scheduler::view() const {
  std::vector<session_view> out;
  out.reserve(index_.size());
  const auto now_steady = clock::now();
  const auto now_ms = unix_ms_now();
  for (const auto& s : slots_) {
    if (!s.watched) continue;
    session_view v{.id = s.id.str(),
                   .label = s.label(),
                   .status = s.t.status,
                   .phase = s.t.phase,
                   .matched = s.t.matched,
                   .total_for_matching = s.t.total_for_matching,
                   .polls = s.polls,
                   .events = s.events,
                   .last_poll_ms = s.last_poll_ms,
                   .last_error = s.last_error()};
    if (s.t.phase == session_phase::active && !s.in_flight) {
      const auto due = std::max(s.due, paused_until_);
      v.next_poll_ms = now_ms + std::chrono::duration_cast<millis>(due - now_steady).count();
    }
    out.push_back(std::move(v));
  }
  return out;
}

scheduler_stats scheduler::stats() const {
  auto s = stats_;
  s.auth_failing = auth_.failing();
  for (const auto& w : workers_) s.connections_opened += w->client.connections_opened();
  return s;
}

std::size_t& scheduler::count_of(session_counts& c, const tracked_session& t) {
  if (t.phase == session_phase::not_found) return c.not_found;
  if (t.phase == session_phase::timed_out) return c.timed_out;
  if (!t.status) return c.waiting;
  switch (*t.status) {
    case matching_status::processing:
      return c.processing;
    case matching_status::fetching_more:
      return c.fetching_more;
    case matching_status::done:
      return c.done;
  }
  return c.waiting;
}

void scheduler::set_tracked(slot& s, const tracked_session& t) {
  if (s.watched) --count_of(counts_, s.t);
  s.t = t;
  if (s.watched) ++count_of(counts_, s.t);
}

void scheduler::set_watched(slot& s, bool watched) {
  if (s.watched == watched) return;
  s.watched = watched;
  auto& n = count_of(counts_, s.t);
  watched ? ++n : --n;
}

session_counts scheduler::counts() const {
#ifndef NDEBUG
  // The counts are kept as slots change; a debug build checks them against a pass over the slots.
  session_counts recount;
  for (const auto& s : slots_) {
    if (s.watched) ++count_of(recount, s.t);
  }
  assert(recount == counts_);
#endif
  return counts_;
}

}  // namespace fjwatch
