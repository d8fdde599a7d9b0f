// A receiver that fails for a moment is not punished for minutes: 100 sessions turn done at once,
// the receiver answers 500 to its first 40 requests and 2xx after that, and the daemon is killed
// with kill -9 two seconds into the burst and started again. With the product's own retry
// schedule, every event is delivered within 60 s of the receiver's first 2xx.
#include <boost/test/unit_test.hpp>

#include "support/faults.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

}  // namespace

BOOST_AUTO_TEST_SUITE(recovery)

BOOST_AUTO_TEST_CASE(a_receiver_failing_for_a_moment_gets_everything_soon_after) {
  // The hook with the product's defaults: 15 s per attempt, retries 5s, 30s, 2m, ...
  t::hook_rig r(t::sim_options(), {.timeout = "", .retry_schedule = ""});
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 100; ++i) {
    ids.push_back(t::hex_id(13000 + i));
    r.api->add_session(sim::done_after(ids.back(), 0ms));
  }
  r.watch(ids);
  r.rx->script(std::vector<sim::reply>(40, sim::reply{.status = 500}));

  auto first = r.start_ready();
  BOOST_REQUIRE_MESSAGE(r.rx->wait_for_count(1, 15s), "no webhook request:" << t::tail(*first));
  const auto burst = steady::now();
  // The workload: the kill comes two seconds into the burst, whatever has happened by then.
  t::wait_until([&] { return steady::now() - burst >= 2s; }, 3s);
  BOOST_TEST(t::kill_hard(*first) == 128 + 9);
  const auto requests_before = r.rx->count();
  auto second = r.start_ready();

  BOOST_TEST(
      t::wait_until([&] { return t::accepted(r.rx->deliveries()).size() == ids.size(); }, 120s),
      "not every event was delivered:" << t::log_tail{*second});
  const auto got = r.rx->deliveries();
  const auto ok = [](const sim::received& x) {
    return x.answered_status >= 200 && x.answered_status < 300;
  };
  const auto recovered = std::find_if(got.begin(), got.end(), ok);
  BOOST_TEST_REQUIRE((recovered != got.end()));
  const auto last = std::find_if(got.rbegin(), got.rend(), ok);
  const auto after_recovery =
      std::chrono::duration_cast<std::chrono::milliseconds>(last->at - recovered->at);
  BOOST_TEST_MESSAGE("requests before the kill "
                     << requests_before << ", in all " << got.size() << "; 500s "
                     << std::count_if(got.begin(), got.end(),
                                      [](const auto& x) { return x.answered_status == 500; })
                     << "; all 100 delivered " << after_recovery.count()
                     << " ms after the receiver's first 2xx");
  BOOST_TEST(after_recovery <= 60s);
  BOOST_TEST(t::accepted(got).size() == ids.size());
  BOOST_TEST(t::terminate(*second) == 0, t::tail(*second));
}

BOOST_AUTO_TEST_SUITE_END()
