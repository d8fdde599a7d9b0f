// The 401 probe, step by step: who waits, who probes, what moves the state.
#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/auth_probe.hpp"

#include <chrono>

using namespace std::chrono_literals;
using fjwatch::auth_probe;
using change = auth_probe::change;
using clock_type = auth_probe::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1h;

// 401 and network error flags of an answer.
constexpr bool rejected = true;
constexpr bool answered_ok = false;
constexpr bool network = true;

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_probe_steps)

BOOST_AUTO_TEST_CASE(an_accepted_key_holds_nothing) {
  auth_probe p(1s, 10min);
  BOOST_TEST(!p.failing());
  BOOST_TEST((p.next_allowed() == clock_type::time_point::min()));
  p.started(3);  // an ordinary poll, not a probe
  const auto s = p.answered(3, answered_ok, false, t0);
  BOOST_TEST((s.what == change::none));
  BOOST_TEST(!s.probe_answered);
  BOOST_TEST((p.next_allowed() == clock_type::time_point::min()));
}

BOOST_AUTO_TEST_CASE(a_401_pauses_then_one_probe_at_a_time_with_doubling_gaps) {
  auth_probe p(1s, 10min);
  p.started(1);
  p.started(2);
  // Poll 1 gets a 401: every poll waits the first gap.
  auto s = p.answered(1, rejected, false, t0);
  BOOST_TEST((s.what == change::rejected));
  BOOST_TEST(p.failing());
  BOOST_TEST((p.next_allowed() == t0 + 1s));
  // Poll 2 was already out: its 401 proves nothing new and moves nothing.
  s = p.answered(2, rejected, false, t0 + 100ms);
  BOOST_TEST((s.what == change::none));
  BOOST_TEST((p.next_allowed() == t0 + 1s));
  // After the gap one poll goes: the probe. While it is out nothing else may.
  p.started(7);
  BOOST_TEST((p.next_allowed() == clock_type::time_point::max()));
  s = p.answered(7, rejected, false, t0 + 1500ms);
  BOOST_TEST(s.probe_answered);
  BOOST_TEST((s.what == change::none));
  BOOST_TEST((p.next_allowed() == t0 + 1500ms + 2s));  // the gap doubled
  p.started(7);
  s = p.answered(7, rejected, false, t0 + 4s);
  BOOST_TEST((p.next_allowed() == t0 + 4s + 4s));
}

BOOST_AUTO_TEST_CASE(the_gap_stops_growing_at_its_maximum) {
  auth_probe p(1s, 5s);
  p.started(0);
  p.answered(0, rejected, false, t0);
  auto now = t0;
  for (int i = 0; i < 6; ++i) {
    now += 10s;
    p.started(0);
    p.answered(0, rejected, false, now);
  }
  BOOST_TEST((p.next_allowed() == now + 5s));
}

BOOST_AUTO_TEST_CASE(a_network_error_of_the_probe_keeps_the_gap) {
  auth_probe p(2s, 10min);
  p.started(0);
  p.answered(0, rejected, false, t0);
  p.started(4);
  const auto s = p.answered(4, answered_ok, network, t0 + 3s);
  BOOST_TEST(s.probe_answered);
  BOOST_TEST((s.what == change::none));
  BOOST_TEST(p.failing());
  BOOST_TEST((p.next_allowed() == t0 + 3s + 2s));  // the same gap again
}

BOOST_AUTO_TEST_CASE(only_the_probes_good_answer_resumes) {
  auth_probe p(1s, 10min);
  p.started(1);
  p.started(2);
  p.answered(1, rejected, false, t0);
  // An answer of a poll that was out before the 401 resumes nothing.
  auto s = p.answered(2, answered_ok, false, t0 + 10ms);
  BOOST_TEST((s.what == change::none));
  BOOST_TEST(p.failing());
  p.started(5);
  s = p.answered(5, answered_ok, false, t0 + 2s);
  BOOST_TEST((s.what == change::accepted));
  BOOST_TEST(s.probe_answered);
  BOOST_TEST(!p.failing());
  BOOST_TEST((p.next_allowed() == clock_type::time_point::min()));
  // A later 401 starts over from the first gap, which a reload may have changed.
  p.set_first_gap(3s);
  p.started(5);
  s = p.answered(5, rejected, false, t0 + 10s);
  BOOST_TEST((s.what == change::rejected));
  BOOST_TEST((p.next_allowed() == t0 + 13s));
}

// A reload's new key: the old key's pause ends at once, a probe still out no longer counts, and
// a 401 to the new key pauses afresh from the first gap.
BOOST_AUTO_TEST_CASE(a_new_key_forgets_the_old_rejection) {
  auth_probe p(1s, 10min);
  p.answered(1, rejected, answered_ok, t0);
  p.started(2);                                   // the probe
  p.answered(2, rejected, answered_ok, t0 + 1s);  // the gap doubles to 2 s
  BOOST_TEST(p.failing());
  p.started(3);  // a probe out with the old key
  p.key_changed();
  BOOST_TEST(!p.failing());
  BOOST_TEST((p.next_allowed() == clock_type::time_point::min()));
  // The old probe's answer is not the probe's any more (the scheduler turns a 401 to the old key
  // into a failed poll); a 401 to the new key is a new rejection, with the first gap.
  const auto step = p.answered(4, rejected, answered_ok, t0 + 3s);
  BOOST_TEST((step.what == change::rejected));
  BOOST_TEST(!step.probe_answered);
  BOOST_TEST((p.next_allowed() == t0 + 4s));
}

BOOST_AUTO_TEST_SUITE_END()
