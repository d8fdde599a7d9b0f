#include "fjwatch/policy/delivery_breaker.hpp"

#include <algorithm>
#include <stdexcept>

namespace fjwatch {

delivery_breaker::delivery_breaker(std::vector<millis> schedule, int threshold)
    : schedule_(std::move(schedule)), threshold_(std::max(threshold, 1)) {
  if (schedule_.empty()) throw std::invalid_argument("delivery_breaker: empty schedule");
}

bool delivery_breaker::record(delivery_verdict v) {
  switch (v) {
    case delivery_verdict::delivered: {
      const bool resumed = openings_ > 0;
      failures_in_a_row_ = 0;
      openings_ = 0;
      return resumed;
    }
    case delivery_verdict::retry:
      ++failures_in_a_row_;
      return false;
    case delivery_verdict::gone:
      return false;
  }
  return false;
}

std::optional<delivery_breaker::millis> delivery_breaker::trip() {
  if (failures_in_a_row_ < threshold_) return std::nullopt;
  const auto step =
      std::min<std::size_t>(static_cast<std::size_t>(openings_), schedule_.size() - 1);
  ++openings_;
  failures_in_a_row_ = 0;
  return schedule_[step];
}

}  // namespace fjwatch
