#include <boost/test/unit_test.hpp>

#include "fjwatch/signing/webhook.hpp"
#include "fjwatch/policy/webhook_retry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;
using fjwatch::delivery_verdict;
using fjwatch::webhook_secret;
using ms = std::chrono::milliseconds;
using sys_clock = std::chrono::system_clock;

// The published test vector of the Standard Webhooks reference libraries
// (standard-webhooks/standard-webhooks, libraries/go/webhook_test.go, TestWebhookSign).
constexpr std::string_view spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t spec_ts = 1614265330;
constexpr std::string_view spec_ts_text = "1614265330";
constexpr std::string_view spec_body = R"({"test": 2432232314})";
constexpr std::string_view spec_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Bytes 0..31; its signature of the spec's message was computed with Python's hmac module.
constexpr std::string_view second_secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr std::string_view second_signature = "v1,O4Gjv1HqPqsMrjmczoggs/sWA8gZD0VyHG+fLh4+ktI=";
// Bytes 0..63, the longest key the spec allows.
constexpr std::string_view secret_64 =
    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+"
    "Pw==";

webhook_secret secret(std::string_view text) { return fjwatch::parse_webhook_secret(text).value(); }

std::vector<unsigned char> bytes_of(const webhook_secret& s) {
  return {s.bytes().begin(), s.bytes().end()};
}

template <class T>
concept streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

static_assert(!streamable<webhook_secret>, "a secret must not be printable");
static_assert(!std::is_default_constructible_v<webhook_secret>);
static_assert(!std::is_convertible_v<webhook_secret, std::string>);

sys_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)) +
         std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_secret_good) {
  std::vector<unsigned char> zero_to_63(64);
  for (unsigned i = 0; i < 64; ++i) zero_to_63[i] = static_cast<unsigned char>(i);
  const std::vector<unsigned char> zero_to_31(zero_to_63.begin(), zero_to_63.begin() + 32);
  const std::vector<unsigned char> spec_key = {0x31, 0xf2, 0x90, 0xf6, 0xbf, 0x06, 0x29, 0x8a,
                                               0xab, 0x4f, 0x08, 0xd4, 0x3c, 0x3f, 0x08, 0x2c,
                                               0xf6, 0x48, 0xa3, 0x62, 0xda, 0x2d, 0xa4, 0xb0};
  struct row {
    std::string name;
    std::string text;
    std::vector<unsigned char> expected;
  };
  const std::vector<row> rows = {
      {"spec secret", std::string(spec_secret), spec_key},
      {"bare base64, as the reference libraries accept", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
       spec_key},
      {"surrounding whitespace (a secret file's newline)",
       "  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\r\n", spec_key},
      {"32 bytes, one pad", std::string(second_secret), zero_to_31},
      {"24 bytes, the minimum", "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
       std::vector<unsigned char>(24, 7)},
      {"64 bytes, the maximum, two pads", std::string(secret_64), zero_to_63},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto parsed = fjwatch::parse_webhook_secret(r.text);
      BOOST_TEST_REQUIRE(parsed.has_value());
      BOOST_TEST(bytes_of(*parsed) == r.expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_secret_bad) {
  constexpr std::string_view ed25519 =
      "webhook secret is an ed25519 key (whsk_/whpk_); a webhook action needs a whsec_ secret";
  struct row {
    std::string name;
    std::string text;
    std::string error;
  };
  const std::vector<row> rows = {
      {"empty", "", "webhook secret is empty"},
      {"prefix only", "whsec_", "webhook secret is empty"},
      {"blank", " \t\n", "webhook secret is empty"},
      {"23 bytes",
       "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "webhook secret is 23 bytes; it must be 24 to 64"},
      {"65 bytes",
       "whsec_"
       "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
       "webhook secret is 65 bytes; it must be 24 to 64"},
      {"16 bytes",
       "whsec_c2hvcnQgc2hvcnQgc2hvcg==", "webhook secret is 16 bytes; it must be 24 to 64"},
      {"length not a multiple of 4", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
       "webhook secret is not valid base64"},
      {"unpadded", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
       "webhook secret is not valid base64"},
      {"bad character", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w",
       "webhook secret is not valid base64"},
      {"url-safe alphabet", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w",
       "webhook secret is not valid base64"},
      {"inner space", "whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw",
       "webhook secret is not valid base64"},
      {"padding inside", "whsec_MfKQ=r8GKYqrTwjUPD8ILPZIo2LaLaSw",
       "webhook secret is not valid base64"},
      {"three pads",
       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaL===", "webhook secret is not valid base64"},
      {"prefix in capitals", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
       "webhook secret is not valid base64"},
      {"prefix twice", "whsec_whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
       "webhook secret is not valid base64"},
      {"ed25519 secret key", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", std::string(ed25519)},
      {"ed25519 public key", "whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", std::string(ed25519)},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto parsed = fjwatch::parse_webhook_secret(r.text);
      BOOST_TEST_REQUIRE(parsed.has_error());
      BOOST_TEST(parsed.error().what == r.error);
      // No run of 8 characters of the secret text may show up in the message.
      for (std::size_t i = 6; i + 8 <= r.text.size(); ++i) {
        BOOST_TEST(parsed.error().what.find(r.text.substr(i, 8)) == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(secret_is_wiped_on_destruction) {
  const auto original = secret("whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH");  // 24 bytes of 0x07
  alignas(webhook_secret) unsigned char storage[sizeof(webhook_secret)];
  auto* copy = new (storage) webhook_secret(original);
  BOOST_TEST_REQUIRE(std::count(storage, storage + sizeof storage, 0x07) == 24);
  BOOST_TEST(bytes_of(*copy) == std::vector<unsigned char>(24, 7),
             boost::test_tools::per_element());
  copy->~webhook_secret();
  BOOST_TEST(std::count(storage, storage + sizeof storage, 0x07) == 0);
}

BOOST_AUTO_TEST_CASE(copies_are_independent) {
  auto a = secret(spec_secret);
  const auto b = secret(second_secret);
  a = b;
  BOOST_TEST(bytes_of(a) == bytes_of(b), boost::test_tools::per_element());
  BOOST_TEST(a.bytes().data() != b.bytes().data());
}

BOOST_AUTO_TEST_CASE(sign_spec_test_vector) {
  const std::vector<webhook_secret> one = {secret(spec_secret)};
  BOOST_TEST(fjwatch::sign_webhook(spec_id, spec_ts, spec_body, one) == spec_signature);
}

BOOST_AUTO_TEST_CASE(sign_rows) {
  const auto spec = secret(spec_secret);
  const auto second = secret(second_secret);
  const auto big = secret(secret_64);
  const std::string id(spec_id), body(spec_body), sig1(spec_signature), sig2(second_signature);
  struct row {
    std::string name;
    std::string id;
    std::int64_t ts;
    std::string body;
    std::vector<webhook_secret> secrets;
    std::string expected;
  };
  const std::vector<row> rows = {
      {"two secrets, in order", id, spec_ts, body, {spec, second}, sig1 + " " + sig2},
      {"two secrets, reversed", id, spec_ts, body, {second, spec}, sig2 + " " + sig1},
      {"no secret", id, spec_ts, body, {}, ""},
      // Computed with Python's hmac module.
      {"64-byte key, empty body, fjwatch event id",
       "fjw_69f45196c8bbf1ce65b5bcd6_done_0",
       1700000000,
       "",
       {big},
       "v1,tlay33uo2A1xMl1xsI7GShZPNAP04THhP5ZCM0DMwrg="},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(fjwatch::sign_webhook(r.id, r.ts, r.body, r.secrets) == r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(sign_rejects_dotted_id) {
  const std::vector<webhook_secret> one = {secret(spec_secret)};
  BOOST_CHECK_THROW(fjwatch::sign_webhook("msg.1", spec_ts, spec_body, one), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(verify_rows) {
  const std::vector<webhook_secret> keys = {secret(spec_secret), secret(second_secret)};
  const std::string good(spec_signature);
  const std::string both = good + " " + std::string(second_signature);
  struct row {
    std::string name;
    bool expected = false;
    std::string header = std::string(spec_signature);
    std::size_t key = 0;  // into keys
    std::int64_t now = spec_ts;
    std::string id = std::string(spec_id);
    std::string ts = std::string(spec_ts_text);
    std::string body = std::string(spec_body);
  };
  const std::vector<row> rows = {
      {.name = "spec vector", .expected = true},
      {.name = "two signatures, first secret", .expected = true, .header = both},
      {.name = "two signatures, second secret", .expected = true, .header = both, .key = 1},
      {.name = "wrong secret", .key = 1},
      {.name = "among garbage and other versions",
       .expected = true,
       .header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,x v1a,y junk " + good},
      {.name = "extra spaces", .expected = true, .header = "  " + good + "  "},
      {.name = "tampered body", .body = R"({"test": 2432232315})"},
      {.name = "tampered id", .id = "msg_p5jXN8AQM9LWM0D4loKWxJel"},
      {.name = "tampered timestamp", .now = spec_ts + 1, .ts = "1614265331"},
      {.name = "5 minutes old: accepted", .expected = true, .now = spec_ts + 300},
      {.name = "5 minutes 1 second old", .now = spec_ts + 301},
      {.name = "5 minutes ahead: accepted", .expected = true, .now = spec_ts - 300},
      {.name = "5 minutes 1 second ahead", .now = spec_ts - 301},
      {.name = "a day old", .now = spec_ts + 86400},
      {.name = "empty header", .header = ""},
      {.name = "bare v1,", .header = "v1,"},
      {.name = "no version", .header = good.substr(3)},
      {.name = "v2 with the right value", .header = "v2," + good.substr(3)},
      {.name = "V1 in capitals", .header = "V1," + good.substr(3)},
      {.name = "truncated", .header = good.substr(0, good.size() - 1)},
      {.name = "one character too many", .header = good + "="},
      {.name = "tab separator", .header = "v2,x\t" + good},
      {.name = "empty id", .id = ""},
      {.name = "dotted id", .id = "msg.p5jXN8AQM9LWM0D4loKWxJek"},
      {.name = "empty timestamp", .ts = ""},
      {.name = "signed timestamp", .ts = "+1614265330"},
      {.name = "timestamp with space", .ts = "1614265330 "},
      {.name = "fractional timestamp", .ts = "1614265330.0"},
      {.name = "timestamp overflow", .ts = "99999999999999999999"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(fjwatch::verify_webhook(r.id, r.ts, r.body, r.header, keys[r.key], r.now) ==
                 r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(verify_tolerance_argument) {
  const auto spec = secret(spec_secret);
  const auto verify = [&](std::int64_t now, std::chrono::seconds tolerance) {
    return fjwatch::verify_webhook(spec_id, spec_ts_text, spec_body, spec_signature, spec, now,
                                   tolerance);
  };
  BOOST_TEST(verify(spec_ts, 0s));
  BOOST_TEST(!verify(spec_ts + 1, 0s));
  BOOST_TEST(verify(spec_ts + 3600, 1h));
  BOOST_TEST(!verify(spec_ts + 3601, 1h));
  BOOST_TEST(!verify(std::numeric_limits<std::int64_t>::min(), 5min));
  BOOST_TEST(!verify(std::numeric_limits<std::int64_t>::max(), 5min));
}

BOOST_AUTO_TEST_CASE(verify_accepts_what_sign_makes) {
  const std::vector<webhook_secret> keys = {secret(spec_secret), secret(second_secret)};
  const std::string body =
      R"({"type":"session.done","data":{"session_id":"69f45196c8bbf1ce65b5bcd6"}})";
  const auto header =
      fjwatch::sign_webhook("fjw_69f45196c8bbf1ce65b5bcd6_done_0", 1777619382, body, keys);
  for (const auto& key : keys) {
    BOOST_TEST(fjwatch::verify_webhook("fjw_69f45196c8bbf1ce65b5bcd6_done_0", "1777619382", body,
                                       header, key, 1777619400));
  }
}

BOOST_AUTO_TEST_CASE(retry_schedule) {
  const auto schedule = fjwatch::default_retry_schedule();
  const std::vector<ms> expected = {5s, 30s, 2min, 10min, 30min, 1h, 2h, 4h, 8h, 8h};
  BOOST_TEST(schedule == expected, boost::test_tools::per_element());
  ms total(0);
  for (const auto d : schedule) total += d;
  BOOST_TEST(total.count() == ms(23h + 42min + 35s).count());
  BOOST_TEST(total > ms(23h));
  BOOST_TEST(total < ms(25h));
}

BOOST_AUTO_TEST_CASE(retry_delay_jitter_bounds) {
  const auto schedule = fjwatch::default_retry_schedule();
  const double almost_one = std::nextafter(1.0, 0.0);
  struct row {
    int attempts;
    std::int64_t low_ms;   // u = 0: 0.8 b
    std::int64_t mid_ms;   // u = 0.5: b
    std::int64_t high_ms;  // u -> 1: 1.2 b, bound excluded
  };
  const std::vector<row> rows = {
      {1, 4'000, 5'000, 5'999},
      {2, 24'000, 30'000, 35'999},
      {3, 96'000, 120'000, 143'999},
      {4, 480'000, 600'000, 719'999},
      {5, 1'440'000, 1'800'000, 2'159'999},
      {6, 2'880'000, 3'600'000, 4'319'999},
      {7, 5'760'000, 7'200'000, 8'639'999},
      {8, 11'520'000, 14'400'000, 17'279'999},
      {9, 23'040'000, 28'800'000, 34'559'999},
      {10, 23'040'000, 28'800'000, 34'559'999},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("after failure " << r.attempts) {
      const auto at = [&](double u) {
        return fjwatch::next_retry_delay(r.attempts, schedule, u, std::nullopt);
      };
      BOOST_TEST_REQUIRE(at(0.0).has_value());
      BOOST_TEST(at(0.0)->count() == r.low_ms);
      BOOST_TEST(at(0.5)->count() == r.mid_ms);
      BOOST_TEST(at(almost_one)->count() == r.high_ms);
      BOOST_TEST(at(-0.5)->count() == r.low_ms);
      BOOST_TEST(at(std::nan(""))->count() == r.low_ms);
      BOOST_TEST(at(1.0)->count() == r.high_ms);
      BOOST_TEST(at(7.0)->count() == r.high_ms);
    }
  }
}

BOOST_AUTO_TEST_CASE(retry_delay_exhaustion) {
  const auto schedule = fjwatch::default_retry_schedule();
  BOOST_TEST(fjwatch::next_retry_delay(10, schedule, 0.3, std::nullopt).has_value());
  BOOST_TEST(!fjwatch::next_retry_delay(11, schedule, 0.3, std::nullopt).has_value());
  BOOST_TEST(!fjwatch::next_retry_delay(11, schedule, 0.3, ms(5s)).has_value());
  BOOST_TEST(!fjwatch::next_retry_delay(1000, schedule, 0.3, std::nullopt).has_value());
  BOOST_TEST(!fjwatch::next_retry_delay(1, {}, 0.3, std::nullopt).has_value());
  BOOST_CHECK_THROW(fjwatch::next_retry_delay(0, schedule, 0.3, std::nullopt),
                    std::invalid_argument);
  BOOST_CHECK_THROW(fjwatch::next_retry_delay(-1, schedule, 0.3, std::nullopt),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(retry_delay_retry_after_floor) {
  const auto schedule = fjwatch::default_retry_schedule();
  struct row {
    std::string name;
    int attempts;
    double u;
    std::optional<ms> retry_after;
    std::int64_t expected_ms;
  };
  const std::vector<row> rows = {
      {"longer than the jittered wait", 1, 0.0, ms(10s), 10'000},
      {"shorter than the jittered wait", 1, 0.0, ms(1s), 4'000},
      {"zero", 1, 0.5, ms(0), 5'000},
      {"negative", 1, 0.5, ms(-5s), 5'000},
      {"two days, capped at one", 1, 0.0, ms(48h), 86'400'000},
      {"exactly one day", 3, 0.0, ms(24h), 86'400'000},
      {"below a late step", 10, 0.0, ms(2h), 23'040'000},
      {"above a late step", 9, 0.99, ms(20h), 72'000'000},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto got = fjwatch::next_retry_delay(r.attempts, schedule, r.u, r.retry_after);
      BOOST_TEST_REQUIRE(got.has_value());
      BOOST_TEST(got->count() == r.expected_ms);
    }
  }
}

BOOST_AUTO_TEST_CASE(classify_status) {
  struct row {
    int status;
    delivery_verdict expected;
  };
  const std::vector<row> rows = {
      {200, delivery_verdict::delivered}, {204, delivery_verdict::delivered},
      {299, delivery_verdict::delivered}, {100, delivery_verdict::retry},
      {199, delivery_verdict::retry},     {300, delivery_verdict::retry},
      {301, delivery_verdict::retry},     {302, delivery_verdict::retry},
      {304, delivery_verdict::retry},     {400, delivery_verdict::retry},
      {401, delivery_verdict::retry},     {404, delivery_verdict::retry},
      {409, delivery_verdict::retry},     {410, delivery_verdict::gone},
      {429, delivery_verdict::retry},     {500, delivery_verdict::retry},
      {502, delivery_verdict::retry},     {503, delivery_verdict::retry},
      {504, delivery_verdict::retry},     {0, delivery_verdict::retry},
      {-1, delivery_verdict::retry},      {999, delivery_verdict::retry},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.status) {
      BOOST_TEST((fjwatch::classify_webhook_status(r.status) == r.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(retry_after_only_for_429_and_503) {
  const auto now = utc(2026, 5, 1, 7, 9, 10);
  struct row {
    int status;
    std::string header;
    std::optional<std::int64_t> expected_ms;
  };
  const std::vector<row> rows = {
      {429, "120", 120'000},
      {503, "120", 120'000},
      {503, " 7 ", 7'000},
      {429, "0", 0},
      {503, "Fri, 01 May 2026 07:10:40 GMT", 90'000},
      {429, "Fri, 01 May 2026 07:00:00 GMT", 0},
      {429, "999999999", 86'400'000},
      {429, "", std::nullopt},
      {503, "soon", std::nullopt},
      {429, "-5", std::nullopt},
      {200, "120", std::nullopt},
      {301, "120", std::nullopt},
      {410, "120", std::nullopt},
      {500, "120", std::nullopt},
      {502, "120", std::nullopt},
      {504, "120", std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.status << " Retry-After: " << r.header) {
      const auto got = fjwatch::webhook_retry_after(r.status, r.header, now);
      BOOST_TEST(got.has_value() == r.expected_ms.has_value());
      if (got && r.expected_ms) BOOST_TEST(got->count() == *r.expected_ms);
    }
  }
}
