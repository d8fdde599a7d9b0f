// The API down for a long stretch, against the real daemon: connections refused, then every
// request answered 503, then requests that are never answered, each phase a few seconds. The
// daemon backs off (the requests per session stay within what retry.* allow), stays up, reports
// /healthz degraded, and after the recovery sees every session that turned done meanwhile
// within one retry.max (plus a stated allowance), with exactly one event each.
#include <boost/test/unit_test.hpp>

#include "support/faults.hpp"
#include "fjwatch/store/store.hpp"
#include "support/secrets_check.hpp"

#include <cmath>

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// The settings the bounds below are computed from (written into the config).
constexpr ms retry_initial = 100ms;  // I
constexpr ms retry_max = 1000ms;     // M
constexpr ms api_timeout = 2000ms;   // tau: how long a request that is never answered takes
constexpr ms retry_after = 1000ms;   // RA: the simulator's Retry-After on its 503s
constexpr ms phase = 4000ms;         // T: the length of each phase of the outage

// Upper bounds on the requests one session makes in a phase of length T:
//  - refused: each failure waits u * min(M, I * 2^(n-1)), u uniform in [0, 1) (full jitter),
//    so there is no hard bound. The ramp to M takes at most ceil(log2(M / I)) + 1 attempts;
//    after it, gaps average M / 2, about 2T / M attempts. The bound is twice that plus 4:
//    ceil(log2(M / I)) + 1 + ceil(4T / M) + 4 (25 here). Exceeding it needs 20 gaps of u * M
//    after the ramp to fit in T = 4M: 20 uniforms summing to less than 4, a probability under
//    1e-5. A daemon retrying every I would make 40.
//  - 503: the answer's Retry-After is a floor on the next wait: at most floor(T / RA) + 1
//    requests, + 1 for one already on its way when the phase began (6 here).
//  - never answered: each request takes tau before it fails: floor(T / tau) + 1, + 1 (4 here).
int refused_bound(ms t) {
  return static_cast<int>(std::ceil(std::log2(static_cast<double>(retry_max.count()) /
                                              static_cast<double>(retry_initial.count())))) +
         1 +
         static_cast<int>(std::ceil(4.0 * static_cast<double>(t.count()) /
                                    static_cast<double>(retry_max.count()))) +
         4;
}
int floor_bound(ms t, ms gap) { return static_cast<int>(t / gap) + 2; }

// After the recovery a session's request that was hanging then fails within tau, its next poll
// comes within M (its backoff), and that poll is answered within tau (or fails): M + 2 tau,
// plus 500 ms for the commit and the log line.
constexpr ms detect_bound = retry_max + 2 * api_timeout + 500ms;

struct down_rig : t::rig {
  down_rig() {
    for (unsigned i = 0; i < 4; ++i) outage.push_back(t::hex_id(0xa100 + i));
    for (unsigned i = 0; i < 2; ++i) steady_ids.push_back(t::hex_id(0xa200 + i));
    auto all = outage;
    all.insert(all.end(), steady_ids.begin(), steady_ids.end());
    for (const auto& id : all) api->add_session(sim::session_script{.id = id});
    watch(all);
    cfg.retry_initial = std::to_string(retry_initial.count()) + "ms";
    cfg.retry_max = std::to_string(retry_max.count()) + "ms";
    cfg.timeout = std::to_string(api_timeout.count()) + "ms";
    cfg.unreachable_after = "1s";
    cfg.control = address;
  }
  std::vector<std::string> outage, steady_ids;
  std::string address = "127.0.0.1:" + std::to_string(t::free_port());
};

// One phase of the outage: what the daemon and the simulator saw while it lasted.
struct phase_record {
  std::string name;
  ms length{0};
  std::map<std::string, std::int64_t> sim_requests;  // per session
  std::map<std::string, int> failures;               // poll.failed lines of the phase's kind
  bool degraded_all_along = false;  // /healthz said 503 at every look after the first
  std::string last_health;
};

// Watches the daemon for `phase`, looking at /healthz every 100 ms (this is the phase's
// length, not a wait for an event); then counts what the phase cost per session.
phase_record observe(down_rig& r, t::child_process& c, std::string name,
                     std::string_view failure_text) {
  phase_record p{.name = std::move(name)};
  std::map<std::string, std::int64_t> polls_at_start;
  for (const auto& id : r.outage) polls_at_start[id] = r.api->polls_of(id);
  const std::size_t first_line = c.err_line_count();
  const auto start = steady::now();
  bool degraded_seen = false;
  p.degraded_all_along = true;
  while (steady::now() - start < phase) {
    const auto h = t::control(r.address, "/healthz");
    if (h.status == 503) degraded_seen = true;
    if (degraded_seen && h.status != 503) p.degraded_all_along = false;
    p.last_health = h.body;
    BOOST_REQUIRE_MESSAGE(!c.wait_exit(100ms).has_value(), "the daemon stopped:" << t::log_tail{c});
  }
  p.length = std::chrono::duration_cast<ms>(steady::now() - start);
  for (const auto& id : r.outage) p.sim_requests[id] = r.api->polls_of(id) - polls_at_start[id];
  const auto lines = c.err_lines();
  for (std::size_t i = first_line; i < lines.size(); ++i) {
    if (!t::is_event(lines[i], "poll.failed") || lines[i].find(failure_text) == std::string::npos) {
      continue;
    }
    if (auto s = t::log_field(lines[i], "session")) ++p.failures[*s];
  }
  p.degraded_all_along = p.degraded_all_along && degraded_seen;
  return p;
}

void check_phase(const phase_record& p, int bound, bool sim_sees) {
  BOOST_TEST_CONTEXT(p.name) {
    BOOST_TEST(p.degraded_all_along, "last /healthz: " << p.last_health);
    BOOST_TEST(p.last_health.find("unreachable") != std::string::npos, p.last_health);
    for (const auto& [id, n] : p.failures) {
      BOOST_TEST(n >= 1, id);
      BOOST_TEST(n <= bound, id << ": " << n << " failed polls in " << p.length.count() << " ms");
    }
    for (const auto& [id, n] : p.sim_requests) {
      if (sim_sees) {
        BOOST_TEST(n <= bound, id << ": the simulator saw " << n << " requests");
      } else {
        BOOST_TEST(n == 0, id << ": the simulator saw " << n << " requests while down");
      }
    }
    std::string counts;
    for (const auto& [id, n] : p.sim_requests)
      counts += " " + std::to_string(p.failures.count(id) ? p.failures.at(id) : 0) + "/" +
                std::to_string(n);
    BOOST_TEST_MESSAGE(p.name << ": " << p.length.count()
                              << " ms, per session failed polls/sim requests:" << counts
                              << " (bound " << bound << ")");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_long_outage_is_backed_off_reported_and_caught_up_on) {
  down_rig r;
  auto c = r.start_ready();
  BOOST_REQUIRE(t::wait_until(
      [&] {
        for (const auto& id : r.outage) {
          if (r.api->polls_of(id) == 0) return false;
        }
        return t::control(r.address, "/healthz").status == 200;
      },
      10s));

  // Refused: nothing listens; the sessions of `outage` turn done meanwhile.
  r.api->go_down();
  for (const auto& id : r.outage) r.api->add_session(sim::done_after(id, 0ms));
  const auto refused = observe(r, *c, "refused", "refused");
  // 503: every request answered 503 with Retry-After: 1.
  r.api->set_global_fault(sim::fault::http_503, 1.0);
  r.api->go_up();
  const auto unavailable = observe(r, *c, "503", "HTTP 503");
  // Never answered: every answer held for a minute, far past api.timeout.
  r.api->set_latency(60s);
  r.api->set_global_fault(sim::fault::http_503, 0);
  const auto hanging = observe(r, *c, "never answered", "timeout");
  r.api->set_latency(0ms);
  const auto recovered = steady::now();

  check_phase(refused, refused_bound(refused.length), false);
  check_phase(unavailable, floor_bound(unavailable.length, retry_after), true);
  check_phase(hanging, floor_bound(hanging.length, api_timeout), true);

  // Every outage session is seen done within detect_bound of the recovery, once.
  std::set<std::string> want;
  for (const auto& id : r.outage) want.insert(t::done_event(id));
  const bool seen = c->wait_for(
      [&](const std::vector<std::string>& lines, bool) {
        std::set<std::string> got;
        for (const auto& [id, n] : t::count_field(lines, "session.done", "event_id"))
          got.insert(id);
        return got == want;
      },
      detect_bound);
  const auto took = std::chrono::duration_cast<ms>(steady::now() - recovered);
  BOOST_TEST(seen, "not every outage session seen done within " << detect_bound.count()
                                                                << " ms:" << t::log_tail{*c});
  BOOST_TEST_MESSAGE("every outage session seen done "
                     << took.count() << " ms after the recovery (bound " << detect_bound.count()
                     << " ms)");
  BOOST_TEST(t::wait_until([&] { return t::control(r.address, "/healthz").status == 200; }, 5s));
  BOOST_TEST(t::terminate(*c) == 0, t::log_tail{*c});

  const auto lines = c->err_lines();
  for (const auto& [id, n] : t::count_field(lines, "session.done", "event_id"))
    BOOST_TEST(n == 1, id);
  BOOST_TEST(t::journal(lines).size() == want.size());
  for (const auto& [id, n] : t::journal(lines)) BOOST_TEST(n == 1, id);
  BOOST_TEST(t::integrity_check(r.dir / "state") == "ok");
  fjwatch::store db(r.dir / "state");
  const auto events = db.count_events_by_session(fjwatch::event_type::done);
  BOOST_TEST(events.size() == r.outage.size());
  for (const auto& [id, n] : events) BOOST_TEST(n == 1, id);
  const auto leaks = t::find_secrets(t::default_secrets(), *c, r.dir / "state", {});
  BOOST_TEST(leaks.empty(), (leaks.empty() ? "" : leaks[0]));
}
