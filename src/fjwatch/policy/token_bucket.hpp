#pragma once
// api.rate: the pace of every request to the API, shared by all workers. Pure: the caller passes
// the time.
#include <chrono>
#include <optional>

namespace fjwatch {

// A token bucket over every API request: `per_second` tokens per second, at most `burst` saved.
// take() always takes a token and returns how long the caller must wait before using it (zero when
// one was saved); waits of concurrent callers queue up one after another, so the long-run rate
// never exceeds per_second.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  token_bucket(double per_second, double burst);
  clock::duration take(clock::time_point now);
  // Takes a token only if one is saved now (no wait); false leaves the bucket as it was.
  bool try_take(clock::time_point now);

 private:
  void refill(clock::time_point now);

  double per_second_;
  double burst_;
  double tokens_;
  std::optional<clock::time_point> last_;
};

}  // namespace fjwatch
