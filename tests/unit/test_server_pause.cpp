// What a server may ask of the polling: capped waits and the pause of every poll.
#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/server_pause.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using fjwatch::millis;
using fjwatch::poll_outcome;
using kind = poll_outcome::kind;

BOOST_AUTO_TEST_SUITE(server_pause)

BOOST_AUTO_TEST_CASE(waits_are_capped_whichever_header_says_them) {
  struct row {
    std::string name;
    std::optional<millis> retry_after, reset;
    std::optional<millis> want_retry_after, want_reset;
  };
  const std::vector<row> rows{
      {"none", std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {"under the cap", 30s, 12s, 30s, 12s},
      {"a day of Retry-After", 24h, std::nullopt, 15min, std::nullopt},
      {"a day of RateLimit-Reset", std::nullopt, 24h, std::nullopt, 15min},
      {"both over", 16min, 20h, 15min, 15min},
      {"at the cap", 15min, 15min, 15min, 15min},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      poll_outcome o;
      o.retry_after = r.retry_after;
      o.ratelimit_reset = r.reset;
      fjwatch::cap_server_waits(o, 15min);
      BOOST_TEST((o.retry_after == r.want_retry_after));
      BOOST_TEST((o.ratelimit_reset == r.want_reset));
    }
  }
}

BOOST_AUTO_TEST_CASE(which_answers_pause_every_poll_and_for_how_long) {
  struct row {
    std::string name;
    kind what;
    std::optional<std::int64_t> remaining;
    std::optional<millis> retry_after, reset;
    std::optional<millis> want;
    std::string cause;
  };
  const std::vector<row> rows{
      {"429 with Retry-After", kind::rate_limited, std::nullopt, 30s, 50s, 30s, "HTTP 429"},
      {"429 with RateLimit-Reset only", kind::rate_limited, 0, std::nullopt, 50s, 50s, "HTTP 429"},
      {"429 with neither", kind::rate_limited, std::nullopt, std::nullopt, std::nullopt, 1s,
       "HTTP 429"},
      {"window spent", kind::ok, 0, std::nullopt, 12s, 12s, "RateLimit-Remaining: 0"},
      {"window spent, Retry-After only", kind::ok, 0, 7s, std::nullopt, 7s,
       "RateLimit-Remaining: 0"},
      {"window spent, no time", kind::not_modified, 0, std::nullopt, std::nullopt, 1s,
       "RateLimit-Remaining: 0"},
      {"window open", kind::ok, 3, std::nullopt, 12s, std::nullopt, ""},
      {"503 with Retry-After", kind::server_error, std::nullopt, 30s, std::nullopt, std::nullopt,
       ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      poll_outcome o;
      o.what = r.what;
      o.ratelimit_remaining = r.remaining;
      o.retry_after = r.retry_after;
      o.ratelimit_reset = r.reset;
      const auto p = fjwatch::server_pause_for(o, 1s);
      BOOST_TEST(p.has_value() == r.want.has_value());
      if (p && r.want) {
        BOOST_TEST(p->wait.count() == r.want->count());
        BOOST_TEST(p->cause == r.cause);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_pause_is_long_while_it_lasts) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  const fjwatch::server_pause p{.from = t0, .until = t0 + 15min, .cause = "HTTP 429"};
  BOOST_TEST(p.length().count() == millis(15min).count());
  BOOST_TEST(p.left(t0 + 5min).count() == millis(10min).count());
  BOOST_TEST(p.left(t0 + 15min).count() == 0);
  BOOST_TEST(p.long_at(t0));
  BOOST_TEST(p.long_at(t0 + 15min - 1ms));
  BOOST_TEST(!p.long_at(t0 + 15min));
  const fjwatch::server_pause brief{.from = t0, .until = t0 + 59s};
  BOOST_TEST(!brief.long_at(t0));
}

BOOST_AUTO_TEST_SUITE_END()
