#pragma once
// The soak's faults: a mix of API faults over a share of all requests, and a webhook receiver
// that goes down for a while every few minutes and now and then answers 500 or hangs.
#include "sim/receiver.hpp"
#include "sim/sim.hpp"

#include <chrono>
#include <cstddef>
#include <random>
#include <utility>
#include <vector>

namespace fjwatch::testing {

// `total` (0..1) of all API requests faulted: about 35% of them 503, 20% reset, 20% cut JSON, 13%
// slow (500 ms), 10% 500, 2% 429 (which pauses every poll for its Retry-After). The simulator
// hits request n with the first kind whose floor(n * fraction) grows, so round shares would
// line up (every 50th request both reset and cut JSON: the second never served); shares a
// little off round numbers keep each kind at its share.
inline std::vector<sim::fault_fraction> api_fault_mix(double total) {
  const std::vector<std::pair<sim::fault, double>> mix{
      {sim::fault::http_503, 0.347},       {sim::fault::reset, 0.203},
      {sim::fault::malformed_json, 0.197}, {sim::fault::slow, 0.131},
      {sim::fault::http_500, 0.101},       {sim::fault::rate_limited, 0.021}};
  std::vector<sim::fault_fraction> out;
  for (const auto& [kind, share] : mix) out.push_back({kind, total * share});
  return out;
}

// Drives the receiver from a control loop: step() once a second or so, calm() at the end.
class receiver_chaos {
 public:
  // Outages begin outage_every (x0.5..1.5) after the previous one ended and last outage_for
  // (x0.5..1.5); of the requests in between, about error_share are answered 500 and hang_share
  // held unanswered. No outage begins after `last_start` (seconds into the run).
  struct settings {
    double outage_every = 240, outage_for = 40, last_start = 0;
    double error_share = 0.03, hang_share = 0.005;
    std::uint64_t seed = 1;
  };

  explicit receiver_chaos(settings s) : s_(s), rng_(s.seed) { next_down_ = draw(s_.outage_every); }

  // At `t` seconds into the run: starts or ends an outage when due, and scripts 500s and hangs
  // for a share of the requests that arrived since the last step.
  void step(double t, sim::receiver& rx) {
    if (rx.is_up() && t >= next_down_ && t < s_.last_start) {
      rx.go_down();
      ++outages_;
      down_since_ = t;
      next_up_ = t + draw(s_.outage_for);
    } else if (!rx.is_up() && t >= next_up_) {
      rx.go_up();
      down_seconds_ += t - down_since_;
      next_down_ = t + draw(s_.outage_every);
    }
    // One scripted reply per request that arrived, mostly 200: the failures stay spread among
    // the successes (scripting the failures alone would answer a burst of them in a row).
    const std::size_t count = rx.count();
    std::vector<sim::reply> replies;
    std::uniform_real_distribution<double> u(0, 1);
    for (; seen_ < count; ++seen_) {
      const double x = u(rng_);
      if (x < s_.error_share) {
        replies.push_back({sim::reply_kind::status, 500, ""});
        ++scripted_;
      } else if (x < s_.error_share + s_.hang_share) {
        replies.push_back({sim::reply_kind::hang, 200, ""});
        ++scripted_;
      } else {
        replies.push_back({});
      }
    }
    if (!replies.empty()) rx.script(std::move(replies));
  }

  // Up for good, answering 200 once the replies already scripted (about one step's worth of
  // requests, a few of them failures) are used up.
  void calm(double t, sim::receiver& rx) {
    if (!rx.is_up()) {
      rx.go_up();
      down_seconds_ += t - down_since_;
    }
    rx.set_default({});
  }

  int outages() const { return outages_; }
  double down_seconds() const { return down_seconds_; }
  std::size_t scripted() const { return scripted_; }

 private:
  double draw(double mean) { return std::uniform_real_distribution<double>(0.5, 1.5)(rng_) * mean; }

  settings s_;
  std::mt19937_64 rng_;
  double next_down_ = 0, next_up_ = 0, down_since_ = -1, down_seconds_ = 0;
  int outages_ = 0;
  std::size_t seen_ = 0, scripted_ = 0;
};

}  // namespace fjwatch::testing
