#include "fjwatch/policy/delivery_breaker.hpp"

#include <algorithm>
#include <stdexcept>

namespace fjwatch {

delivery_breaker::delivery_breaker(std::vector<millis> schedule, int threshold)
    : schedule_(std::move(schedule)), threshold_(std::max(threshold, 1)) {
  if (schedule_.empty()) throw std::invalid_argument("delivery_breaker: empty schedule");
}

bool delivery_breaker::record(delivery_verdict v, clock::time_point now) {
  if (v == delivery_verdict::retry) {
    if (failures_in_a_row_++ == 0 && !failing_since_) failing_since_ = now;
    if (state_ == state::half_open) probe_failed_ = true;
    return false;
  }
  const bool resumed = openings_ > 0;
  state_ = state::closed;
  failures_in_a_row_ = 0;
  failing_since_.reset();
  openings_ = 0;
  probe_failed_ = false;
  return resumed;
}

std::optional<delivery_breaker::millis> delivery_breaker::trip(clock::time_point now) {
  const auto failing = failing_since_ ? now - *failing_since_ : clock::duration::zero();
  const bool opens = (state_ == state::closed && failures_in_a_row_ >= threshold_ &&
                      failing >= schedule_.front()) ||
                     (state_ == state::half_open && probe_failed_);
  if (!opens) return std::nullopt;
  ++openings_;
  probe_failed_ = false;
  state_ = state::open;
  return pause_for(failing);
}

void delivery_breaker::rested() {
  if (state_ == state::open) state_ = state::half_open;
}

std::size_t delivery_breaker::wave_width(std::size_t slots) const {
  switch (state_) {
    case state::closed:
      return slots;
    case state::half_open:
      return std::min<std::size_t>(slots, 1);
    case state::open:
      return 0;
  }
  return slots;
}

delivery_breaker::millis delivery_breaker::pause_for(clock::duration failing) const {
  millis pause = schedule_.front();
  for (const millis step : schedule_) {
    if (step <= failing) pause = std::max(pause, step);
  }
  return pause;
}

}  // namespace fjwatch
