#pragma once
// A delivery lane's circuit breaker as a state machine: after `threshold` failed attempts in a
// row the target is paused for the next step of its retry schedule (each opening one step
// further), and a delivered attempt closes it again. Pure: the lane reports each attempt's
// verdict and asks after each wave.
#include "fjwatch/policy/webhook_retry.hpp"

#include <chrono>
#include <optional>
#include <vector>

namespace fjwatch {

class delivery_breaker {
 public:
  using millis = std::chrono::milliseconds;

  // Consecutive failed attempts after which a target is paused.
  static constexpr int default_threshold = 5;

  // `schedule`: the lane's retry schedule (not empty), whose steps are the pauses.
  explicit delivery_breaker(std::vector<millis> schedule, int threshold = default_threshold);

  // One attempt's verdict: `retry` counts a failure; `delivered` closes the breaker and starts the
  // count afresh; `gone` (the receiver answered, and asked to stop for that event) counts neither.
  // True when a delivered attempt closed a breaker that had opened (the target resumed).
  bool record(delivery_verdict v);
  // After a wave: the pause before the lane's next attempt when `threshold` failures in a row were
  // reached (the count then starts afresh and the next opening is one step longer); nullopt
  // otherwise.
  std::optional<millis> trip();
  // How often the breaker opened since the last delivered attempt.
  int openings() const { return openings_; }

 private:
  std::vector<millis> schedule_;
  int threshold_;
  int failures_in_a_row_ = 0;
  int openings_ = 0;
};

}  // namespace fjwatch
