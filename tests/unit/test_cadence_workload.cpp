// The cadence policy (decide()) against the simulator's workloads, without sockets or clocks:
// each sampled search is polled at the times decide() asks for, answered as the simulator would
// (200 with the counts, 304 when nothing changed), until done. Checks the targets against a
// fixed 5 s poller on the same searches, with margins for the real run's delays (bench/cadence.sh
// measures the same in real time).
#include <boost/test/unit_test.hpp>

#include "fjwatch/policy/tracker.hpp"
#include "sim/model.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/config/policies.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

using fjwatch::millis;
using namespace std::chrono_literals;
namespace sim = fjwatch::sim;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr int sessions = 2000;
constexpr std::uint64_t seed = 7;

// Search lengths for the breakdown: up to 30 s, 2 min, 5 min, 10 min.
constexpr std::int64_t bucket_ends_ms[] = {30000, 120000, 300000, 600000};
constexpr std::size_t buckets = std::size(bucket_ends_ms);

struct figures {
  std::int64_t requests = 0;
  std::vector<std::int64_t> latencies_ms;  // sorted
  std::int64_t bucket_requests[buckets] = {};
  std::int64_t bucket_sessions[buckets] = {};

  double percentile(double q) const {
    const auto at = static_cast<std::size_t>(q * static_cast<double>(latencies_ms.size() - 1));
    return static_cast<double>(latencies_ms[at]) / 1000.0;
  }
};

std::size_t bucket_of(std::int64_t duration_ms) {
  std::size_t b = 0;
  while (b + 1 < buckets && duration_ms > bucket_ends_ms[b]) ++b;
  return b;
}

// Polls one search with `policy` from its start until done; returns (requests, latency).
std::pair<std::int64_t, std::int64_t> poll_one(const sim::session_script& script,
                                               const fjwatch::tracker_policy& policy, bool hide,
                                               std::mt19937_64& rng) {
  const auto steps = sim::detail::normalize_steps(script.steps);
  const auto done_at = sim::first_done_at(script)->count();
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  fjwatch::tracked_session s;
  s.waiting_since_ms = t0;
  std::optional<sim::detail::session_state> last;
  std::int64_t elapsed = 0;
  for (std::int64_t polls = 1;; ++polls) {
    const auto st = sim::detail::evaluate(steps, millis(elapsed), polls, {}, hide);
    fjwatch::poll_outcome o;
    if (last && *last == st) {
      o.what = fjwatch::poll_outcome::kind::not_modified;
    } else {
      fjwatch::session_snapshot snap;
      snap.status = st.status;
      snap.matched = st.matched;
      snap.total_for_matching = st.total;
      o.what = fjwatch::poll_outcome::kind::ok;
      o.session = std::move(snap);
    }
    last = st;
    const auto d = fjwatch::decide(s, o, policy, t0 + elapsed, uniform(rng), uniform(rng));
    if (d.stop) return {polls, elapsed - done_at};
    BOOST_REQUIRE(polls < 10000);
    BOOST_REQUIRE(d.delay >= policy.cadence.interval);
    elapsed += d.delay.count();
  }
}

using workload = sim::session_script (*)(std::string, std::uint64_t, std::int64_t);

figures run(workload make, const fjwatch::tracker_policy& policy, bool hide) {
  figures f;
  std::mt19937_64 rng(seed);
  for (std::int64_t n = 1; n <= sessions; ++n) {
    const auto script = make("000000000000000000000001", seed, n);
    const auto [requests, latency] = poll_one(script, policy, hide, rng);
    f.requests += requests;
    f.latencies_ms.push_back(latency);
    const auto b = bucket_of(sim::first_done_at(script)->count());
    f.bucket_requests[b] += requests;
    ++f.bucket_sessions[b];
  }
  std::ranges::sort(f.latencies_ms);
  return f;
}

fjwatch::tracker_policy defaults() { return fjwatch::tracker_of(fjwatch::config{}, false); }

fjwatch::tracker_policy fixed_5s() {
  auto p = defaults();
  p.cadence.interval = p.cadence.max_interval = 5000ms;
  p.cadence.multiplier = 1.0;
  p.cadence.jitter = 0.0;
  return p;
}

void print(const char* name, const figures& f, const figures& fixed) {
  std::printf(
      "%-26s requests/session %6.2f (%.3f of fixed)  latency p50 %5.2fs p99 %5.2fs max %5.2fs\n",
      name, static_cast<double>(f.requests) / sessions,
      static_cast<double>(f.requests) / static_cast<double>(fixed.requests), f.percentile(0.5),
      f.percentile(0.99), f.percentile(1.0));
  std::printf("  requests per search of");
  for (std::size_t b = 0; b < buckets; ++b) {
    std::printf(" <=%llds: %.1f", static_cast<long long>(bucket_ends_ms[b] / 1000),
                static_cast<double>(f.bucket_requests[b]) /
                    static_cast<double>(std::max<std::int64_t>(1, f.bucket_sessions[b])));
  }
  std::printf("\n");
}

}  // namespace

BOOST_AUTO_TEST_CASE(realistic_workload_meets_the_targets) {
  const auto fixed = run(sim::realistic_session, fixed_5s(), false);
  const auto visible = run(sim::realistic_session, defaults(), false);
  const auto hidden = run(sim::realistic_session, defaults(), true);
  print("fixed 5s poller", fixed, fixed);
  print("fjwatch, progress visible", visible, fixed);
  print("fjwatch, progress hidden", hidden, fixed);

  // The fixed poller: a poll every 5 s, so detection within 5 s.
  BOOST_TEST(fixed.percentile(1.0) <= 5.0);
  // Visible: at most a third of the requests, p50 <= 5 s, p99 <= 20 s (kept to 15 s here: the
  // real run adds request latency and the token bucket's pacing).
  BOOST_TEST(static_cast<double>(visible.requests) <= static_cast<double>(fixed.requests) / 3.0);
  BOOST_TEST(visible.percentile(0.5) <= 4.0);
  BOOST_TEST(visible.percentile(0.99) <= 15.0);
  // Hidden: fewer requests than the fixed poller, p99 <= 30 s (25 s here).
  BOOST_TEST(hidden.requests < fixed.requests);
  BOOST_TEST(hidden.percentile(0.99) <= 25.0);
}

// Searches that show nothing matched for 10-30% of their time: the blind start must not cost
// what the climb saves.
BOOST_AUTO_TEST_CASE(lagged_workload_meets_the_targets) {
  const auto fixed = run(sim::lagged_session, fixed_5s(), false);
  const auto visible = run(sim::lagged_session, defaults(), false);
  const auto hidden = run(sim::lagged_session, defaults(), true);
  print("lagged: fixed 5s poller", fixed, fixed);
  print("lagged: fjwatch, visible", visible, fixed);
  print("lagged: fjwatch, hidden", hidden, fixed);

  const auto share = [&](const figures& f) {
    return static_cast<double>(f.requests) / static_cast<double>(fixed.requests);
  };
  // Visible: at most a third of the fixed poller's requests, p50 <= 5 s, p99 <= 20 s (4 s and
  // 17 s here, for the real run's delays).
  BOOST_TEST(share(visible) <= 1.0 / 3.0);
  BOOST_TEST(visible.percentile(0.5) <= 4.0);
  BOOST_TEST(visible.percentile(0.99) <= 17.0);
  // Hidden: at most 0.40 of its requests, p99 <= 30 s (27 s here).
  BOOST_TEST(share(hidden) <= 0.40);
  BOOST_TEST(hidden.percentile(0.99) <= 27.0);
}
