#pragma once
// The server's RateLimit-Remaining over RateLimit-Reset, as a spacing of requests. Pure: the
// caller passes the time.
#include <chrono>
#include <cstdint>

namespace fjwatch {

using millis = std::chrono::milliseconds;

// The server's own budget, from RateLimit-Remaining and RateLimit-Reset: with `remaining`
// requests left in a window that ends in `reset`, requests are spaced reset / remaining apart,
// rather than spent at once and then waited out. Only a budget tighter than `min_gap` (api.rate's
// spacing) binds. Each answer replaces what the previous one said, and the spacing runs from the
// last request taken, so nothing is committed ahead (and since a gap is never longer than what
// is left of the window, none reaches past its end).
class server_budget {
 public:
  using clock = std::chrono::steady_clock;
  explicit server_budget(clock::duration min_gap) : min_gap_(min_gap) {}

  // What an answer said. Returns true when the earliest next request moved earlier (a waiting
  // caller should look again).
  bool update(std::int64_t remaining, millis reset);
  // The earliest the next request may go; clock::time_point::min() when the budget does not bind.
  clock::time_point next_allowed() const;
  // A request goes now.
  void took(clock::time_point now) { last_ = now; }

 private:
  clock::duration min_gap_;
  clock::duration gap_{};  // zero: not binding
  clock::time_point last_ = clock::time_point::min();
};

}  // namespace fjwatch
