#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/cadence.hpp"
#include "fjwatch/policy/token_bucket.hpp"
#include "fjwatch/policy/server_budget.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace {

using fjwatch::millis;
using namespace std::chrono_literals;
using clock_type = fjwatch::token_bucket::clock;

constexpr double almost_one = 0.999999;

fjwatch::cadence_policy policy(millis interval, millis max_interval, double multiplier) {
  fjwatch::cadence_policy p;
  p.interval = interval;
  p.max_interval = max_interval;
  p.multiplier = multiplier;
  p.max_blind_interval = max_interval;
  return p;
}

std::int64_t ns(clock_type::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(next_gap)

BOOST_AUTO_TEST_CASE(table) {
  struct row {
    millis previous;
    bool moved;
    millis interval, max_interval;
    double multiplier;
    millis expected;
  };
  const std::vector<row> rows{
      {0ms, false, 5000ms, 60000ms, 1.5, 5000ms},     // never polled
      {0ms, true, 5000ms, 60000ms, 1.5, 5000ms},      // never polled and moved
      {5000ms, true, 5000ms, 60000ms, 1.5, 5000ms},   // moved: back to interval
      {40000ms, true, 5000ms, 60000ms, 1.5, 5000ms},  // moved from far out
      {60000ms, true, 5000ms, 60000ms, 1.5, 5000ms},  // moved from the cap
      {5000ms, false, 5000ms, 60000ms, 1.5, 7500ms},  // growth
      {7500ms, false, 5000ms, 60000ms, 1.5, 11250ms},
      {4000ms, false, 4000ms, 60000ms, 2.0, 8000ms},
      {16000ms, false, 4000ms, 60000ms, 2.0, 32000ms},
      {32000ms, false, 4000ms, 60000ms, 2.0, 60000ms},  // capped
      {40000ms, false, 5000ms, 60000ms, 1.5, 60000ms},  // capped
      {60000ms, false, 5000ms, 60000ms, 1.5, 60000ms},  // stays at the cap
      {90000ms, false, 5000ms, 60000ms, 1.5, 60000ms},  // beyond the cap (policy lowered)
      {5000ms, false, 5000ms, 60000ms, 1.0, 5000ms},    // multiplier 1: no growth
      {1000ms, false, 1000ms, 1000ms, 3.0, 1000ms},     // interval == max_interval
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("previous=" << r.previous.count() << " moved=" << r.moved << " interval="
                                   << r.interval.count() << " max=" << r.max_interval.count()
                                   << " multiplier=" << r.multiplier) {
      const auto p = policy(r.interval, r.max_interval, r.multiplier);
      BOOST_TEST(fjwatch::next_gap(r.previous, r.moved, p).count() == r.expected.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(unchanged_polls_grow_to_the_cap_and_stay) {
  const auto p = policy(5000ms, 60000ms, 1.5);
  millis gap{0};
  std::vector<millis::rep> seen;
  for (int i = 0; i < 12; ++i) {
    gap = fjwatch::next_gap(gap, false, p);
    seen.push_back(gap.count());
  }
  // 5000 7500 11250 16875 25312(.5) 37968(.75) 56953(.125) 60000...: non-decreasing, capped.
  BOOST_TEST(seen.front() == 5000);
  BOOST_TEST(seen[1] == 7500);
  BOOST_TEST(seen[2] == 11250);
  BOOST_TEST(seen[3] == 16875);
  BOOST_TEST(std::is_sorted(seen.begin(), seen.end()));
  for (std::size_t i = 7; i < seen.size(); ++i) {
    BOOST_TEST_CONTEXT("poll " << i) { BOOST_TEST(seen[i] == 60000); }
  }
}

BOOST_AUTO_TEST_CASE(growth_stops_at_the_blind_cap) {
  struct row {
    millis blind;
    millis expected_cap;
  };
  // interval 5s, max_interval 60s: the blind cap is max_blind_interval within 5s..60s.
  const std::vector<row> rows{
      {20000ms, 20000ms}, {5000ms, 5000ms},   {1000ms, 5000ms},
      {60000ms, 60000ms}, {90000ms, 60000ms},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("max_blind_interval=" << r.blind.count()) {
      auto p = policy(5000ms, 60000ms, 2.0);
      p.max_blind_interval = r.blind;
      BOOST_TEST(fjwatch::blind_cap(p).count() == r.expected_cap.count());
      millis gap{0};
      for (int i = 0; i < 10; ++i) gap = fjwatch::next_gap(gap, false, p);
      BOOST_TEST(gap.count() == r.expected_cap.count());
      BOOST_TEST(fjwatch::next_gap(gap, true, p).count() == 5000);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(predict_remaining)

BOOST_AUTO_TEST_CASE(table) {
  struct row {
    const char* what;
    std::int64_t anchor_ms, anchor_matched, now_ms, matched, total;
    std::optional<std::int64_t> expected;
  };
  const std::vector<row> rows{
      {"10 per second, 900 to go", 0, 0, 10000, 100, 1000, 90000},
      {"rate from the anchor, not from zero", 20000, 100, 30000, 200, 1000, 80000},
      {"rounded up to the next millisecond", 0, 0, 1000, 3, 4, 334},
      {"matched == total: due now", 0, 0, 5000, 50, 50, 0},
      {"matched > total: due now", 0, 0, 5000, 60, 50, 0},
      {"nothing matched since the anchor", 0, 10, 5000, 10, 50, std::nullopt},
      {"fewer matched than at the anchor", 0, 10, 5000, 5, 50, std::nullopt},
      {"total unknown", 0, 0, 5000, 10, 0, std::nullopt},
      {"no time since the anchor", 5000, 0, 5000, 10, 50, std::nullopt},
      {"a very slow search stays finite", 0, 0, 86400000, 1, 2000000000, 1000000000000000},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      const auto got =
          fjwatch::predict_remaining(r.anchor_ms, r.anchor_matched, r.now_ms, r.matched, r.total);
      BOOST_TEST(got.has_value() == r.expected.has_value());
      if (got && r.expected) BOOST_TEST(got->count() == *r.expected);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gap_to_finish)

BOOST_AUTO_TEST_CASE(table) {
  struct row {
    const char* what;
    millis remaining, span;
    millis expected;
  };
  // interval 5s, max_interval 60s; finish_caution 0.35, finish_lead 3.
  const std::vector<row> rows{
      // 10s left after 90s of evidence: 10 * (1 - 0.35 * 10/100) = 9.65s.
      {"close to a well-known finish: almost all the way", 10000ms, 90000ms, 9650ms},
      // 30s left after 30s: 30 * (1 - 0.35 * 0.5) = 24.75s.
      {"as far ahead as behind: over four fifths", 30000ms, 30000ms, 24750ms},
      // 50s left after 10s: 50 * (1 - 0.35 * 50/60) = 35.4s, but at most 3 * 10s.
      {"far beyond the evidence: at most 3 spans", 50000ms, 10000ms, 30000ms},
      // 20s left after 10s: 20 * (1 - 0.35 * 20/30) = 15.33s, under 3 * 10s.
      {"ahead of the evidence: short of the finish", 20000ms, 10000ms, 15333ms},
      {"lead bound", 200000ms, 5000ms, 15000ms},
      {"never below interval", 2000ms, 90000ms, 5000ms},
      {"due now: interval", 0ms, 90000ms, 5000ms},
      {"no evidence at all: interval", 0ms, 0ms, 5000ms},
      {"a negative span counts as none", 10000ms, -5000ms, 5000ms},
      {"never above max_interval", 600000ms, 300000ms, 60000ms},
  };
  const auto p = policy(5000ms, 60000ms, 1.5);
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      BOOST_TEST(fjwatch::gap_to_finish(r.remaining, r.span, p).count() == r.expected.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(never_past_the_predicted_finish) {
  const auto p = policy(1000ms, 3600000ms, 1.5);
  for (const millis remaining : {1000ms, 5000ms, 60000ms, 600000ms}) {
    for (const millis span : {1000ms, 10000ms, 100000ms, 1000000ms}) {
      BOOST_TEST_CONTEXT("remaining=" << remaining.count() << " span=" << span.count()) {
        const auto gap = fjwatch::gap_to_finish(remaining, span, p);
        BOOST_TEST(gap.count() <= remaining.count());
        BOOST_TEST(gap.count() <= 3 * span.count());
        // At least half way, unless the evidence is too short for that.
        BOOST_TEST(gap.count() >= std::min(remaining.count() / 2, 3 * span.count()));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(finish_confirmed)

BOOST_AUTO_TEST_CASE(table) {
  struct row {
    const char* what;
    std::int64_t earlier_finish_ms, now_ms;
    millis remaining;
    bool expected;
  };
  // interval 5s; finish_agreement 0.1 of the time left.
  const std::vector<row> rows{
      {"the same finish", 100000, 40000, 60000ms, true},
      {"6 s apart with 60 s left: just within", 106000, 40000, 60000ms, true},
      {"6 s apart the other way", 94000, 40000, 60000ms, true},
      {"6.001 s apart with 60 s left", 106001, 40000, 60000ms, false},
      {"little left: within 0.1 of interval", 42500, 40000, 2000ms, true},
      {"little left: further than 0.5 s", 42501, 40000, 2000ms, false},
      {"a finish far off", 1000000, 40000, 60000ms, false},
  };
  const auto p = policy(5000ms, 60000ms, 1.5);
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      BOOST_TEST(fjwatch::finish_confirmed(r.earlier_finish_ms, r.now_ms, r.remaining, p) ==
                 r.expected);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jittered)

BOOST_AUTO_TEST_CASE(within_floor_and_cap) {
  struct row {
    millis gap;
    double u;
    millis lo, hi, expected;
  };
  const std::vector<row> rows{
      {10000ms, 0.5, 5000ms, 20000ms, 10000ms},
      {10000ms, 0.0, 5000ms, 20000ms, 9000ms},
      {10000ms, almost_one, 5000ms, 20000ms, 11000ms},
      {5000ms, 0.0, 5000ms, 20000ms, 5000ms},
      {20000ms, almost_one, 5000ms, 20000ms, 20000ms},
      {20000ms, 0.0, 5000ms, 20000ms, 18000ms},
      {10000ms, almost_one, 5000ms, 10000ms, 10000ms},  // only shorter: hi == gap
      {10000ms, 0.0, 5000ms, 10000ms, 9000ms},
      {4000ms, 0.5, 5000ms, 4000ms, 4000ms},  // lo > hi: hi wins
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("gap=" << r.gap.count() << " u=" << r.u << " lo=" << r.lo.count()
                              << " hi=" << r.hi.count()) {
      BOOST_TEST(fjwatch::jittered_within(r.gap, 0.1, r.u, r.lo, r.hi).count() ==
                 r.expected.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(exact_values) {
  struct row {
    millis gap;
    double jitter;
    double u;
    millis expected;
  };
  const std::vector<row> rows{
      {10000ms, 0.0, 0.0, 10000ms},        {10000ms, 0.0, 0.5, 10000ms},
      {10000ms, 0.0, almost_one, 10000ms}, {10000ms, 0.1, 0.0, 9000ms},
      {10000ms, 0.1, 0.5, 10000ms},        {10000ms, 0.5, 0.0, 5000ms},
      {10000ms, 0.5, 0.5, 10000ms},        {10000ms, 0.5, 0.25, 7500ms},
      {10000ms, 0.5, 0.75, 12500ms},       {0ms, 0.5, 0.0, 0ms},
      {0ms, 0.5, almost_one, 0ms},         {60000ms, 0.1, 0.0, 54000ms},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("gap=" << r.gap.count() << " jitter=" << r.jitter << " u=" << r.u) {
      BOOST_TEST(fjwatch::jittered(r.gap, r.jitter, r.u).count() == r.expected.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(bounds) {
  for (const double jitter : {0.0, 0.1, 0.5}) {
    for (const double u : {0.0, 0.5, almost_one}) {
      for (const millis gap : {1ms, 100ms, 5000ms, 60000ms, 86400000ms}) {
        BOOST_TEST_CONTEXT("gap=" << gap.count() << " jitter=" << jitter << " u=" << u) {
          const auto g = static_cast<double>(gap.count());
          const auto got = static_cast<double>(fjwatch::jittered(gap, jitter, u).count());
          BOOST_TEST(got >= 0.0);
          // The rounding to whole milliseconds may add at most half a millisecond either way.
          BOOST_TEST(got >= g * (1.0 - jitter) - 0.5);
          BOOST_TEST(got <= g * (1.0 + jitter) + 0.5);
          const double exact = g * (1.0 + jitter * (2.0 * u - 1.0));
          BOOST_TEST(got >= exact - 0.5);
          BOOST_TEST(got <= exact + 0.5);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(full_jitter_bounds) {
  fjwatch::cadence_policy p;
  p.retry_initial = 1000ms;
  p.retry_max = 300000ms;
  for (int n = 1; n <= 20; ++n) {
    const std::int64_t cap = std::min<std::int64_t>(300000, 1000LL << (n - 1));
    BOOST_TEST_CONTEXT("failures=" << n << " cap=" << cap) {
      BOOST_TEST(fjwatch::backoff(n, p, 0.0, std::nullopt).count() == 1);
      BOOST_TEST(fjwatch::backoff(n, p, 0.5, std::nullopt).count() == cap / 2);
      const auto top = fjwatch::backoff(n, p, almost_one, std::nullopt).count();
      BOOST_TEST(top <= cap);
      BOOST_TEST(top >= cap - 1);
      for (double u = 0.0; u < 1.0; u += 0.0625) {
        const auto got = fjwatch::backoff(n, p, u, std::nullopt).count();
        BOOST_TEST(got >= 1);
        BOOST_TEST(got <= cap);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(exact_table) {
  struct row {
    int failures;
    double u;
    std::optional<millis> floor;
    millis expected;
  };
  // retry_initial 200ms, retry_max 10s.
  const std::vector<row> rows{
      {1, 0.5, std::nullopt, 100ms},
      {2, 0.5, std::nullopt, 200ms},
      {3, 0.5, std::nullopt, 400ms},
      {6, 0.5, std::nullopt, 3200ms},
      {7, 0.5, std::nullopt, 5000ms},
      {8, 0.5, std::nullopt, 5000ms},
      {1, 0.0, std::nullopt, 1ms},
      {1, 0.004, std::nullopt, 1ms},
      {1, 0.0, 30000ms, 30000ms},    // Retry-After wins over a small backoff
      {8, 0.999, 30000ms, 30000ms},  // ...and over the ceiling itself
      {8, 0.5, 1000ms, 5000ms},      // a smaller floor changes nothing
      {3, 0.5, 400ms, 400ms},        // equal
      {1, 0.0, 0ms, 1ms},            // a zero Retry-After: still at least 1 ms
  };
  fjwatch::cadence_policy p;
  p.retry_initial = 200ms;
  p.retry_max = 10000ms;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("failures=" << r.failures << " u=" << r.u
                                   << " floor=" << (r.floor ? r.floor->count() : -1)) {
      BOOST_TEST(fjwatch::backoff(r.failures, p, r.u, r.floor).count() == r.expected.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(no_overflow_for_many_failures) {
  fjwatch::cadence_policy p;
  p.retry_initial = 1000ms;
  p.retry_max = 300000ms;
  for (const int n : {31, 32, 63, 64, 65, 100, 1000, 65535, 1000000}) {
    BOOST_TEST_CONTEXT("failures=" << n) {
      BOOST_TEST(fjwatch::backoff(n, p, 0.5, std::nullopt).count() == 150000);
      const auto top = fjwatch::backoff(n, p, almost_one, std::nullopt).count();
      BOOST_TEST(top >= 299999);
      BOOST_TEST(top <= 300000);
      BOOST_TEST(fjwatch::backoff(n, p, 0.0, std::nullopt).count() == 1);
    }
  }
  // A day-long ceiling with a large initial value must not wrap either.
  p.retry_initial = 3600000ms;
  p.retry_max = 86400000ms;
  BOOST_TEST(fjwatch::backoff(1000, p, 0.5, std::nullopt).count() == 43200000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_bucket)

BOOST_AUTO_TEST_CASE(burst_then_pacing_at_the_same_instant) {
  fjwatch::token_bucket bucket(10.0, 5.0);
  const clock_type::time_point t0{std::chrono::seconds(1000)};
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST_CONTEXT("take " << i) { BOOST_TEST(ns(bucket.take(t0)) == 0); }
  }
  for (int k = 1; k <= 20; ++k) {
    BOOST_TEST_CONTEXT("take beyond the burst, k=" << k) {
      // k / rate seconds, to within a microsecond of floating-point noise.
      const std::int64_t expected = k * 100'000'000LL;
      const auto got = ns(bucket.take(t0));
      BOOST_TEST(got >= expected - 1000);
      BOOST_TEST(got <= expected + 1000);
    }
  }
}

BOOST_AUTO_TEST_CASE(refills_up_to_burst_never_beyond) {
  fjwatch::token_bucket bucket(4.0, 3.0);
  const clock_type::time_point t0{std::chrono::seconds(50)};
  for (int i = 0; i < 3; ++i) BOOST_TEST(ns(bucket.take(t0)) == 0);
  // 0.5 s later: 2 tokens back.
  const auto t1 = t0 + 500ms;
  BOOST_TEST(ns(bucket.take(t1)) == 0);
  BOOST_TEST(ns(bucket.take(t1)) == 0);
  const auto wait = ns(bucket.take(t1));
  BOOST_TEST(wait >= 250'000'000 - 1000);
  BOOST_TEST(wait <= 250'000'000 + 1000);
  // Idle for an hour: only `burst` tokens are saved.
  const auto t2 = t1 + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST_CONTEXT("after idle, take " << i) { BOOST_TEST(ns(bucket.take(t2)) == 0); }
  }
  const auto after_idle = ns(bucket.take(t2));
  BOOST_TEST(after_idle >= 250'000'000 - 1000);
  BOOST_TEST(after_idle <= 250'000'000 + 1000);
}

BOOST_AUTO_TEST_CASE(fresh_bucket_starts_full) {
  fjwatch::token_bucket bucket(1.0, 2.0);
  const clock_type::time_point t0{std::chrono::seconds(7)};
  BOOST_TEST(ns(bucket.take(t0)) == 0);
  BOOST_TEST(ns(bucket.take(t0)) == 0);
  const auto wait = ns(bucket.take(t0));
  BOOST_TEST(wait >= 1'000'000'000 - 1000);
  BOOST_TEST(wait <= 1'000'000'000 + 1000);
}

BOOST_AUTO_TEST_CASE(waits_queue_up_for_callers_arriving_while_in_debt) {
  fjwatch::token_bucket bucket(10.0, 1.0);
  const clock_type::time_point t0{std::chrono::seconds(3)};
  BOOST_TEST(ns(bucket.take(t0)) == 0);  // uses its token at t0
  // Arrives at t0+50ms: the next token exists at t0+100ms.
  const auto w1 = ns(bucket.take(t0 + 50ms));
  BOOST_TEST(w1 >= 50'000'000 - 1000);
  BOOST_TEST(w1 <= 50'000'000 + 1000);
  // Arrives at t0+60ms: queued behind the previous one, so t0+200ms.
  const auto w2 = ns(bucket.take(t0 + 60ms));
  BOOST_TEST(w2 >= 140'000'000 - 1000);
  BOOST_TEST(w2 <= 140'000'000 + 1000);
}

// Many callers at assorted times: the instants at which requests are actually sent (now + wait)
// never exceed `burst + rate * window` in any window.
BOOST_AUTO_TEST_CASE(long_run_rate_never_exceeds_per_second) {
  struct params {
    double rate, burst;
    std::int64_t step_us;  // arrival spacing pattern base
  };
  for (const params pr :
       {params{10.0, 5.0, 7000}, params{3.0, 1.0, 1000}, params{50.0, 20.0, 400}}) {
    BOOST_TEST_CONTEXT("rate=" << pr.rate << " burst=" << pr.burst) {
      fjwatch::token_bucket bucket(pr.rate, pr.burst);
      clock_type::time_point now{std::chrono::seconds(100)};
      std::vector<double> sent;  // seconds since start
      const auto start = now;
      std::uint32_t lcg = 12345;
      for (int i = 0; i < 600; ++i) {
        lcg = lcg * 1664525u + 1013904223u;
        // Bursts of arrivals at one instant mixed with gaps of up to ~2 s.
        if (lcg % 4 != 0) now += std::chrono::microseconds(pr.step_us * ((lcg >> 8) % 300));
        const auto wait = bucket.take(now);
        BOOST_TEST(ns(wait) >= 0);
        sent.push_back(std::chrono::duration<double>(now + wait - start).count());
      }
      std::sort(sent.begin(), sent.end());
      bool ok = true;
      for (std::size_t i = 0; i < sent.size() && ok; ++i) {
        for (std::size_t j = i; j < sent.size(); ++j) {
          const double allowed = pr.burst + pr.rate * (sent[j] - sent[i]) + 1e-6;
          if (static_cast<double>(j - i + 1) > allowed) {
            BOOST_ERROR("window " << sent[i] << ".." << sent[j] << " holds " << (j - i + 1)
                                  << " requests, allowed " << allowed);
            ok = false;
            break;
          }
        }
      }
      BOOST_TEST(ok);
      // And the overall pace: 600 requests need at least (600 - burst) / rate seconds.
      BOOST_TEST(sent.back() >= (600.0 - pr.burst) / pr.rate - 1e-6);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_budget)

using fjwatch::server_budget;
const clock_type::time_point t0{std::chrono::seconds(1000)};

BOOST_AUTO_TEST_CASE(a_tight_budget_spaces_requests) {
  server_budget b(1ms);  // api.rate 1000/s
  BOOST_TEST((b.next_allowed() == clock_type::time_point::min()));
  b.took(t0);
  b.update(20, 10s);  // 20 left for 10 s: one every 500 ms
  BOOST_TEST((b.next_allowed() == t0 + 500ms));
  b.took(t0 + 500ms);
  b.update(19, 9500ms);
  BOOST_TEST((b.next_allowed() == t0 + 1000ms));
  b.took(t0 + 9s);
  b.update(1, 1s);  // the last one: it may go when the window ends
  BOOST_TEST((b.next_allowed() == t0 + 10s));
}

BOOST_AUTO_TEST_CASE(a_budget_looser_than_api_rate_does_not_bind) {
  server_budget b(100ms);  // api.rate 10/s
  b.took(t0);
  BOOST_TEST(!b.update(600, 60s));  // 10/s: exactly api.rate, no tighter
  BOOST_TEST((b.next_allowed() == clock_type::time_point::min()));
  b.update(0, 60s);  // exhausted: the pause at 0 is the scheduler's, not a spacing
  BOOST_TEST((b.next_allowed() == clock_type::time_point::min()));
  b.update(5, 0s);
  BOOST_TEST((b.next_allowed() == clock_type::time_point::min()));
}

BOOST_AUTO_TEST_CASE(a_looser_answer_brings_the_next_request_forward) {
  server_budget b(1ms);
  b.took(t0);
  BOOST_TEST(!b.update(2, 2s));  // one per second: later than before (no binding)
  BOOST_TEST((b.next_allowed() == t0 + 1s));
  BOOST_TEST(b.update(20, 2s));  // the window reset: 100 ms apart now
  BOOST_TEST((b.next_allowed() == t0 + 100ms));
  BOOST_TEST(b.update(5000, 2s));  // looser than api.rate: free
  BOOST_TEST((b.next_allowed() == clock_type::time_point::min()));
}

BOOST_AUTO_TEST_SUITE_END()
