#include "fjwatch/policy/server_pause.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <algorithm>

namespace fjwatch {

void cap_server_waits(poll_outcome& o, millis cap) {
  if (o.retry_after) o.retry_after = std::min(*o.retry_after, cap);
  if (o.ratelimit_reset) o.ratelimit_reset = std::min(*o.ratelimit_reset, cap);
}

std::optional<pause_request> server_pause_for(const poll_outcome& o, millis fallback) {
  if (o.what == poll_outcome::kind::rate_limited) {
    return pause_request{o.retry_after.value_or(o.ratelimit_reset.value_or(fallback)), "HTTP 429"};
  }
  if (o.ratelimit_remaining && *o.ratelimit_remaining == 0) {
    return pause_request{o.ratelimit_reset.value_or(o.retry_after.value_or(fallback)),
                         "RateLimit-Remaining: 0"};
  }
  return std::nullopt;
}

}  // namespace fjwatch
