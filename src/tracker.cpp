#include "fjwatch/tracker.hpp"

namespace fjwatch {
namespace {

bool timed_out(const tracked_session& s, const tracker_policy& p, std::int64_t now_ms) {
  return s.status != matching_status::done &&
         now_ms - s.waiting_since_ms >= p.give_up_after.count();
}

// A 200: compares the new snapshot with what was known and fires what it implies.
void apply_snapshot(tracked_session& s, const session_snapshot& snap, const tracker_policy& p,
                    std::int64_t now_ms, poll_decision& d) {
  const auto prev = s.status;
  const bool status_moved = prev != snap.status;
  const bool counter_moved = snap.search_more_counter != s.search_more_counter;
  const bool moved = status_moved || counter_moved || snap.matched != s.matched ||
                     snap.total_for_matching != s.total_for_matching;

  if (prev && status_moved && p.status_events) d.events.push_back(event_type::status_changed);
  const bool became_done = snap.status == matching_status::done &&
                           (prev != matching_status::done || counter_moved);
  if (became_done) d.events.push_back(event_type::done);
  // A new wait for done starts when a Fetch More cycle begins.
  if (prev == matching_status::done && snap.status != matching_status::done) {
    s.waiting_since_ms = now_ms;
  }

  s.status = snap.status;
  s.matched = snap.matched;
  s.total_for_matching = snap.total_for_matching;
  s.search_more_counter = snap.search_more_counter;
  s.gap = next_gap(s.gap, moved, p.cadence);
  d.persist = moved;
}

}  // namespace

tracker_policy make_tracker_policy(const config& cfg, bool status_events) {
  tracker_policy p;
  p.cadence = cadence_policy{cfg.poll.interval, cfg.poll.max_interval, cfg.poll.multiplier,
                             cfg.poll.jitter, cfg.retry.initial, cfg.retry.max};
  p.give_up_after = cfg.poll.give_up_after;
  p.after_done = cfg.poll.after_done;
  p.status_events = status_events;
  return p;
}

poll_decision decide(tracked_session& s, const poll_outcome& o, const tracker_policy& p,
                     std::int64_t now_ms, double u1, double u2) {
  using kind = poll_outcome::kind;
  poll_decision d;
  switch (o.what) {
    case kind::ok:
      s.failures = 0;
      apply_snapshot(s, *o.session, p, now_ms, d);
      break;
    case kind::not_modified:
      s.failures = 0;
      s.gap = next_gap(s.gap, false, p.cadence);
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
    s.gap = p.cadence.max_interval;
  } else if (timed_out(s, p, now_ms)) {
    d.events.push_back(event_type::timeout);
    s.phase = session_phase::timed_out;
    d.persist = d.stop = true;
    return d;
  }
  if (!o.failed()) d.delay = jittered(s.gap, p.cadence.jitter, u2);
  return d;
}

tracked_session from_row(const session_row& row) {
  tracked_session s;
  s.status = row.status;
  s.matched = row.matched;
  s.total_for_matching = row.total_for_matching;
  s.search_more_counter = row.search_more_counter;
  s.waiting_since_ms = row.waiting_since_ms;
  s.phase = row.phase;
  return s;
}

}  // namespace fjwatch
