#include "fjwatch/signing/webhook.hpp"

#include "fjwatch/util/text.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

namespace fjwatch {
namespace {

namespace chr = std::chrono;
using ms = chr::milliseconds;

constexpr std::string_view secret_prefix = "whsec_";
constexpr std::size_t hmac_size = 32;
// base64 of 32 bytes: 44 characters.
constexpr std::size_t signature_chars = 4 * ((hmac_size + 2) / 3);

// Wipes a buffer that held key material when it goes out of scope.
template <std::size_t n>
struct wiped_buffer {
  std::array<unsigned char, n> data{};
  wiped_buffer() = default;
  wiped_buffer(const wiped_buffer&) = delete;
  wiped_buffer& operator=(const wiped_buffer&) = delete;
  ~wiped_buffer() { OPENSSL_cleanse(data.data(), data.size()); }
};

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Padded standard base64 (RFC 4648 §4): the number of bytes it decodes to, or nullopt.
std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  if (pad == 1 && text.back() != '=') return std::nullopt;
  const auto body = text.substr(0, text.size() - pad);
  if (!std::all_of(body.begin(), body.end(), is_base64_char)) return std::nullopt;
  return text.size() / 4 * 3 - pad;
}

struct mac_free {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct mac_ctx_free {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

[[noreturn]] void openssl_broke(const char* what) {
  throw std::runtime_error(std::string("OpenSSL HMAC-SHA256: ") + what + " failed");
}

// HMAC-SHA256(key, "<id>.<timestamp>.<body>") as base64. OpenSSL failing here (no HMAC provider,
// no memory) is a broken invariant: std::runtime_error.
std::string signature_of(std::span<const unsigned char> key, std::string_view msg_id,
                         std::string_view timestamp, std::string_view body) {
  const std::unique_ptr<EVP_MAC, mac_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) openssl_broke("EVP_MAC_fetch");
  const std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) openssl_broke("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) openssl_broke("EVP_MAC_init");
  for (const std::string_view part :
       {msg_id, std::string_view("."), timestamp, std::string_view("."), body}) {
    if (part.empty()) continue;
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      openssl_broke("EVP_MAC_update");
    }
  }
  std::array<unsigned char, hmac_size> tag{};
  std::size_t tag_size = 0;
  if (EVP_MAC_final(ctx.get(), tag.data(), &tag_size, tag.size()) != 1 || tag_size != hmac_size) {
    openssl_broke("EVP_MAC_final");
  }
  std::array<unsigned char, signature_chars + 1> text{};
  const int n = EVP_EncodeBlock(text.data(), tag.data(), static_cast<int>(tag.size()));
  return std::string(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(n));
}

// A Unix timestamp header: 1 to 19 ASCII digits that fit in int64.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// |now - ts| <= tolerance without overflowing.
bool within_tolerance(std::int64_t ts, std::int64_t now, std::int64_t tolerance) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  tolerance = std::max<std::int64_t>(tolerance, 0);
  const std::int64_t earliest = now < lo + tolerance ? lo : now - tolerance;
  const std::int64_t latest = now > hi - tolerance ? hi : now + tolerance;
  return ts >= earliest && ts <= latest;
}

}  // namespace

webhook_secret::~webhook_secret() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

result<webhook_secret> parse_webhook_secret(std::string_view text) {
  text = trim(text, " \t\r\n");
  if (text.starts_with("whsk_") || text.starts_with("whpk_")) {
    return fail(
        "webhook secret is an ed25519 key (whsk_/whpk_); a webhook action needs a whsec_ "
        "secret");
  }
  if (text.starts_with(secret_prefix)) text.remove_prefix(secret_prefix.size());
  if (text.empty()) return fail("webhook secret is empty");
  const auto size = base64_decoded_size(text);
  if (!size) return fail("webhook secret is not valid base64");
  if (*size < webhook_secret::min_size || *size > webhook_secret::max_size) {
    return fail("webhook secret is " + std::to_string(*size) + " bytes; it must be " +
                std::to_string(webhook_secret::min_size) + " to " +
                std::to_string(webhook_secret::max_size));
  }
  // EVP_DecodeBlock also writes the bytes standing for the padding: room for a whole last group.
  wiped_buffer<webhook_secret::max_size + 3> decoded;
  const int n =
      EVP_DecodeBlock(decoded.data.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < *size) {
    return fail("webhook secret is not valid base64");
  }
  webhook_secret secret;
  std::copy_n(decoded.data.begin(), *size, secret.bytes_.begin());
  secret.size_ = *size;
  return secret;
}

std::string sign_webhook(std::string_view msg_id, std::int64_t timestamp, std::string_view body,
                         std::span<const webhook_secret> secrets) {
  if (msg_id.find('.') != std::string_view::npos) {
    throw std::invalid_argument("webhook message id contains '.'");
  }
  const std::string ts = std::to_string(timestamp);
  std::string header;
  for (const auto& secret : secrets) {
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += signature_of(secret.bytes(), msg_id, ts, body);
  }
  return header;
}

bool verify_webhook(std::string_view msg_id, std::string_view timestamp, std::string_view body,
                    std::string_view signature_header, const webhook_secret& secret,
                    std::int64_t now, std::chrono::seconds tolerance) {
  if (msg_id.empty() || msg_id.find('.') != std::string_view::npos) return false;
  const auto ts = parse_timestamp(timestamp);
  if (!ts || !within_tolerance(*ts, now, tolerance.count())) return false;
  const std::string expected = signature_of(secret.bytes(), msg_id, timestamp, body);
  bool found = false;
  while (!signature_header.empty()) {
    const auto space = signature_header.find(' ');
    const auto entry = signature_header.substr(0, space);
    signature_header.remove_prefix(space == std::string_view::npos ? signature_header.size()
                                                                   : space + 1);
    if (!entry.starts_with("v1,")) continue;
    const auto given = entry.substr(3);
    if (given.size() == expected.size() &&
        CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0) {
      found = true;
    }
  }
  return found;
}

}  // namespace fjwatch
