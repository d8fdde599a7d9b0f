// A delivery lane's circuit breaker, step by step: closed, open, half open, and pauses that
// follow how long the target has been failing.
#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/delivery_breaker.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
using fjwatch::delivery_breaker;
using fjwatch::delivery_verdict;
using millis = std::chrono::milliseconds;
using state = delivery_breaker::state;
using clock_type = delivery_breaker::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1h;
const std::vector<millis> schedule{5s, 30s, 2min, 10min, 30min};

void fail(delivery_breaker& b, int n, clock_type::time_point at) {
  for (int i = 0; i < n; ++i) b.record(delivery_verdict::retry, at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery_breaker_steps)

// A wave of failures at once is a moment, not an outage: the lane goes on, each delivery on its
// own schedule.
BOOST_AUTO_TEST_CASE(failures_at_once_do_not_open_it) {
  delivery_breaker b(schedule, 5);
  fail(b, 40, t0);
  BOOST_TEST(!b.trip(t0).has_value());
  BOOST_TEST(!b.trip(t0 + 4999ms).has_value());
  BOOST_TEST((b.current() == state::closed));
  BOOST_TEST(b.wave_width(8) == 8u);
}

BOOST_AUTO_TEST_CASE(failing_for_the_first_step_opens_it_for_that_step) {
  delivery_breaker b(schedule, 3);
  fail(b, 2, t0);
  b.record(delivery_verdict::retry, t0 + 5s);
  BOOST_TEST((b.trip(t0 + 5s) == std::optional<millis>(5s)));
  BOOST_TEST((b.current() == state::open));
  BOOST_TEST(b.wave_width(8) == 0u);         // resting
  BOOST_TEST(!b.trip(t0 + 6s).has_value());  // a second look opens nothing more
}

BOOST_AUTO_TEST_CASE(too_few_failures_in_a_row_do_not_open_it_however_long) {
  delivery_breaker b(schedule, 5);
  fail(b, 4, t0);
  BOOST_TEST(!b.trip(t0 + 1h).has_value());
  b.record(delivery_verdict::delivered, t0 + 1h);
  fail(b, 4, t0 + 2h);  // a new run, counted afresh
  BOOST_TEST(!b.trip(t0 + 3h).has_value());
}

BOOST_AUTO_TEST_CASE(after_the_pause_one_probe_decides) {
  delivery_breaker b(schedule, 2);
  fail(b, 2, t0);
  auto now = t0 + 5s;
  BOOST_TEST((b.trip(now) == std::optional<millis>(5s)));
  now += 5s;
  b.rested();
  BOOST_TEST((b.current() == state::half_open));
  BOOST_TEST(b.wave_width(8) == 1u);  // the probe
  // A failed probe opens it again at once, for as long as the target has been failing allows.
  b.record(delivery_verdict::retry, now);
  BOOST_TEST((b.trip(now) == std::optional<millis>(5s)));  // failing 10 s: still the first step
  now += 25s;                                              // failing 35 s
  b.rested();
  b.record(delivery_verdict::retry, now);
  BOOST_TEST((b.trip(now) == std::optional<millis>(30s)));
  // A probe that is delivered closes it: whole waves again, the next run counted afresh.
  now += 30s;
  b.rested();
  BOOST_TEST(b.record(delivery_verdict::delivered, now));  // resumed
  BOOST_TEST((b.current() == state::closed));
  BOOST_TEST(b.wave_width(8) == 8u);
  fail(b, 2, now);
  BOOST_TEST(!b.trip(now).has_value());
}

// A target down for half an hour gets one probe per pause, the pauses growing with the outage:
// 5 s while it has failed under 30 s, then 30 s, 2 m, 10 m. Not one pause per failed attempt.
BOOST_AUTO_TEST_CASE(a_target_down_for_thirty_minutes_gets_one_probe_per_pause) {
  delivery_breaker b(schedule, 5);
  fail(b, 8, t0);  // one wide wave
  auto now = t0 + 5s;
  b.record(delivery_verdict::retry, now);  // the retries a step later fail too
  std::vector<millis> pauses;
  for (auto pause = b.trip(now); pause && now < t0 + 30min; pause = b.trip(now)) {
    pauses.push_back(*pause);
    now += *pause;
    b.rested();
    BOOST_TEST(b.wave_width(4) == 1u);
    b.record(delivery_verdict::retry, now);
  }
  const std::vector<millis> expected{5s,    5s,   5s,   5s,   5s,  // failing 5..30 s
                                     30s,   30s,  30s,             // 30 s..2 m
                                     2min,  2min, 2min, 2min,      // 2..10 m
                                     10min, 10min};                // 10..30 m
  BOOST_TEST(pauses == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(any_answer_shows_the_target_is_up) {
  delivery_breaker b(schedule, 2);
  b.record(delivery_verdict::retry, t0);
  b.record(delivery_verdict::gone, t0);  // a 410 is an answer: the run ends
  b.record(delivery_verdict::retry, t0 + 5s);
  BOOST_TEST(!b.trip(t0 + 5s).has_value());  // failing since 5 s, not since 0
  b.record(delivery_verdict::retry, t0 + 10s);
  BOOST_TEST(b.trip(t0 + 10s).has_value());
  b.rested();
  BOOST_TEST(b.record(delivery_verdict::gone, t0 + 15s));  // the probe got an answer: resumed
  BOOST_TEST((b.current() == state::closed));
  BOOST_TEST(!b.record(delivery_verdict::delivered, t0 + 16s));  // never opened since
}

BOOST_AUTO_TEST_CASE(an_empty_schedule_is_a_bug) {
  BOOST_CHECK_THROW(delivery_breaker(std::vector<millis>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
