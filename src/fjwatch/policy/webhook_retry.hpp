#pragma once
// When a webhook delivery is tried again, after the Standard Webhooks specification's advice: the
// retry schedule, what one attempt's status means, and the receiver's own wait. Pure.
#include <chrono>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fjwatch {

// Longest Retry-After a receiver can impose on one retry.
inline constexpr std::chrono::milliseconds max_webhook_retry_after = std::chrono::hours(24);

// The waits after the 1st..10th failed attempt: 5s 30s 2m 10m 30m 1h 2h 4h 8h 8h (23h42m35s in
// all, before jitter). After the 10th failure the delivery is marked failed.
std::vector<std::chrono::milliseconds> default_retry_schedule();

// The wait before the next attempt after attempts_made (>= 1) failed ones: with b =
// schedule[attempts_made - 1] in ms, b - b/5 + floor(2*(b/5) * u), i.e. within [0.8 b, 1.2 b)
// (integer division; u, uniform in [0,1), is clamped into it, NaN counts as 0), and never less
// than retry_after capped at max_webhook_retry_after. nullopt once the schedule is exhausted,
// whatever retry_after says. attempts_made < 1 is a broken invariant: std::invalid_argument.
std::optional<std::chrono::milliseconds> next_retry_delay(
    int attempts_made, std::span<const std::chrono::milliseconds> schedule, double u,
    std::optional<std::chrono::milliseconds> retry_after);

// What one webhook attempt's HTTP status means for the delivery.
enum class delivery_verdict {
  delivered,  // 2xx
  retry,      // anything else: 1xx, 3xx (never followed), 4xx, 5xx
  gone,       // 410: stop for this event on this action
};

// 200..299 delivered, 410 gone, any other number retry.
delivery_verdict classify_webhook_status(int http_status);

// The receiver's Retry-After as a wait, honoured only on 429 and 503 (see parse_retry_after:
// delta-seconds or an HTTP-date, at most a day); nullopt for other statuses, an empty or
// unparsable header.
std::optional<std::chrono::milliseconds> webhook_retry_after(
    int status, std::string_view retry_after_header, std::chrono::system_clock::time_point now);

}  // namespace fjwatch
