#pragma once
// The pure part of the webhook action, after the Standard Webhooks specification 1.0.0
// (standardwebhooks.com): secrets, signatures, the retry schedule and the verdict on one attempt.
// No sockets and no clock except the `now` passed in.
#include "fjwatch/util/result.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// An HMAC-SHA256 signing key of 24 to 64 bytes, made only by parse_webhook_secret. Its bytes are
// kept inline (no heap copy), never printed (no operator<<, no conversion to text), and wiped
// with OPENSSL_cleanse when the object dies; a copy is an independent, equally wiped key.
class webhook_secret {
 public:
  static constexpr std::size_t min_size = 24;  // the spec: "at least 24 bytes (192 bits)"
  static constexpr std::size_t max_size = 64;  // the spec: "512 maximum" (bits)

  webhook_secret(const webhook_secret&) = default;
  webhook_secret& operator=(const webhook_secret&) = default;
  ~webhook_secret();

  // The key, for the HMAC only: never log, print or store it elsewhere.
  std::span<const unsigned char> bytes() const noexcept { return {bytes_.data(), size_}; }

 private:
  webhook_secret() = default;
  friend result<webhook_secret> parse_webhook_secret(std::string_view text);

  std::array<unsigned char, max_size> bytes_{};  // unused tail stays zero
  std::size_t size_ = 0;
};

// "whsec_<base64>" (the spec's serialization) or bare base64 (which the spec's reference
// libraries also accept), surrounding whitespace ignored; standard alphabet, padded. Fails with
// "webhook secret is empty", "webhook secret is an ed25519 key (whsk_/whpk_); a webhook action
// needs a whsec_ secret", "webhook secret is not valid base64" or "webhook secret is <n> bytes;
// it must be 24 to 64". No message holds any part of the text.
result<webhook_secret> parse_webhook_secret(std::string_view text);

// The webhook-signature header value: "v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>"
// for each secret, in order, joined by one space (the spec's list for key rotation); "" when
// there is no secret. msg_id must not contain '.' (the spec forbids it: it would let one signed
// content pass for another id); one that does is a broken invariant: std::invalid_argument.
std::string sign_webhook(std::string_view msg_id, std::int64_t timestamp, std::string_view body,
                         std::span<const webhook_secret> secrets);

// True when signature_header (space-separated "version,signature" entries) holds a v1 entry
// equal, by constant-time comparison, to the signature of msg_id.timestamp.body under secret, and
// timestamp (decimal seconds, digits only) lies within now +- tolerance, bounds included.
// False for anything else: an empty or dotted id, a malformed timestamp, garbage entries.
bool verify_webhook(std::string_view msg_id, std::string_view timestamp, std::string_view body,
                    std::string_view signature_header, const webhook_secret& secret,
                    std::int64_t now, std::chrono::seconds tolerance = std::chrono::minutes(5));

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
