#include "fjwatch/policy/webhook_retry.hpp"

#include "fjwatch/http/http_date.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace fjwatch {
namespace {

namespace chr = std::chrono;
using ms = chr::milliseconds;

}  // namespace

std::vector<ms> default_retry_schedule() {
  using namespace std::chrono_literals;
  return {5s, 30s, 2min, 10min, 30min, 1h, 2h, 4h, 8h, 8h};
}

std::optional<ms> next_retry_delay(int attempts_made, std::span<const ms> schedule, double u,
                                   std::optional<ms> retry_after) {
  if (attempts_made < 1) throw std::invalid_argument("next_retry_delay: attempts_made < 1");
  if (static_cast<std::size_t>(attempts_made) > schedule.size()) return std::nullopt;
  const std::int64_t base = std::max<std::int64_t>(schedule[attempts_made - 1].count(), 0);
  const std::int64_t fifth = base / 5;
  const std::int64_t width = 2 * fifth;
  if (!(u >= 0.0)) u = 0.0;  // also NaN
  // u * width can round up to width when u is just below 1: keep the upper bound open.
  const auto scaled =
      static_cast<std::int64_t>(std::floor(static_cast<double>(width) * std::min(u, 1.0)));
  const std::int64_t jitter = std::min(scaled, std::max<std::int64_t>(width - 1, 0));
  ms delay(base - fifth + jitter);
  if (retry_after) {
    delay = std::max(delay, std::clamp(*retry_after, ms(0), max_webhook_retry_after));
  }
  return delay;
}

delivery_verdict classify_webhook_status(int http_status) {
  if (http_status >= 200 && http_status <= 299) return delivery_verdict::delivered;
  if (http_status == 410) return delivery_verdict::gone;
  return delivery_verdict::retry;
}

std::optional<ms> webhook_retry_after(int status, std::string_view retry_after_header,
                                      chr::system_clock::time_point now) {
  if (status != 429 && status != 503) return std::nullopt;
  const auto wait = parse_retry_after(retry_after_header, now);
  if (!wait) return std::nullopt;
  return std::min(*wait, max_webhook_retry_after);
}

}  // namespace fjwatch
