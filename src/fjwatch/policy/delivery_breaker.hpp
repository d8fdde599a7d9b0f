#pragma once
// A delivery lane's circuit breaker as a state machine, driven by how long the target has been
// failing rather than by how many attempts failed at once. Closed, the lane attempts whole
// waves, and a target that fails for a moment (a wave of errors, a quick restart) is simply tried
// again on each delivery's own schedule. Once it has failed `threshold` times in a row over at
// least the schedule's first step, the breaker opens: the target rests for the longest step of
// the lane's retry schedule that is not longer than it has been failing. Then it is half open:
// one attempt, the probe, decides. A probe that fails opens it again (the pause grown with the
// failing time); any answer closes it. A target down for half an hour so gets one probe per
// pause, the pauses 5s, 30s, 2m, 10m... as its outage lengthens. Pure: the lane reports verdicts
// and the time, asks after each wave, and asks how wide the next wave may be.
#include "fjwatch/policy/webhook_retry.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace fjwatch {

class delivery_breaker {
 public:
  using millis = std::chrono::milliseconds;
  using clock = std::chrono::steady_clock;

  // Consecutive failed attempts before a closed breaker may open.
  static constexpr int default_threshold = 5;

  enum class state : std::uint8_t { closed, open, half_open };

  // `schedule`: the lane's retry schedule (not empty, ascending), whose steps are the pauses.
  explicit delivery_breaker(std::vector<millis> schedule, int threshold = default_threshold);

  // One attempt's verdict at `now`. `retry` is a failure (the first of a run marks when the
  // target began failing). `delivered` and `gone` (the receiver answered, asking to stop for that
  // one event) show the target is up: the breaker closes and the run ends. Returns true when that
  // answer closed a breaker that had opened (the target resumed).
  bool record(delivery_verdict v, clock::time_point now);
  // After a wave, at `now`: the pause before the lane's next attempt when the breaker opens now,
  // else nullopt. It opens when closed with `threshold` failures in a row over at least the first
  // step of the schedule, or when half open and the probe failed.
  std::optional<millis> trip(clock::time_point now);
  // The pause is over: the next attempt is the probe.
  void rested();
  // How many attempts the next wave may hold, of the lane's `slots`: 1 while half open (the
  // probe), 0 while open (resting), else `slots`.
  std::size_t wave_width(std::size_t slots) const;

  state current() const { return state_; }
  // How often the breaker opened since the target last answered.
  int openings() const { return openings_; }

 private:
  // The longest step not longer than `failing` (the first step at least).
  millis pause_for(clock::duration failing) const;

  std::vector<millis> schedule_;
  int threshold_;
  state state_ = state::closed;
  int failures_in_a_row_ = 0;
  std::optional<clock::time_point> failing_since_;
  int openings_ = 0;
  bool probe_failed_ = false;
};

}  // namespace fjwatch
