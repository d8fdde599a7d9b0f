#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/tracker.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"
#include "fjwatch/config/policies.hpp"
#include "fjwatch/poll/tracked_row.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using fjwatch::event_type;
using fjwatch::matching_status;
using fjwatch::millis;
using fjwatch::poll_outcome;
using fjwatch::session_phase;
using namespace std::chrono_literals;

constexpr std::int64_t t0 = 1'700'000'000'000;  // a unix time in ms
constexpr std::int64_t hour = 3'600'000;
constexpr double almost_one = 0.999999;

std::string phase_name(session_phase p) {
  switch (p) {
    case session_phase::active:
      return "active";
    case session_phase::done_stopped:
      return "done_stopped";
    case session_phase::not_found:
      return "not_found";
    case session_phase::timed_out:
      return "timed_out";
  }
  return "?";
}

std::vector<std::string> names(const std::vector<event_type>& events) {
  std::vector<std::string> out;
  for (auto e : events) out.emplace_back(fjwatch::to_string(e));
  return out;
}

poll_outcome ok(matching_status st, std::int64_t matched = 0, std::int64_t counter = 0,
                std::int64_t total = 100) {
  fjwatch::session_snapshot s;
  s.status = st;
  s.id = "69f45196c8bbf1ce65b5bcd6";
  s.matched = matched;
  s.total_for_matching = total;
  s.search_more_counter = counter;
  poll_outcome o;
  o.what = poll_outcome::kind::ok;
  o.http_status = 200;
  o.session = std::move(s);
  return o;
}

poll_outcome not_modified() {
  poll_outcome o;
  o.what = poll_outcome::kind::not_modified;
  o.http_status = 304;
  return o;
}

poll_outcome failure(poll_outcome::kind k, std::optional<millis> retry_after = std::nullopt) {
  poll_outcome o;
  o.what = k;
  o.retry_after = retry_after;
  return o;
}

constexpr auto processing = matching_status::processing;
constexpr auto fetching_more = matching_status::fetching_more;
constexpr auto done = matching_status::done;

// interval 4s, max 60s, blind cap 32s, x2, jitter 0.1, retry 1s..300s, give up after 1h, stop
// after done.
fjwatch::tracker_policy base_policy() {
  fjwatch::tracker_policy p;
  p.cadence.interval = 4000ms;
  p.cadence.max_interval = 60000ms;
  p.cadence.max_blind_interval = 32000ms;
  p.cadence.multiplier = 2.0;
  p.cadence.jitter = 0.1;
  p.cadence.retry_initial = 1000ms;
  p.cadence.retry_max = 300000ms;
  p.give_up_after = millis(hour);
  p.after_done = fjwatch::after_done_policy::stop;
  p.status_events = false;
  return p;
}

fjwatch::tracker_policy watch_policy(bool status_events = false) {
  auto p = base_policy();
  p.after_done = fjwatch::after_done_policy::watch;
  p.status_events = status_events;
  return p;
}

fjwatch::tracker_policy stop_policy(bool status_events) {
  auto p = base_policy();
  p.status_events = status_events;
  return p;
}

struct step {
  poll_outcome outcome;
  std::int64_t now_ms;
  std::vector<std::string> events;
  bool persist = false;
  bool stop = false;
  session_phase phase = session_phase::active;
  std::int64_t delay_lo = 0;  // inclusive bounds on the delay, checked when !stop
  std::int64_t delay_hi = 0;
  double u1 = 0.5;                            // backoff randomness
  double u2 = 0.5;                            // jitter randomness; 0.5 means no jitter
  std::optional<int> failures;                // expected afterwards
  std::optional<std::int64_t> waiting_since;  // expected afterwards
};

// A step whose delay is exactly `delay` ms.
step at(poll_outcome o, std::int64_t now, std::vector<std::string> events, bool persist,
        std::int64_t delay) {
  step s{std::move(o), now, std::move(events), persist};
  s.delay_lo = s.delay_hi = delay;
  return s;
}

// A step whose delay is `delay` ms give or take 1 (a predicted finish, rounded).
step near(poll_outcome o, std::int64_t now, bool persist, std::int64_t delay) {
  step s{std::move(o), now, {}, persist};
  s.delay_lo = delay - 1;
  s.delay_hi = delay + 1;
  return s;
}

// A step that stops the session in `phase`.
step stops(poll_outcome o, std::int64_t now, std::vector<std::string> events, session_phase phase) {
  step s{std::move(o), now, std::move(events), true, true, phase};
  return s;
}

step with(step s, double u1, double u2, std::int64_t lo, std::int64_t hi) {
  s.u1 = u1;
  s.u2 = u2;
  s.delay_lo = lo;
  s.delay_hi = hi;
  return s;
}

step expect_failures(step s, int n) {
  s.failures = n;
  return s;
}

step expect_waiting_since(step s, std::int64_t ms) {
  s.waiting_since = ms;
  return s;
}

struct scenario {
  std::string name;
  fjwatch::tracker_policy policy;
  std::vector<step> steps;
};

const std::string ev_done = "session.done";
const std::string ev_not_found = "session.not_found";
const std::string ev_timeout = "session.timeout";
const std::string ev_changed = "session.status_changed";

void run(const scenario& sc) {
  fjwatch::tracked_session s;
  s.waiting_since_ms = t0;  // the scheduler starts the wait when it starts watching
  for (std::size_t i = 0; i < sc.steps.size(); ++i) {
    const auto& st = sc.steps[i];
    BOOST_TEST_CONTEXT(sc.name << ", step " << i << " (" << fjwatch::to_string(st.outcome.what)
                               << " at t0+" << (st.now_ms - t0) << "ms)") {
      const auto d = fjwatch::decide(s, st.outcome, sc.policy, st.now_ms, st.u1, st.u2);
      BOOST_TEST(names(d.events) == st.events, boost::test_tools::per_element());
      BOOST_TEST(d.persist == st.persist);
      BOOST_TEST(d.stop == st.stop);
      BOOST_TEST(phase_name(s.phase) == phase_name(st.phase));
      if (!d.events.empty()) BOOST_TEST(d.persist);  // events are written with the row
      BOOST_TEST(d.stop == (s.phase != session_phase::active));
      if (!st.stop) {
        BOOST_TEST(d.delay.count() >= st.delay_lo);
        BOOST_TEST(d.delay.count() <= st.delay_hi);
      }
      if (st.failures) BOOST_TEST(s.failures == *st.failures);
      if (st.waiting_since) BOOST_TEST(s.waiting_since_ms == *st.waiting_since);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tracker)

BOOST_AUTO_TEST_CASE(success_cadence) {
  const std::vector<scenario> scenarios{
      {"first poll processing", base_policy(), {at(ok(processing), t0, {}, true, 4000)}},
      {"jitter never below interval nor above the blind cap",
       base_policy(),
       {with(at(ok(processing), t0, {}, true, 0), 0.5, 0.0, 4000, 4000),
        with(at(ok(processing), t0 + 4000, {}, false, 0), 0.5, almost_one, 8799, 8800),
        with(at(ok(processing), t0 + 12000, {}, false, 0), 0.5, 0.0, 14400, 14400),
        with(at(ok(processing), t0 + 28000, {}, false, 0), 0.5, almost_one, 32000, 32000),
        with(at(ok(processing), t0 + 60000, {}, false, 0), 0.5, 0.0, 28800, 28800)}},
      {"unchanged polls grow to the blind cap",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000), at(ok(processing), t0 + 4000, {}, false, 8000),
        at(ok(processing), t0 + 12000, {}, false, 16000),
        at(ok(processing), t0 + 28000, {}, false, 32000),
        at(ok(processing), t0 + 60000, {}, false, 32000),
        at(ok(processing), t0 + 92000, {}, false, 32000)}},
      {"a total of 0 predicts nothing",
       base_policy(),
       {at(ok(processing, 0, 0, 0), t0, {}, true, 4000),
        at(ok(processing, 10, 0, 0), t0 + 4000, {}, false, 4000),
        at(ok(processing, 10, 0, 0), t0 + 8000, {}, false, 8000)}},
      {"304 grows the gap like an unchanged 200",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000), at(not_modified(), t0 + 4000, {}, false, 8000),
        at(not_modified(), t0 + 12000, {}, false, 16000),
        at(not_modified(), t0 + 28000, {}, false, 32000),
        at(not_modified(), t0 + 60000, {}, false, 32000),
        // The first rise after a stall: as if the climb began halfway since the last poll
        // (30 in 30 s), 70 s to go, aimed at 70 * (1 - 0.35 * 70/100) = 52.85 s.
        near(ok(processing, 30), t0 + 120000, false, 52850),
        // Measured from the rise: 53 in 52.85 s, 17 to go is 16.95 s, finishing 0.2 s before
        // the rough estimate: confirmed, so aimed at directly.
        near(ok(processing, 83), t0 + 172850, false, 16952)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(progress_predicts_the_finish) {
  const std::vector<scenario> scenarios{
      // 2.5 profiles a second throughout: 100 at t0 + 40 s.
      {"steady progress: a confirmed estimate is aimed at",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        // 90 to go at 2.5/s is 36 s (done at t0 + 40 s), but 4 s of evidence only reach 12 s.
        at(ok(processing, 10), t0 + 4000, {}, false, 12000),
        // 24 s to go, done at t0 + 40 s again: confirmed, so the next poll is at the finish.
        near(ok(processing, 40), t0 + 16000, false, 24000),
        stops(ok(done, 100), t0 + 40000, {ev_done}, session_phase::done_stopped)}},
      {"unconfirmed estimates close in on the finish",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        at(ok(processing, 10), t0 + 4000, {}, false, 12000),
        // Slower than estimated (done at t0 + 40 s): 30 in 16 s puts it at t0 + 53.3 s; 37.3 s
        // to go, aimed at 37.3 * (1 - 0.35 * 37.3/53.3) = 28.19 s.
        near(ok(processing, 30), t0 + 16000, false, 28187),
        // 70 in 44.19 s: 18.94 s to go, 9.8 s later than that estimate: aimed at
        // 18.94 * (1 - 0.35 * 18.94/63.13) = 16.95 s.
        near(ok(processing, 70), t0 + 44187, false, 16949)}},
      {"jitter only shortens an estimate, only lengthens a confirmed one",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        with(at(ok(processing, 10), t0 + 4000, {}, false, 0), 0.5, almost_one, 12000, 12000),
        with(at(ok(processing, 40), t0 + 16000, {}, false, 0), 0.5, 0.0, 24000, 24001)}},
      {"a confirmed gap jittered later",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        with(at(ok(processing, 10), t0 + 4000, {}, false, 0), 0.5, 0.0, 10800, 10800),
        with(at(ok(processing, 40), t0 + 16000, {}, false, 0), 0.5, almost_one, 26399, 26401)}},
      {"the rate counts from the last poll before anything matched",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        at(ok(processing, 0), t0 + 4000, {}, false, 8000),
        // 10 in the 8 s since t0 + 4 s: 90 to go is 72 s; 3 * 8 s of evidence.
        at(ok(processing, 10), t0 + 12000, {}, false, 24000)}},
      {"matched reached total without done: growth from interval",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        // 4 s to go: 4 * (1 - 0.35 * 4/8) = 3.3 s, so interval.
        at(ok(processing, 50), t0 + 4000, {}, false, 4000),
        at(ok(processing, 100), t0 + 8000, {}, false, 4000),
        at(ok(processing, 100), t0 + 12000, {}, false, 8000),
        at(not_modified(), t0 + 20000, {}, false, 16000),
        at(ok(processing, 100), t0 + 36000, {}, false, 32000),
        at(ok(processing, 100), t0 + 68000, {}, false, 32000),
        stops(ok(done, 100), t0 + 100000, {ev_done}, session_phase::done_stopped)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(progress_history_restarts) {
  const std::vector<scenario> scenarios{
      {"stalled: two polls without a rise fall back to growth, then start afresh",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        at(ok(processing, 10), t0 + 4000, {}, false, 12000),
        near(ok(processing, 40), t0 + 16000, false, 24000),
        // One poll without a rise still predicts: 60 to go at 40/40 s is 60 s (not the finish
        // estimated before), aimed at 60 * (1 - 0.35 * 60/100) = 47.4 s.
        near(ok(processing, 40), t0 + 40000, false, 47400),
        // The second: stalled, growth from the last gap, capped at 32 s.
        at(ok(processing, 40), t0 + 87400, {}, false, 32000),
        at(not_modified(), t0 + 119400, {}, false, 32000),
        // It moves again: as if since halfway from the last poll (1 in 16 s), 944 s to go;
        // 3 * 16 s of evidence.
        at(ok(processing, 41), t0 + 151400, {}, false, 48000),
        // Measured from the rise: 4 in 48 s, 660 s to go; 3 * 48 s reaches past max_interval.
        at(ok(processing, 45), t0 + 199400, {}, false, 60000)}},
      {"fewer matched than before restarts the history",
       base_policy(),
       {at(ok(processing, 0, 0, 1000), t0, {}, true, 4000),
        at(ok(processing, 100, 0, 1000), t0 + 4000, {}, false, 12000),
        at(ok(processing, 50, 0, 1000), t0 + 16000, {}, true, 4000),
        // 100 in 4 s since the drop: 850 to go is 34 s; 3 * 4 s of evidence.
        at(ok(processing, 150, 0, 1000), t0 + 20000, {}, false, 12000)}},
      {"a new total restarts the history",
       base_policy(),
       {at(ok(processing, 0, 0, 1000), t0, {}, true, 4000),
        at(ok(processing, 100, 0, 1000), t0 + 4000, {}, false, 12000),
        at(ok(processing, 200, 0, 2000), t0 + 16000, {}, true, 4000),
        at(ok(processing, 300, 0, 2000), t0 + 20000, {}, false, 12000)}},
      {"a status change restarts the history",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        at(ok(processing, 10), t0 + 4000, {}, false, 12000),
        at(ok(fetching_more, 20), t0 + 16000, {}, true, 4000)}},
      {"a failure keeps the history; backoff is unchanged",
       base_policy(),
       {at(ok(processing, 0), t0, {}, true, 4000),
        at(ok(processing, 10), t0 + 4000, {}, false, 12000),
        expect_failures(at(failure(poll_outcome::kind::server_error), t0 + 16000, {}, false, 500),
                        1),
        expect_failures(at(failure(poll_outcome::kind::network_error), t0 + 16500, {}, false, 1000),
                        2),
        // 40 in 17.5 s: 60 to go is 26.25 s, aimed at 26.25 * (1 - 0.35 * 26.25/43.75).
        expect_failures(near(ok(processing, 40), t0 + 17500, false, 20737), 0)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(fixed_poller_configuration) {
  // interval == max_interval, multiplier 1, jitter 0: every gap is the interval, whatever the
  // counts say (the baseline of bench/cadence.sh).
  auto p = base_policy();
  p.cadence.interval = p.cadence.max_interval = 5000ms;
  p.cadence.multiplier = 1.0;
  p.cadence.jitter = 0.0;
  const std::vector<scenario> scenarios{
      {"fixed",
       p,
       {with(at(ok(processing, 0), t0, {}, true, 5000), 0.5, 0.0, 5000, 5000),
        with(at(ok(processing, 10), t0 + 5000, {}, false, 5000), 0.5, almost_one, 5000, 5000),
        at(ok(processing, 10), t0 + 10000, {}, false, 5000),
        at(not_modified(), t0 + 15000, {}, false, 5000),
        at(ok(processing, 99), t0 + 20000, {}, false, 5000),
        at(ok(processing, 100), t0 + 25000, {}, false, 5000),
        stops(ok(done, 100), t0 + 30000, {ev_done}, session_phase::done_stopped)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(done_events) {
  const std::vector<scenario> scenarios{
      {"processing -> done stops",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        // 16 s to go after 4 s: 16 * (1 - 0.35 * 16/20) = 11.52 s.
        at(ok(processing, 20), t0 + 4000, {}, false, 11520),
        stops(ok(done, 50), t0 + 8000, {ev_done}, session_phase::done_stopped)}},
      {"first observation already done",
       base_policy(),
       {stops(ok(done, 50), t0, {ev_done}, session_phase::done_stopped)}},
      {"first observation done, watch",
       watch_policy(),
       {at(ok(done, 50), t0, {ev_done}, true, 60000)}},
      {"after_done watch: a Fetch More cycle fires a second done",
       watch_policy(),
       {at(ok(processing), t0, {}, true, 4000), at(ok(done, 50), t0 + 4000, {ev_done}, true, 60000),
        at(ok(done, 50), t0 + 64000, {}, false, 60000),
        at(not_modified(), t0 + 124000, {}, false, 60000),
        at(ok(fetching_more, 50), t0 + 184000, {}, true, 4000),
        at(ok(fetching_more, 50), t0 + 188000, {}, false, 8000),
        // The new cycle's rate: 20 in the 8 s since its last poll with 50; 12 s to go, aimed
        // at 12 * (1 - 0.35 * 12/20) = 9.48 s.
        at(ok(fetching_more, 70), t0 + 196000, {}, false, 9480),
        at(ok(done, 90, 1), t0 + 200000, {ev_done}, true, 60000),
        at(ok(done, 90, 1), t0 + 260000, {}, false, 60000)}},
      {"done keeps polling at max_interval, jittered shorter only",
       watch_policy(),
       {with(at(ok(done, 5), t0, {ev_done}, true, 0), 0.5, 0.0, 54000, 54000),
        with(at(ok(done, 5), t0 + 60000, {}, false, 0), 0.5, almost_one, 60000, 60000)}},
      {"done -> done with the counter bumped (cycle missed)",
       watch_policy(),
       {at(ok(done, 50, 0), t0, {ev_done}, true, 60000),
        at(ok(done, 80, 1), t0 + 60000, {ev_done}, true, 60000),
        at(ok(done, 80, 1), t0 + 120000, {}, false, 60000),
        at(ok(done, 95, 3), t0 + 180000, {ev_done}, true, 60000)}},
      {"restarted from a done row with counter 2, watch",
       watch_policy(),
       {at(ok(done, 80, 2), t0, {ev_done}, true, 60000)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(status_events) {
  const std::vector<scenario> scenarios{
      {"status events, watch",
       watch_policy(true),
       {at(ok(processing), t0, {}, true, 4000), at(ok(processing, 5), t0 + 4000, {}, false, 12000),
        at(ok(done, 9), t0 + 8000, {ev_changed, ev_done}, true, 60000),
        at(ok(done, 9), t0 + 68000, {}, false, 60000),
        at(ok(fetching_more, 9), t0 + 128000, {ev_changed}, true, 4000),
        at(ok(fetching_more, 9), t0 + 132000, {}, false, 8000),
        at(ok(done, 19, 1), t0 + 140000, {ev_changed, ev_done}, true, 60000)}},
      {"status events, first observation done",
       watch_policy(true),
       {at(ok(done, 9), t0, {ev_done}, true, 60000)}},
      {"status events, first observation fetching_more",
       watch_policy(true),
       {at(ok(fetching_more, 9), t0, {}, true, 4000),
        at(ok(processing, 9), t0 + 4000, {ev_changed}, true, 4000)}},
      {"status events, stop",
       stop_policy(true),
       {at(ok(processing), t0, {}, true, 4000),
        stops(ok(done, 3), t0 + 4000, {ev_changed, ev_done}, session_phase::done_stopped)}},
      {"status events off: no status_changed",
       watch_policy(false),
       {at(ok(processing), t0, {}, true, 4000), at(ok(fetching_more), t0 + 4000, {}, true, 4000),
        at(ok(done), t0 + 8000, {ev_done}, true, 60000)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(not_found) {
  const std::vector<scenario> scenarios{
      {"404 after a poll",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        stops(failure(poll_outcome::kind::not_found), t0 + 4000, {ev_not_found},
              session_phase::not_found)}},
      {"404 on the first poll",
       base_policy(),
       {stops(failure(poll_outcome::kind::not_found), t0, {ev_not_found},
              session_phase::not_found)}},
      {"404 while watching a done session",
       watch_policy(),
       {at(ok(done), t0, {ev_done}, true, 60000),
        stops(failure(poll_outcome::kind::not_found), t0 + 60000, {ev_not_found},
              session_phase::not_found)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(failures_back_off) {
  using k = poll_outcome::kind;
  const std::vector<scenario> scenarios{
      {"each failure kind backs off",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        expect_failures(at(failure(k::server_error), t0 + 4000, {}, false, 500), 1),
        expect_failures(at(failure(k::network_error), t0 + 5000, {}, false, 1000), 2),
        expect_failures(at(failure(k::bad_response), t0 + 6000, {}, false, 2000), 3),
        expect_failures(at(failure(k::rate_limited), t0 + 8000, {}, false, 4000), 4),
        expect_failures(
            with(at(failure(k::server_error), t0 + 12000, {}, false, 0), 0.0, 0.5, 1, 1), 5),
        expect_failures(with(at(failure(k::server_error), t0 + 13000, {}, false, 0), almost_one,
                             0.5, 31999, 32000),
                        6),
        // A success resets failures; the gap resumes from where it was.
        expect_failures(at(ok(processing), t0 + 50000, {}, false, 8000), 0),
        expect_failures(at(failure(k::server_error), t0 + 58000, {}, false, 500), 1),
        expect_failures(at(not_modified(), t0 + 59000, {}, false, 16000), 0),
        expect_failures(at(failure(k::network_error), t0 + 75000, {}, false, 500), 1)}},
      {"Retry-After is a floor",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        expect_failures(at(failure(k::rate_limited, 30000ms), t0 + 4000, {}, false, 30000), 1),
        with(at(failure(k::rate_limited, 30000ms), t0 + 34000, {}, false, 0), almost_one, 0.5,
             30000, 30000),
        with(at(failure(k::server_error, 1500ms), t0 + 64000, {}, false, 0), 0.0, 0.5, 1500, 1500),
        // The floor below the drawn backoff changes nothing: failure 4 at u=0.5 is 4000.
        expect_failures(at(failure(k::server_error, 10ms), t0 + 66000, {}, false, 4000), 4)}},
      {"full-jitter bounds across failures",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        with(at(failure(k::network_error), t0 + 1, {}, false, 0), 0.0, 0.5, 1, 1),
        with(at(failure(k::network_error), t0 + 2, {}, false, 0), almost_one, 0.5, 1999, 2000),
        with(at(failure(k::network_error), t0 + 3, {}, false, 0), almost_one, 0.5, 3999, 4000),
        with(at(failure(k::network_error), t0 + 4, {}, false, 0), 0.25, 0.5, 2000, 2000)}},
      {"failures before any 200",
       base_policy(),
       {expect_failures(at(failure(k::network_error), t0, {}, false, 500), 1),
        expect_failures(at(ok(processing), t0 + 500, {}, true, 4000), 0)}},
      {"a failure while watching a done session backs off, no event",
       watch_policy(),
       {at(ok(done), t0, {ev_done}, true, 60000),
        expect_failures(at(failure(k::server_error), t0 + 60000, {}, false, 500), 1),
        expect_failures(at(ok(done), t0 + 60500, {}, false, 60000), 0)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(give_up_after) {
  using k = poll_outcome::kind;
  const std::vector<scenario> scenarios{
      {"processing past give_up_after times out once",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        at(ok(processing, 1), t0 + hour - 1, {}, false, 60000),
        stops(ok(processing, 1), t0 + hour + 1, {ev_timeout}, session_phase::timed_out)}},
      {"timeout on a 304",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        stops(not_modified(), t0 + hour + 1, {ev_timeout}, session_phase::timed_out)}},
      {"timeout on a failure",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        stops(failure(k::server_error), t0 + hour + 1, {ev_timeout}, session_phase::timed_out)}},
      {"timeout when the API never answered 200",
       base_policy(),
       {at(failure(k::network_error), t0, {}, false, 500),
        stops(failure(k::network_error), t0 + 2 * hour, {ev_timeout}, session_phase::timed_out)}},
      {"a done session never times out",
       watch_policy(),
       {at(ok(processing), t0, {}, true, 4000), at(ok(done), t0 + 1000, {ev_done}, true, 60000),
        at(ok(done), t0 + 10 * hour, {}, false, 60000),
        at(not_modified(), t0 + 20 * hour, {}, false, 60000),
        at(failure(k::server_error), t0 + 30 * hour, {}, false, 500)}},
      {"done exactly when give_up_after passed fires done, not timeout",
       base_policy(),
       {at(ok(processing), t0, {}, true, 4000),
        stops(ok(done), t0 + 2 * hour, {ev_done}, session_phase::done_stopped)}},
      {"waiting_since resets when a Fetch More cycle starts",
       watch_policy(),
       {expect_waiting_since(at(ok(processing), t0, {}, true, 4000), t0),
        expect_waiting_since(at(ok(done), t0 + 1000, {ev_done}, true, 60000), t0),
        at(ok(done), t0 + 3 * hour, {}, false, 60000),
        expect_waiting_since(at(ok(fetching_more), t0 + 3 * hour + 500, {}, true, 4000),
                             t0 + 3 * hour + 500),
        expect_waiting_since(at(ok(fetching_more, 5), t0 + 4 * hour + 499, {}, false, 60000),
                             t0 + 3 * hour + 500),
        stops(ok(fetching_more, 5), t0 + 4 * hour + 501, {ev_timeout}, session_phase::timed_out)}},
  };
  for (const auto& sc : scenarios) run(sc);
}

BOOST_AUTO_TEST_CASE(from_row_round_trip) {
  fjwatch::session_row row;
  row.id = "69f45196c8bbf1ce65b5bcd6";
  row.status = matching_status::fetching_more;
  row.matched = 42;
  row.total_for_matching = 420;
  row.available = 4200;
  row.search_more_counter = 3;
  row.title = "Pune .NET";
  row.project = "Hiring";
  row.etag = "W/\"abc\"";
  row.first_seen_ms = t0 - 5000;
  row.waiting_since_ms = t0 - 1000;
  row.last_change_ms = t0 - 500;
  row.phase = session_phase::active;

  const auto s = fjwatch::from_row(row);
  BOOST_TEST(s.status.has_value());
  BOOST_TEST((s.status == matching_status::fetching_more));
  BOOST_TEST(s.matched == 42);
  BOOST_TEST(s.total_for_matching == 420);
  BOOST_TEST(s.search_more_counter == 3);
  BOOST_TEST(s.waiting_since_ms == t0 - 1000);
  BOOST_TEST(s.gap.count() == 0);
  BOOST_TEST(s.anchor_ms == 0);  // the progress history starts with the first poll
  BOOST_TEST(s.dry_polls == 0);
  BOOST_TEST(s.failures == 0);
  BOOST_TEST(phase_name(s.phase) == "active");

  for (const auto ph :
       {session_phase::done_stopped, session_phase::not_found, session_phase::timed_out}) {
    row.phase = ph;
    BOOST_TEST_CONTEXT(phase_name(ph)) {
      BOOST_TEST(phase_name(fjwatch::from_row(row).phase) == phase_name(ph));
    }
  }
  fjwatch::session_row empty;
  BOOST_TEST(!fjwatch::from_row(empty).status.has_value());
}

BOOST_AUTO_TEST_CASE(restored_session_does_not_refire) {
  // A done row restored after a restart (watch mode): the same answer fires nothing and
  // polls again at max_interval; the first unchanged poll of a processing row uses `interval`.
  fjwatch::session_row row;
  row.status = matching_status::done;
  row.matched = 9;
  row.total_for_matching = 100;
  row.search_more_counter = 1;
  row.waiting_since_ms = t0;
  auto s = fjwatch::from_row(row);
  auto d = fjwatch::decide(s, ok(done, 9, 1), watch_policy(), t0 + 10 * hour, 0.5, 0.5);
  BOOST_TEST(d.events.empty());
  BOOST_TEST(!d.persist);
  BOOST_TEST(!d.stop);
  BOOST_TEST(d.delay.count() == 60000);

  row.status = matching_status::processing;
  s = fjwatch::from_row(row);
  d = fjwatch::decide(s, ok(processing, 9, 1), base_policy(), t0 + 1000, 0.5, 0.5);
  BOOST_TEST(d.events.empty());
  BOOST_TEST(!d.persist);
  BOOST_TEST(d.delay.count() == 4000);
}

BOOST_AUTO_TEST_CASE(tracked_session_stays_small) {
  // One per watched session: 100k sessions must fit in a few tens of MiB with their slots.
  BOOST_TEST(sizeof(fjwatch::tracked_session) <= 72u);
}

BOOST_AUTO_TEST_CASE(policy_from_config) {
  fjwatch::config cfg;
  cfg.poll.interval = 2500ms;
  cfg.poll.max_interval = 90000ms;
  cfg.poll.max_blind_interval = 15000ms;
  cfg.poll.multiplier = 3.0;
  cfg.poll.jitter = 0.25;
  cfg.poll.give_up_after = 7200000ms;
  cfg.poll.after_done = fjwatch::after_done_policy::watch;
  cfg.retry.initial = 700ms;
  cfg.retry.max = 45000ms;
  for (const bool status_events : {false, true}) {
    BOOST_TEST_CONTEXT("status_events=" << status_events) {
      const auto p = fjwatch::tracker_of(cfg, status_events);
      BOOST_TEST(p.cadence.interval.count() == 2500);
      BOOST_TEST(p.cadence.max_interval.count() == 90000);
      BOOST_TEST(p.cadence.max_blind_interval.count() == 15000);
      BOOST_TEST(p.cadence.multiplier == 3.0);
      BOOST_TEST(p.cadence.jitter == 0.25);
      BOOST_TEST(p.cadence.retry_initial.count() == 700);
      BOOST_TEST(p.cadence.retry_max.count() == 45000);
      BOOST_TEST(p.give_up_after.count() == 7200000);
      BOOST_TEST((p.after_done == fjwatch::after_done_policy::watch));
      BOOST_TEST(p.status_events == status_events);
    }
  }
  const auto defaults = fjwatch::tracker_of(fjwatch::config{}, false);
  BOOST_TEST(defaults.cadence.interval.count() == 5000);
  BOOST_TEST(defaults.cadence.max_interval.count() == 60000);
  BOOST_TEST(defaults.cadence.max_blind_interval.count() == 25000);
  BOOST_TEST(defaults.cadence.multiplier == 3.5);
  BOOST_TEST((defaults.after_done == fjwatch::after_done_policy::stop));
}

BOOST_AUTO_TEST_SUITE_END()
