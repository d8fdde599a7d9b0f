#include "fjwatch/policy/tracker.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
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

// A success gap and the range the jitter may move it within.
struct spread_gap {
  millis gap;
  millis lo;
  millis hi;
};

// Keeps where an estimate put the finish (ms after the anchor), or nothing when it is too far.
void remember_finish(tracked_session& s, std::int64_t now_ms, millis remaining) {
  const std::int64_t after = now_ms - s.anchor_ms + remaining.count();
  s.finish_after_anchor_ms = after > 0 && after <= INT32_MAX ? static_cast<std::int32_t>(after) : 0;
}

// The first rise after a stall: the climb began some time since the last poll that saw the old
// count (the anchor). Estimated as if halfway, the rate gives a rough finish for the next poll
// to confirm or correct; nullopt when it predicts nothing.
std::optional<millis> estimate_after_stall(const tracked_session& s, std::int64_t now_ms,
                                           std::int64_t& since_ms) {
  since_ms = s.anchor_ms + (now_ms - s.anchor_ms) / 2;
  return predict_remaining(since_ms, s.anchor_matched, now_ms, s.matched, s.total_for_matching);
}

// Adds this poll (s holds its counts) to the progress history and returns the success gap.
spread_gap running_gap(tracked_session& s, const progress_change& c, std::int64_t now_ms,
                       const cadence_policy& p) {
  const millis ceiling = std::max(p.interval, p.max_interval);
  const auto aim = [&](millis remaining, millis evidence) {
    s.gap = std::chrono::duration_cast<decltype(s.gap)>(gap_to_finish(remaining, evidence, p));
    return spread_gap{s.gap, p.interval, s.gap};
  };
  const bool stall_ended =
      c.rose && !c.restart && s.dry_polls >= stalled_after_polls && s.anchor_ms != 0;
  std::int64_t since_ms = 0;
  const auto rough = stall_ended ? estimate_after_stall(s, now_ms, since_ms) : std::nullopt;
  if (c.rose || c.restart) {
    s.dry_polls = 0;
  } else if (s.dry_polls < UINT8_MAX) {
    ++s.dry_polls;
  }
  // Nothing comparable yet, nothing matched since the anchor, stalled, or a stall just ended:
  // the rate can only be measured from this poll on. (So while stalled, the anchor is the last
  // poll that saw the count before a rise.)
  const bool stalled = s.dry_polls >= stalled_after_polls;
  if (c.restart || s.anchor_ms == 0 || s.matched == s.anchor_matched || stalled || stall_ended) {
    s.anchor_ms = now_ms;
    s.anchor_matched = s.matched;
    s.finish_after_anchor_ms = 0;
  }
  if (rough && rough->count() > 0) {
    remember_finish(s, now_ms, *rough);
    return aim(*rough, millis(now_ms - since_ms));
  }
  const auto remaining =
      predict_remaining(s.anchor_ms, s.anchor_matched, now_ms, s.matched, s.total_for_matching);
  if (remaining && remaining->count() > 0 && !stalled) {
    const std::int32_t earlier = s.finish_after_anchor_ms;
    remember_finish(s, now_ms, *remaining);
    if (earlier != 0 && finish_confirmed(s.anchor_ms + earlier, now_ms, *remaining, p)) {
      // Confirmed: aim at the finish itself, and let the jitter only delay the poll past it.
      s.gap =
          std::chrono::duration_cast<decltype(s.gap)>(std::clamp(*remaining, p.interval, ceiling));
      return {s.gap, s.gap, ceiling};
    }
    return aim(*remaining, millis(now_ms - s.anchor_ms));
  }
  s.finish_after_anchor_ms = 0;
  s.gap = std::chrono::duration_cast<decltype(s.gap)>(next_gap(s.gap, c.moved, p));
  return {s.gap, p.interval, blind_cap(p)};
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
  spread_gap next{c.max_interval, c.interval, c.max_interval};
  if (s.status == matching_status::done) {
    s.gap = std::chrono::duration_cast<decltype(s.gap)>(next.gap);
  } else {
    next = running_gap(s, change, now_ms, c);
  }
  d.delay = jittered_within(next.gap, c.jitter, u2, next.lo, next.hi);
  return d;
}

}  // namespace fjwatch
