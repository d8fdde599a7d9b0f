#include "fjwatch/policy/cadence.hpp"

#include <algorithm>
#include <cmath>

namespace fjwatch {

millis blind_cap(const cadence_policy& p) {
  return std::min(std::max(p.max_blind_interval, p.interval), p.max_interval);
}

millis next_gap(millis previous, bool moved, const cadence_policy& p) {
  const millis cap = blind_cap(p);
  if (moved || previous.count() <= 0) return std::min(p.interval, cap);
  const double grown = static_cast<double>(previous.count()) * p.multiplier;
  const double capped = std::min(grown, static_cast<double>(cap.count()));
  return millis(
      static_cast<millis::rep>(std::max(capped, static_cast<double>(p.interval.count()))));
}

std::optional<millis> predict_remaining(std::int64_t anchor_ms, std::int64_t anchor_matched,
                                        std::int64_t now_ms, std::int64_t matched,
                                        std::int64_t total) {
  if (total <= 0) return std::nullopt;
  if (matched >= total) return millis(0);
  if (matched <= anchor_matched || now_ms <= anchor_ms) return std::nullopt;
  const double per_ms =
      static_cast<double>(matched - anchor_matched) / static_cast<double>(now_ms - anchor_ms);
  const double left = std::ceil(static_cast<double>(total - matched) / per_ms);
  return millis(static_cast<millis::rep>(std::min(left, 1e15)));
}

millis gap_to_finish(millis remaining, millis span, const cadence_policy& p) {
  const double r = static_cast<double>(std::max(remaining, millis(0)).count());
  const double evidence = static_cast<double>(std::max(span, millis(0)).count());
  if (r + evidence <= 0) return p.interval;
  const double aimed = r * (1.0 - finish_caution * r / (r + evidence));
  const double trusted = evidence * finish_lead;
  const auto gap = millis(static_cast<millis::rep>(std::min(aimed, trusted)));
  return std::clamp(gap, p.interval, std::max(p.interval, p.max_interval));
}

bool finish_confirmed(std::int64_t earlier_finish_ms, std::int64_t now_ms, millis remaining,
                      const cadence_policy& p) {
  const double left = static_cast<double>(std::max(remaining, p.interval).count());
  const double apart =
      std::abs(static_cast<double>(now_ms) + static_cast<double>(remaining.count()) -
               static_cast<double>(earlier_finish_ms));
  return apart <= finish_agreement * left;
}

millis jittered(millis gap, double jitter, double u) {
  const double factor = 1.0 + jitter * (2.0 * u - 1.0);
  const double value = static_cast<double>(gap.count()) * std::max(factor, 0.0);
  return millis(static_cast<millis::rep>(std::llround(value)));
}

millis jittered_within(millis gap, double jitter, double u, millis lo, millis hi) {
  return std::min(std::max(jittered(gap, jitter, u), lo), hi);
}

millis backoff(int failures, const cadence_policy& p, double u, std::optional<millis> floor) {
  const int exponent = std::clamp(failures - 1, 0, 40);
  const double ceiling =
      std::min(static_cast<double>(p.retry_initial.count()) * std::ldexp(1.0, exponent),
               static_cast<double>(p.retry_max.count()));
  millis wait(static_cast<millis::rep>(u * ceiling));
  if (floor && *floor > wait) wait = *floor;
  return std::max(wait, millis(1));
}

millis full_disk_retry(int failures, const cadence_policy& p, double u) {
  return backoff(failures, p, u, std::nullopt);
}

}  // namespace fjwatch
