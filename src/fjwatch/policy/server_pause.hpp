#pragma once
// What a server may ask of fjwatch's polling, bounded: the wait hints of an answer capped, and
// the pause of every poll that a 429 or an exhausted RateLimit window asks for. Pure: no clock of
// its own, no I/O.
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace fjwatch {

using millis = std::chrono::milliseconds;

// A pause of every poll this long or longer is news: health degrades while it lasts.
inline constexpr millis long_server_pause{60'000};

// Caps Retry-After and RateLimit-Reset of one answer at `cap` (api.max_server_pause), so that no
// answer, in whichever form it writes its wait, stops polling (or one session) for longer.
void cap_server_waits(poll_outcome& o, millis cap);

// The pause of every poll an answer asks for, and why: a 429 waits its Retry-After (else its
// RateLimit-Reset, else `fallback`, the first retry gap); RateLimit-Remaining: 0 waits
// RateLimit-Reset (else Retry-After, else `fallback`). nullopt for any other answer.
struct pause_request {
  millis wait{0};
  std::string cause;  // "HTTP 429" or "RateLimit-Remaining: 0"
};
std::optional<pause_request> server_pause_for(const poll_outcome& o, millis fallback);

// A pause in force, as the operator is told of it.
struct server_pause {
  using clock = std::chrono::steady_clock;
  clock::time_point from{};
  clock::time_point until{};
  std::int64_t until_unix_ms = 0;  // the same end on the wall clock
  std::string cause;

  millis length() const { return std::chrono::duration_cast<millis>(until - from); }
  // Time left at `now`; 0 once over.
  millis left(clock::time_point now) const {
    return now < until ? std::chrono::ceil<millis>(until - now) : millis(0);
  }
  // In force at `now` and long_server_pause or longer.
  bool long_at(clock::time_point now) const { return now < until && length() >= long_server_pause; }
};

}  // namespace fjwatch
