#include "fjwatch/policy/tracker.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <tuple>
#include <utility>

namespace fjwatch {
namespace {

bool timed_out(const tracked_session& s, const tracker_policy& p, std::int64_t now_ms) {
  return s.status != matching_status::done &&
         now_ms - s.waiting_since_ms >= p.give_up_after.count();
}

// What one successful poll showed of the counts, against what was known before it.
struct progress_change {
  bool restart = false;  // a new cycle, another total or fewer matched: the history is void
  bool rose = false;     // matched went up
  bool moved = false;    // anything the row keeps changed
};

// Adds this poll (s holds its counts) to the progress history and returns the success gap and
// the most the jitter may stretch it to.
std::pair<millis, millis> running_gap(tracked_session& s, const progress_change& c,
                                      std::int64_t now_ms, const cadence_policy& p) {
  // Nothing comparable yet, nothing matched since the anchor, or a stall just ended: the rate
  // can only be measured from this poll on.
  const bool stall_ended = c.rose && s.dry_polls >= stalled_after_polls;
  if (c.restart || s.anchor_ms == 0 || s.matched == s.anchor_matched || stall_ended) {
    s.anchor_ms = now_ms;
    s.anchor_matched = s.matched;
  }
  if (c.rose || c.restart) {
    s.dry_polls = 0;
  } else if (s.dry_polls < UINT8_MAX) {
    ++s.dry_polls;
  }
  const auto remaining =
      predict_remaining(s.anchor_ms, s.anchor_matched, now_ms, s.matched, s.total_for_matching);
  if (remaining && remaining->count() > 0 && s.dry_polls < stalled_after_polls) {
    s.gap = gap_to_finish(*remaining, millis(now_ms - s.anchor_ms), p);
    return {s.gap, s.gap};
  }
  s.gap = next_gap(s.gap, c.moved, p);
  return {s.gap, blind_cap(p)};
}

// A 200: compares the new snapshot with what was known and fires what it implies.
progress_change apply_snapshot(tracked_session& s, const session_snapshot& snap,
                               const tracker_policy& p, std::int64_t now_ms, poll_decision& d) {
  const auto prev = s.status;
  const bool status_moved = prev != snap.status;
  const bool counter_moved = snap.search_more_counter != s.search_more_counter;
  const bool total_moved = snap.total_for_matching != s.total_for_matching;
  progress_change c;
  c.restart = status_moved || counter_moved || total_moved || snap.matched < s.matched;
  c.rose = snap.matched > s.matched;
  c.moved = c.restart || c.rose;

  if (prev && status_moved && p.status_events) d.events.push_back(event_type::status_changed);
  const bool became_done =
      snap.status == matching_status::done && (prev != matching_status::done || counter_moved);
  if (became_done) d.events.push_back(event_type::done);
  // A new wait for done starts when a Fetch More cycle begins.
  if (prev == matching_status::done && snap.status != matching_status::done) {
    s.waiting_since_ms = now_ms;
  }

  s.status = snap.status;
  s.matched = snap.matched;
  s.total_for_matching = snap.total_for_matching;
  s.search_more_counter = snap.search_more_counter;
  // Status, Fetch More counter and total are written at once (events and their ids depend on
  // them). Matched rising alone is not: it changes on nearly every poll of a running search, and
  // a stale value after a crash only costs one early poll, never an event.
  d.persist = c.restart;
  return c;
}

}  // namespace

poll_decision decide(tracked_session& s, const poll_outcome& o, const tracker_policy& p,
                     std::int64_t now_ms, double u1, double u2) {
  using kind = poll_outcome::kind;
  poll_decision d;
  progress_change change;  // a 304 changes nothing
  switch (o.what) {
    case kind::ok:
      s.failures = 0;
      change = apply_snapshot(s, *o.session, p, now_ms, d);
      break;
    case kind::not_modified:
      s.failures = 0;
      break;
    case kind::not_found:
      d.events.push_back(event_type::not_found);
      s.phase = session_phase::not_found;
      d.persist = d.stop = true;
      return d;
    default:
      if (s.failures < UINT16_MAX) ++s.failures;
      d.delay = backoff(s.failures, p.cadence, u1, o.retry_after);
      break;
  }

  if (s.status == matching_status::done) {
    if (p.after_done == after_done_policy::stop) {
      s.phase = session_phase::done_stopped;
      d.persist = d.stop = true;
      return d;
    }
  } else if (timed_out(s, p, now_ms)) {
    d.events.push_back(event_type::timeout);
    s.phase = session_phase::timed_out;
    d.persist = d.stop = true;
    return d;
  }
  if (o.failed()) return d;
  const auto& c = p.cadence;
  millis gap = c.max_interval;
  millis ceiling = c.max_interval;
  if (s.status == matching_status::done) {
    s.gap = gap;
  } else {
    std::tie(gap, ceiling) = running_gap(s, change, now_ms, c);
  }
  d.delay = jittered_within(gap, c.jitter, u2, c.interval, ceiling);
  return d;
}

}  // namespace fjwatch
