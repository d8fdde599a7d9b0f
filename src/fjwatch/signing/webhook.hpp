#pragma once
// Webhook signing after the Standard Webhooks specification 1.0.0 (standardwebhooks.com): secrets
// and signatures. No sockets and no clock except the `now` passed in.
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

}  // namespace fjwatch
