#pragma once
// When to poll a session next: the cadence while a search runs and the backoff after failures.
// Pure functions of their arguments (randomness comes in as u).
#include <chrono>
#include <cstdint>
#include <optional>

namespace fjwatch {

using millis = std::chrono::milliseconds;

struct cadence_policy {
  millis interval{5000};             // the first gap, the gap after a move, and the shortest
  millis max_interval{60000};        // no gap is longer
  millis max_blind_interval{25000};  // no gap is longer while the counts predict nothing
  double multiplier = 3.5;           // growth per poll that shows no progress
  double jitter = 0.1;               // +-fraction applied to every gap
  millis retry_initial{1000};        // backoff after the first failure
  millis retry_max{300000};          // backoff ceiling
};

// The growth gap, for polls that cannot predict the finish: `interval` when the session moved
// (status or counts changed) or was never polled (previous == 0), else previous * multiplier,
// at most blind_cap(p) and at least interval.
millis next_gap(millis previous, bool moved, const cadence_policy& p);

// The longest growth gap: max_blind_interval, but within interval..max_interval.
millis blind_cap(const cadence_policy& p);

// How long until matched reaches total, at the average rate since an earlier observation of the
// same search (anchor_ms, anchor_matched): (total - matched) / rate, rounded up to a whole
// millisecond, at most 10^15 ms; 0 when matched is already total or more. nullopt when it cannot
// be told: total <= 0, nothing matched since the anchor, or no time passed since it.
std::optional<millis> predict_remaining(std::int64_t anchor_ms, std::int64_t anchor_matched,
                                        std::int64_t now_ms, std::int64_t matched,
                                        std::int64_t total);

// The gap towards a finish predicted `remaining` from now, by a rate observed over `span`:
// remaining * (1 - finish_caution * remaining / (remaining + span)), so the poll lands nearly
// at a finish that is close and rests on long evidence, and well short of one that is far and
// rests on little (a search that speeds up is then not missed by much, and each poll refines
// the estimate); never more than finish_lead * span ahead. Within interval..max_interval.
millis gap_to_finish(millis remaining, millis span, const cadence_policy& p);
inline constexpr double finish_caution = 0.35;
inline constexpr double finish_lead = 3.0;

// Whether a finish estimated now, `remaining` from now_ms, confirms one estimated at an earlier
// poll (at earlier_finish_ms): they lie within finish_agreement of the time left (of interval,
// when less is left). A confirmed estimate is aimed at directly, rather than short of it: two
// polls that agree on a steady rate are better evidence than the time behind them.
bool finish_confirmed(std::int64_t earlier_finish_ms, std::int64_t now_ms, millis remaining,
                      const cadence_policy& p);
inline constexpr double finish_agreement = 0.1;

// gap scaled by (1 + jitter * (2u - 1)), u in [0, 1): within +-jitter of gap, never negative.
millis jittered(millis gap, double jitter, double u);

// jittered(), then brought within lo..hi (hi wins when lo > hi): the jitter spreads polls without
// moving a gap past its cap or below the floor.
millis jittered_within(millis gap, double jitter, double u, millis lo, millis hi);

// Full-jitter exponential backoff for the n-th consecutive failure (n >= 1):
// u * min(retry_max, retry_initial * 2^(n-1)), but never less than `floor` (the server's
// Retry-After) and never less than 1 ms.
millis backoff(int failures, const cadence_policy& p, double u, std::optional<millis> floor);

// The wait before writing again after the n-th write in a row failed for a full disk (n >= 1):
// backoff() within retry_initial..retry_max, with no server floor. What waits is held meanwhile
// (a session's change, a lane's outcomes, a watch list's additions) and written once there is
// room.
millis full_disk_retry(int failures, const cadence_policy& p, double u);

}  // namespace fjwatch
