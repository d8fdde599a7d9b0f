// A delivery lane's circuit breaker, step by step.
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

BOOST_AUTO_TEST_SUITE(delivery_breaker_steps)

BOOST_AUTO_TEST_CASE(opens_after_threshold_failures_in_a_row_each_time_a_step_longer) {
  delivery_breaker b({5s, 30s, 2min}, 3);
  for (int i = 0; i < 2; ++i) BOOST_TEST(!b.record(delivery_verdict::retry));
  BOOST_TEST(!b.trip().has_value());  // two failures: still closed
  b.record(delivery_verdict::retry);
  BOOST_TEST((b.trip() == std::optional<millis>(5s)));
  BOOST_TEST(b.openings() == 1);
  BOOST_TEST(!b.trip().has_value());  // the count started afresh
  for (int i = 0; i < 3; ++i) b.record(delivery_verdict::retry);
  BOOST_TEST((b.trip() == std::optional<millis>(30s)));
  for (int i = 0; i < 3; ++i) b.record(delivery_verdict::retry);
  BOOST_TEST((b.trip() == std::optional<millis>(2min)));
  for (int i = 0; i < 3; ++i) b.record(delivery_verdict::retry);
  BOOST_TEST((b.trip() == std::optional<millis>(2min)));  // the last step, again
  BOOST_TEST(b.openings() == 4);
}

BOOST_AUTO_TEST_CASE(a_delivered_attempt_closes_it_and_says_the_target_resumed) {
  delivery_breaker b({5s, 30s}, 2);
  b.record(delivery_verdict::retry);
  BOOST_TEST(!b.record(delivery_verdict::delivered));  // never opened: nothing to resume
  b.record(delivery_verdict::retry);
  BOOST_TEST(!b.trip().has_value());  // the success reset the count
  b.record(delivery_verdict::retry);
  BOOST_TEST(b.trip().has_value());
  BOOST_TEST(b.record(delivery_verdict::delivered));  // resumed
  BOOST_TEST(b.openings() == 0);
  for (int i = 0; i < 2; ++i) b.record(delivery_verdict::retry);
  BOOST_TEST((b.trip() == std::optional<millis>(5s)));  // from the first step again
}

BOOST_AUTO_TEST_CASE(gone_is_an_answer_not_a_failure) {
  delivery_breaker b({5s}, 2);
  b.record(delivery_verdict::retry);
  b.record(delivery_verdict::gone);
  BOOST_TEST(!b.trip().has_value());
  b.record(delivery_verdict::retry);
  BOOST_TEST(b.trip().has_value());  // gone neither counted nor reset
}

BOOST_AUTO_TEST_CASE(an_empty_schedule_is_a_bug) {
  BOOST_CHECK_THROW(delivery_breaker(std::vector<millis>{}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
