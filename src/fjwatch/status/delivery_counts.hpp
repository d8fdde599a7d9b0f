#pragma once
// What the delivery lanes show of themselves: attempts judged per action (/metrics).
#include <cstdint>
#include <string>

namespace fjwatch {

// One action's attempts judged since start, by outcome (metrics).
struct delivery_counts {
  std::string action;
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;  // failed, to be tried again
  std::uint64_t failed = 0;   // failed for good: the schedule is used up
  std::uint64_t gone = 0;     // the receiver answered 410 Gone
  // Why the action is disabled ("HTTP 410 Gone since <time>"), its deliveries held; "" when not.
  std::string disabled;
};

}  // namespace fjwatch
