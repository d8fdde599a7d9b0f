// Repeated kill -9 of the real daemon at random moments while sessions reach done and webhook
// and log deliveries are under way (the receiver answers 200, 503 or not at all), each time
// restarted on the same state; then a last run to the end. Every event reaches every action at
// least once, each is recorded once, a resent webhook is the same request again, and the
// database passes its integrity check.
//
// FJWATCH_KILLS sets the number of kills (default 20; bench/kill.sh runs 200), FJWATCH_SEED the
// random seed (default: a fresh one). The seed is printed first: the same seed gives the same
// plan (which session turns done before which kill, the receiver's replies, the thresholds of
// each kill), though not the same timing.
#include <boost/test/unit_test.hpp>

#include "support/faults.hpp"
#include "fjwatch/store/store.hpp"
#include "support/secrets_check.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A positive number from the environment, else `fallback`.
std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::stoull(v);
}

// "[200ms, 200ms, ...]", n times: enough retries that no delivery is given up on.
std::string retry_schedule(int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += i ? ", 200ms" : "200ms";
  return s + "]";
}

// A rig with `sessions` sessions that turn done one after another over the kills (each at the
// start of a run chosen at random), three that never do (polls go on till the end), and a
// receiver whose first replies are a random mix: 70% 200, 20% 503, 10% no answer.
struct kill_rig : t::hook_rig {
  kill_rig(unsigned kills, std::mt19937_64& rng)
      : t::hook_rig(t::sim_options(), {.timeout = "1s", .retry_schedule = retry_schedule(40)}),
        sessions(std::max(30U, kills / 2)) {
    std::vector<std::string> all;
    std::uniform_int_distribution<unsigned> when(0, kills - 1);
    for (unsigned i = 0; i < sessions; ++i) {
      ids.push_back(t::hex_id(9000 + i));
      events.insert(t::done_event(ids.back()));
      done_before[when(rng)].push_back(ids.back());
    }
    all = ids;
    for (unsigned i = 0; i < 3; ++i) all.push_back(t::hex_id(9900 + i));
    for (const auto& id : all) api->add_session(sim::session_script{.id = id});
    watch(all);
    std::uniform_int_distribution<int> pct(0, 99);
    std::vector<sim::reply> replies;
    for (unsigned i = 0; i < 6 * sessions; ++i) {
      const int p = pct(rng);
      replies.push_back(p < 70   ? sim::reply{}
                        : p < 90 ? sim::reply{.status = 503}
                                 : sim::reply{.kind = sim::reply_kind::hang});
    }
    rx->script(replies);
  }

  // The sessions planned for run k turn done now.
  void finish_planned(unsigned k) {
    for (const auto& id : done_before[k]) {
      api->add_session(sim::done_after(id, 0ms));
      turned.insert(t::done_event(id));
    }
  }

  const unsigned sessions;
  std::vector<std::string> ids;
  std::set<std::string> events;
  std::map<unsigned, std::vector<std::string>> done_before;
  std::set<std::string> turned;  // events of the sessions turned done so far
};

// What all the runs logged that the checks need.
struct run_log {
  std::set<std::string> journal_ids;      // event ids the log action wrote
  std::map<std::string, int> done_lines;  // session.done lines by event id
  std::size_t journal_lines = 0;

  void add(const std::vector<std::string>& lines) {
    for (const auto& [id, n] : t::journal(lines)) {
      journal_ids.insert(id);
      journal_lines += static_cast<std::size_t>(n);
    }
    for (const auto& [id, n] : t::count_field(lines, "session.done", "event_id")) {
      done_lines[id] += n;
    }
  }
};

// What a run's kill waits for: the k-th new webhook request (the rest of its wave is in
// flight then), the k-th log action line (its outcome not yet recorded), or the k-th new API
// request (while polls and commits go on).
enum class moment { webhook, journal, polls };
constexpr const char* moment_names[] = {"webhook", "journal", "polls"};

// Picks a kind of moment at random among those this run surely reaches (events turned done
// but not yet accepted by the receiver, or not yet written by the log action, are delivered in
// it), and its k: 1..4, at most that much work.
std::pair<moment, std::size_t> pick_moment(kill_rig& r, const run_log& log, std::mt19937_64& rng) {
  std::size_t hooks = 0, lines = 0;
  const auto accepted = r.rx->ids();
  for (const auto& e : r.turned) {
    hooks += accepted.contains(e) ? 0 : 1;
    lines += log.journal_ids.contains(e) ? 0 : 1;
  }
  std::vector<std::pair<moment, std::size_t>> kinds{{moment::polls, 30}};
  if (hooks > 0) kinds.emplace_back(moment::webhook, std::min<std::size_t>(hooks, 4));
  if (lines > 0) kinds.emplace_back(moment::journal, std::min<std::size_t>(lines, 4));
  const auto [kind, most] =
      kinds[std::uniform_int_distribution<std::size_t>(0, kinds.size() - 1)(rng)];
  return {kind, std::uniform_int_distribution<std::size_t>(1, most)(rng)};
}

// One run killed at a random moment: pick_moment, then at once or (half the time) a random
// 1..20 ms later. Returns the run's log lines; counts the moment's kind in `kinds`.
std::vector<std::string> run_and_kill(kill_rig& r, unsigned k, const run_log& log,
                                      std::mt19937_64& rng, std::map<std::string, int>& kinds) {
  auto c = r.start_ready();
  const std::size_t requests = r.rx->count();
  const std::int64_t polls = r.api->snapshot().requests;
  r.finish_planned(k);
  const auto [kind, n] = pick_moment(r, log, rng);
  ++kinds[moment_names[static_cast<int>(kind)]];
  bool reached = false;
  switch (kind) {
    case moment::webhook:
      reached = r.rx->wait_for_count(requests + n, 20s);
      break;
    case moment::journal:
      reached = c->wait_for(
          [&](const std::vector<std::string>& lines, bool) {
            std::size_t seen = 0;
            for (const auto& l : lines) seen += t::is_event(l, "action.log") ? 1 : 0;
            return seen >= n;
          },
          20s);
      break;
    case moment::polls:
      reached = t::wait_until(
          [&] { return r.api->snapshot().requests >= polls + static_cast<std::int64_t>(n); }, 20s);
      break;
  }
  BOOST_REQUIRE_MESSAGE(reached, "run " << k << ": no " << moment_names[static_cast<int>(kind)]
                                        << " moment in 20 s:" << t::log_tail{*c});
  // Part of the random moment, not a wait for anything.
  if (const int later = std::uniform_int_distribution<int>(-20, 20)(rng); later > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(later));
  }
  BOOST_REQUIRE_MESSAGE(t::kill_hard(*c) == 128 + SIGKILL,
                        "run " << k << " ended before its kill:" << t::log_tail{*c});
  const auto leaks = t::find_secrets(t::default_secrets(), *c, r.state(), {});
  BOOST_TEST(leaks.empty(), "run " << k << ": " << (leaks.empty() ? "" : leaks[0]));
  return c->err_lines();
}

// The last run, to the end: every event accepted by the receiver and written by the log action.
std::vector<std::string> run_to_completion(kill_rig& r, const run_log& before) {
  auto c = r.start_ready();
  const bool all = t::wait_until(
      [&] {
        if (r.rx->ids() != r.events) return false;
        auto seen = before.journal_ids;
        for (const auto& [id, n] : t::journal(c->err_lines())) seen.insert(id);
        return seen == r.events;
      },
      60s);
  BOOST_TEST(all, r.rx->ids().size()
                      << " of " << r.events.size() << " accepted:" << t::log_tail{*c});
  {
    // The last outcomes recorded too: a stop would leave a delivery in flight pending. (This
    // connection closes before the daemon's, so it leaves the files as the daemon has them.)
    fjwatch::store db(r.state());
    const bool recorded = t::wait_until(
        [&] { return db.count_deliveries(fjwatch::delivery_state::pending) == 0; }, 30s);
    BOOST_TEST(recorded, "deliveries still pending:" << t::log_tail{*c});
  }
  BOOST_TEST(t::terminate(*c) == 0, t::log_tail{*c});
  const auto leaks = t::find_secrets(t::default_secrets(), *c, r.state(), r.rx->deliveries());
  BOOST_TEST(leaks.empty(), leaks.size()
                                << " secret(s) found, first: " << (leaks.empty() ? "" : leaks[0]));
  return c->err_lines();
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_event_reaches_every_action_across_repeated_kill_9) {
  const auto kills = static_cast<unsigned>(env_number("FJWATCH_KILLS", 20));
  const std::uint64_t seed = env_number("FJWATCH_SEED", std::random_device{}());
  BOOST_TEST_MESSAGE("seed " << seed << " (FJWATCH_SEED), kills " << kills << " (FJWATCH_KILLS)");
  BOOST_REQUIRE(kills >= 1);
  std::mt19937_64 rng(seed);
  kill_rig r(kills, rng);
  const auto start = steady::now();

  run_log log;
  std::map<std::string, int> kinds;
  for (unsigned k = 0; k < kills; ++k) log.add(run_and_kill(r, k, log, rng, kinds));
  log.add(run_to_completion(r, log));

  // The database as the daemon left it, read-only first.
  const std::string integrity = t::integrity_check(r.state());
  BOOST_TEST(integrity == "ok");
  fjwatch::store db(r.state());
  const auto events_by_session = db.count_events_by_session(fjwatch::event_type::done);
  BOOST_TEST(events_by_session.size() == r.sessions);
  for (const auto& [id, n] : events_by_session) BOOST_TEST(n == 1, id << ": " << n << " events");
  BOOST_TEST(db.count_deliveries(fjwatch::delivery_state::pending) == 0);
  BOOST_TEST(db.count_deliveries(fjwatch::delivery_state::failed) == 0);

  BOOST_TEST(log.journal_ids == r.events, log.journal_ids.size()
                                              << " of " << r.events.size()
                                              << " events reached the log action");
  // An event is recorded once: at most one session.done line for it over all runs (a kill
  // between the commit and the line leaves none).
  for (const auto& [id, n] : log.done_lines)
    BOOST_TEST(n == 1, id << ": " << n << " session.done lines");
  const auto got = r.rx->deliveries();
  const auto hooks = t::judge_webhooks(got, r.events);
  BOOST_TEST(hooks.problems.empty(), hooks.problems.size()
                                         << " problem(s), first: "
                                         << (hooks.problems.empty() ? "" : hooks.problems[0]));
  const auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
  const auto summary = "kills " + std::to_string(kills) + ", seed " + std::to_string(seed) +
                       ", events " + std::to_string(r.events.size()) + ", api requests " +
                       std::to_string(r.api->snapshot().requests) + ", webhook requests " +
                       std::to_string(hooks.requests) + ", ids accepted " +
                       std::to_string(hooks.ids_accepted) + ", accepted again (duplicates) " +
                       std::to_string(hooks.accepted_again) + ", journal lines " +
                       std::to_string(log.journal_lines) + " (duplicates " +
                       std::to_string(log.journal_lines - log.journal_ids.size()) +
                       "), integrity " + integrity + ", " + std::to_string(secs.count()) + " ms";
  std::string moments;
  for (const auto& [kind, n] : kinds) moments += " " + kind + " " + std::to_string(n);
  BOOST_TEST_MESSAGE(summary << "; kill moments:" << moments);
}
