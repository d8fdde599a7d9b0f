#include "fjwatch/policy/server_budget.hpp"

#include <algorithm>

namespace fjwatch {

bool server_budget::update(std::int64_t remaining, millis reset) {
  const auto before = next_allowed();
  gap_ = clock::duration::zero();
  if (remaining > 0 && reset > millis::zero()) {
    const auto gap = std::chrono::duration_cast<clock::duration>(reset) / remaining;
    if (gap > min_gap_) gap_ = gap;
  }
  return next_allowed() < before;
}

server_budget::clock::time_point server_budget::next_allowed() const {
  if (gap_ == clock::duration::zero() || last_ == clock::time_point::min()) {
    return clock::time_point::min();
  }
  return last_ + gap_;
}

}  // namespace fjwatch
