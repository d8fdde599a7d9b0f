#pragma once
// When to poll next: the cadence while a search runs, backoff after failures, and the token
// bucket that paces every request. Pure functions of their arguments (randomness comes in as u).
#include <chrono>
#include <optional>

namespace fjwatch {

using millis = std::chrono::milliseconds;

struct cadence_policy {
  millis interval{5000};       // the first gap, and the gap after anything moves
  millis max_interval{60000};  // the gap never grows past this
  double multiplier = 1.5;     // growth per unchanged poll
  double jitter = 0.1;         // +-fraction applied to every gap
  millis retry_initial{1000};  // backoff after the first failure
  millis retry_max{300000};    // backoff ceiling
};

// The gap after a successful poll: `interval` when the session moved (status or counts changed)
// or was never polled (previous == 0), else previous * multiplier, at most max_interval and at
// least interval.
millis next_gap(millis previous, bool moved, const cadence_policy& p);

// gap scaled by (1 + jitter * (2u - 1)), u in [0, 1): within +-jitter of gap, never negative.
millis jittered(millis gap, double jitter, double u);

// Full-jitter exponential backoff for the n-th consecutive failure (n >= 1):
// u * min(retry_max, retry_initial * 2^(n-1)), but never less than `floor` (the server's
// Retry-After) and never less than 1 ms.
millis backoff(int failures, const cadence_policy& p, double u, std::optional<millis> floor);

// A token bucket over every API request: `per_second` tokens per second, at most `burst` saved.
// take() always takes a token and returns how long the caller must wait before using it (zero when
// one was saved); waits of concurrent callers queue up one after another, so the long-run rate
// never exceeds per_second.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  token_bucket(double per_second, double burst);
  clock::duration take(clock::time_point now);

 private:
  double per_second_;
  double burst_;
  double tokens_;
  std::optional<clock::time_point> last_;
};

}  // namespace fjwatch
