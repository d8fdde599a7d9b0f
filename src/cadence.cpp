#include "fjwatch/cadence.hpp"

#include <algorithm>
#include <cmath>

namespace fjwatch {

millis next_gap(millis previous, bool moved, const cadence_policy& p) {
  if (moved || previous.count() <= 0) return std::min(p.interval, p.max_interval);
  const double grown = static_cast<double>(previous.count()) * p.multiplier;
  const double capped = std::min(grown, static_cast<double>(p.max_interval.count()));
  return millis(static_cast<millis::rep>(std::max(capped, static_cast<double>(p.interval.count()))));
}

millis jittered(millis gap, double jitter, double u) {
  const double factor = 1.0 + jitter * (2.0 * u - 1.0);
  const double value = static_cast<double>(gap.count()) * std::max(factor, 0.0);
  return millis(static_cast<millis::rep>(std::llround(value)));
}

millis backoff(int failures, const cadence_policy& p, double u, std::optional<millis> floor) {
  const int exponent = std::clamp(failures - 1, 0, 40);
  const double ceiling = std::min(static_cast<double>(p.retry_initial.count()) * std::ldexp(1.0, exponent),
                                  static_cast<double>(p.retry_max.count()));
  millis wait(static_cast<millis::rep>(u * ceiling));
  if (floor && *floor > wait) wait = *floor;
  return std::max(wait, millis(1));
}

token_bucket::token_bucket(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, 1.0)), tokens_(std::max(burst, 1.0)) {}

token_bucket::clock::duration token_bucket::take(clock::time_point now) {
  if (last_ && now > *last_) {
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
  }
  if (!last_ || now > *last_) last_ = now;
  tokens_ -= 1.0;
  if (tokens_ >= 0) return clock::duration::zero();
  // The deficit is repaid at per_second_: that is how long this caller waits.
  return std::chrono::duration_cast<clock::duration>(
      std::chrono::duration<double>(-tokens_ / per_second_));
}

}  // namespace fjwatch
