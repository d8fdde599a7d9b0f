#include "fjwatch/policy/token_bucket.hpp"

#include <algorithm>

namespace fjwatch {

token_bucket::token_bucket(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, 1.0)), tokens_(std::max(burst, 1.0)) {}

void token_bucket::refill(clock::time_point now) {
  if (last_ && now > *last_) {
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
  }
  if (!last_ || now > *last_) last_ = now;
}

bool token_bucket::try_take(clock::time_point now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

token_bucket::clock::duration token_bucket::take(clock::time_point now) {
  refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= 0) return clock::duration::zero();
  // The deficit is repaid at per_second_: that is how long this caller waits.
  return std::chrono::duration_cast<clock::duration>(
      std::chrono::duration<double>(-tokens_ / per_second_));
}

}  // namespace fjwatch
