// The realistic workload and the per-session report of the simulator.
#include <boost/test/unit_test.hpp>

#include "sim/model.hpp"
#include "sim/sim.hpp"
#include "support/sim_client.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace json = boost::json;
namespace sim = fjwatch::sim;
using namespace fjwatch::sim::testing;
using namespace std::chrono_literals;
using fjwatch::matching_status;

namespace {

const std::string id_a = "69f45196c8bbf1ce65b5bcd6";
const std::string id_b = "69f45196c8bbf1ce65b5bcd7";

sim::detail::session_state at(const std::vector<sim::step>& steps, std::chrono::milliseconds t,
                              bool hide = false) {
  return sim::detail::evaluate(steps, t, 1, {}, hide);
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workload)

BOOST_AUTO_TEST_CASE(progress_points_are_stairs) {
  sim::step processing{.total = 100};
  processing.progress = {{1000ms, 10}, {3000ms, 40}, {4000ms, 99}};
  const auto steps = sim::detail::normalize_steps(
      {processing, sim::step{.at = 5000ms, .status = matching_status::done, .total = 100}});
  struct row {
    std::chrono::milliseconds t;
    bool hide;
    std::int64_t matched;
  };
  const row rows[] = {{0ms, false, 0},      {999ms, false, 0},   {1000ms, false, 10},
                      {2999ms, false, 10},  {3000ms, false, 40}, {4999ms, false, 99},
                      {5000ms, false, 100}, {3500ms, true, 0},   {5000ms, true, 100}};
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT("t=" << r.t.count() << " hide=" << r.hide) {
      BOOST_TEST(at(steps, r.t, r.hide).matched == r.matched);
    }
  }
  BOOST_TEST(fjwatch::to_string(at(steps, 4999ms).status) == "processing");
  BOOST_TEST(fjwatch::to_string(at(steps, 5000ms).status) == "done");
}

BOOST_AUTO_TEST_CASE(first_done_at_is_the_first_timed_done_step) {
  BOOST_TEST(sim::first_done_at(sim::done_after(id_a, 1500ms))->count() == 1500);
  BOOST_TEST(sim::first_done_at(sim::fetch_more_cycle(id_a, 100ms, 200ms, 300ms))->count() == 100);
  BOOST_TEST(!sim::first_done_at(sim::done_at_poll(id_a, 3)).has_value());
}

BOOST_AUTO_TEST_CASE(realistic_sessions_have_the_documented_shape) {
  std::vector<std::int64_t> durations;
  int at_floor = 0;
  double half_way_share = 0;
  for (std::int64_t n = 1; n <= 2000; ++n) {
    const auto s = sim::realistic_session(id_a, 42, n);
    BOOST_TEST_CONTEXT("session " << n) {
      BOOST_REQUIRE(s.steps.size() == 2u);
      const auto& run = s.steps[0];
      const auto& done = s.steps[1];
      BOOST_TEST(fjwatch::to_string(run.status) == "processing");
      BOOST_TEST(fjwatch::to_string(done.status) == "done");
      BOOST_TEST(run.total == done.total);
      BOOST_TEST(run.total >= 50);
      BOOST_TEST(run.total <= 2000);
      BOOST_TEST(done.at.count() >= 20000);
      BOOST_TEST(done.at.count() <= 600000);
      BOOST_TEST(sim::first_done_at(s)->count() == done.at.count());
      durations.push_back(done.at.count());
      if (done.at.count() == 20000) ++at_floor;
      // Batches: in time order, 1..5 s apart, matched never falling and below total.
      BOOST_REQUIRE(!run.progress.empty());
      BOOST_TEST(run.progress.front().at.count() >= 1000);
      BOOST_TEST(run.progress.back().at.count() < done.at.count());
      BOOST_TEST(run.progress.back().matched < run.total);
      for (std::size_t k = 1; k < run.progress.size(); ++k) {
        const auto gap = (run.progress[k].at - run.progress[k - 1].at).count();
        BOOST_TEST(gap >= 999);
        BOOST_TEST(gap <= 5001);
        BOOST_TEST(run.progress[k].matched >= run.progress[k - 1].matched);
      }
      // Roughly linear: half way through, within a batch (5 s), a tenth to nine tenths done.
      BOOST_TEST(at(s.steps, done.at / 2 + 5000ms).matched >= run.total / 10);
      BOOST_TEST(at(s.steps, done.at / 2 - 5000ms).matched <= run.total * 9 / 10);
      half_way_share +=
          static_cast<double>(at(s.steps, done.at / 2).matched) / static_cast<double>(run.total);
    }
  }
  BOOST_TEST(half_way_share / 2000 >= 0.4);
  BOOST_TEST(half_way_share / 2000 <= 0.55);
  std::ranges::sort(durations);
  const auto median = durations[durations.size() / 2];
  BOOST_TEST(median >= 50000);
  BOOST_TEST(median <= 70000);
  // log-normal with sigma 1: about 18% below 20 s (clamped up), about 1% above 10 min.
  BOOST_TEST(at_floor >= 200);
  BOOST_TEST(at_floor <= 500);
  BOOST_TEST(durations.back() == 600000);
  BOOST_TEST(durations[durations.size() * 95 / 100] < 600000);
}

BOOST_AUTO_TEST_CASE(realistic_sessions_are_deterministic_per_seed) {
  const auto a = sim::realistic_session(id_a, 7, 3);
  const auto b = sim::realistic_session(id_a, 7, 3);
  const auto other_seed = sim::realistic_session(id_a, 8, 3);
  const auto other_n = sim::realistic_session(id_a, 7, 4);
  BOOST_TEST(a.steps[1].at.count() == b.steps[1].at.count());
  BOOST_TEST(a.steps[0].total == b.steps[0].total);
  BOOST_TEST((a.steps[0].progress == b.steps[0].progress));
  BOOST_TEST((a.steps[0].progress != other_seed.steps[0].progress));
  BOOST_TEST((a.steps[0].progress != other_n.steps[0].progress));
}

BOOST_AUTO_TEST_CASE(report_holds_done_instants_and_polls) {
  harness h;
  const auto before = unix_ms_now();
  h.srv.add_session(sim::done_after(id_a, 200ms));
  h.srv.add_session(sim::done_at_poll(id_b, 2));
  const auto after = unix_ms_now();
  std::int64_t seen_done_ms = 0;
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    co_await c.get(session_path(id_b));
    for (int i = 0; i < 200 && seen_done_ms == 0; ++i) {
      const answer r = co_await c.get(session_path(id_a));
      const json::value body = json::parse(r.res.body());
      if (body.at("data").at("session").at("profileMatchingStatus").as_string() == "done")
        seen_done_ms = unix_ms_now();
      else
        co_await h.pause(20ms);
    }
    h.srv.stop();
  });
  BOOST_REQUIRE(seen_done_ms > 0);
  const auto rows = h.srv.report();
  BOOST_REQUIRE(rows.size() == 2u);
  const auto& a = rows[0];
  const auto& b = rows[1];
  BOOST_TEST(a.id == id_a);
  BOOST_TEST(b.id == id_b);
  BOOST_TEST(a.added_unix_ms >= before);
  BOOST_TEST(a.added_unix_ms <= after);
  BOOST_REQUIRE(a.done_unix_ms.has_value());
  BOOST_TEST(*a.done_unix_ms == a.added_unix_ms + 200);
  BOOST_REQUIRE(a.done_served_unix_ms.has_value());
  BOOST_TEST(*a.done_served_unix_ms >= *a.done_unix_ms);
  BOOST_TEST(*a.done_served_unix_ms <= seen_done_ms);
  BOOST_TEST(a.polls == h.srv.polls_of(id_a));
  BOOST_TEST(a.polls >= 2);
  BOOST_TEST(!b.done_unix_ms.has_value());  // done at a poll count, not at an instant
  BOOST_TEST(!b.done_served_unix_ms.has_value());
  BOOST_TEST(b.polls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
