#pragma once
// One session's life as a state machine: what a poll outcome means (events to fire, what to
// persist, when to poll next). No I/O and no clock: the caller passes `now` and randomness.
#include "fjwatch/domain/event.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/session_phase.hpp"
#include "fjwatch/policy/after_done.hpp"
#include "fjwatch/policy/cadence.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace fjwatch {

// What the scheduler keeps in memory for one watched session between polls (one per session:
// keep it small).
struct tracked_session {
  std::optional<matching_status> status;  // nullopt until the first 200
  std::int64_t matched = 0;
  std::int64_t total_for_matching = 0;
  std::int64_t search_more_counter = 0;
  std::int64_t waiting_since_ms = 0;  // when the current wait for done began (give_up_after)
  // The progress history of the running search, for predict_remaining(): the earliest poll
  // of it whose matched count is still comparable (0 = none yet), and that count.
  std::int64_t anchor_ms = 0;
  std::int64_t anchor_matched = 0;
  // The current success gap; 0 = never polled. (32 bits: gaps are at most a day.)
  std::chrono::duration<std::int32_t, std::milli> gap{0};
  // Where the last poll's estimate put the finish, in ms after anchor_ms; 0 = it made none (or
  // one too far ahead to keep).
  std::int32_t finish_after_anchor_ms = 0;
  std::uint16_t failures = 0;  // consecutive failed polls
  std::uint8_t dry_polls = 0;  // consecutive successful polls since matched last rose
  session_phase phase = session_phase::active;
};

// Two successful polls in a row without a rise in matched: the search is taken as stalled, and
// the cadence grows as if the counts were hidden until they rise again; the rate is then
// measured afresh from that poll.
inline constexpr int stalled_after_polls = 2;

struct tracker_policy {
  cadence_policy cadence;
  millis give_up_after{24 * 3600 * 1000LL};
  after_done_policy after_done = after_done_policy::stop;
  bool status_events = false;  // some action listens to session.status_changed
};

struct poll_decision {
  std::vector<event_type> events;  // to record, in this order
  bool persist = false;  // status, counter, total or phase changed (or matched fell): write the
                         // row, with any events; matched rising alone is kept in memory only
  bool stop = false;     // the session left `active`: no further polls
  millis delay{0};       // until the next poll, when !stop
};

// Applies one outcome to `s`. Every kind but unauthorized (which concerns every session and is
// the scheduler's business) is handled: ok/not_modified update the cadence and may fire done /
// status_changed; not_found fires not_found and stops; other failures back off with full jitter,
// never sooner than the server's wait hint. give_up_after is checked on every outcome.
// The success gap while a search runs: when the counts predict the finish (matched rose since
// the anchor, total known, not stalled), gap_to_finish(), jittered only shorter; when that
// estimate confirms the previous poll's (finish_confirmed()), the finish itself, jittered only
// longer; otherwise next_gap() (growth up to blind_cap()), jittered within
// interval..blind_cap(). The first rise after a stall is estimated as if the climb began halfway
// through the blind gap before it (a rough first estimate for the next poll to confirm). A new
// search cycle (status or searchMoreCounter changed), a changed total or a falling matched count
// restarts the history. After done (after_done: watch), max_interval, jittered within
// interval..max_interval. No success gap is shorter than interval.
// u1, u2 are uniform in [0, 1).
poll_decision decide(tracked_session& s, const poll_outcome& o, const tracker_policy& p,
                     std::int64_t now_ms, double u1, double u2);

}  // namespace fjwatch
