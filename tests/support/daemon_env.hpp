#pragma once
// The daemon under test, in-process: a temp dir with config, watch list and state; the simulated
// API on its own thread; the daemon on the test thread's io_context; every log line captured.
// Shared by the integration tests that drive the daemon directly.
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "fjwatch/service/daemon.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/store/store.hpp"
#include "support/harness.hpp"
#include "sim/certs.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <cstdio>
#include <sstream>

namespace itest {

namespace asio = boost::asio;
namespace sim = fjwatch::sim;
namespace ft = fjwatch::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr const char* api_key = "fjk_itest_0123456789abcdef";

// A valid session id, distinct per n.
std::string sid(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6a%022x", n);
  return buf;
}
// The id of a session's first session.done event.
std::string done_id(const std::string& id) { return "fjw_" + id + "_done_0"; }
// A session that stays `processing` for the whole test.
sim::session_script processing(std::string id) { return sim::session_script{.id = std::move(id)}; }
// `s`, with its first `polls` polls answered by fault `f`.
sim::session_script with_fault(sim::session_script s, sim::fault f, int polls) {
  s.fault_kind = f;
  s.fault_polls = polls;
  return s;
}
// Wall-clock now, unix ms (as the store keeps time).
std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What differs from the usual config between tests.
struct tuning {
  int workers = 4;
  int pipeline = 1;
  std::string ca_pem;                  // written to ca.pem; empty: the simulator's CA
  std::string actions;                 // more entries of `actions:` (YAML, indented 2)
  std::string defaults = "[journal]";  // defaults.actions
  std::string control = "\"\"";        // the control endpoint: off unless a test sets it
  // api.api_key_file, written with api_key unless it exists ("": unset; start() hands the key
  // over, and a reload finds none)
  std::string api_key_file;
  std::string api_extra;  // more keys of `api:` (YAML lines, indented 2)
  fjwatch::millis unreachable_after = fjwatch::default_unreachable_after;
  std::string retention;  // the `retention:` block's flow map, e.g. "{ events: 1h }" ("": none)
  fjwatch::prune_pacing pruning{.first = std::chrono::hours(1)};  // when retention runs
};

// `o` with the key the daemon is usually given.
sim::options sim_opts(sim::options o = {}) {
  o.api_key = api_key;
  return o;
}

// A temp dir with config, watch list and state; the simulator on its thread; the daemon on this
// thread's io_context; every log line captured.
class env {
 public:
  explicit env(sim::options so = {}, tuning t = {})
      : unreachable_after_(t.unreachable_after), pruning_(t.pruning), api(sim_opts(std::move(so))) {
    fjwatch::log::configure(fjwatch::log_level::info, fjwatch::log_format::text);
    fjwatch::log::set_sink(logs.sink());
    configure(t);
  }
  // Writes fjwatch.yaml (and ca.pem) for `t`: at construction, and again before a reload.
  void configure(const tuning& t) {
    dir.write("ca.pem", t.ca_pem.empty() ? api->ca_pem() : t.ca_pem);
    std::ostringstream c;
    c << "api:\n  base_url: " << api->base_url() << "\n  ca_file: ca.pem\n  timeout: 1s\n"
      << "  max_in_flight: " << t.workers << "\n  pipeline: " << t.pipeline << "\n  rate: 1000/s\n"
      << t.api_extra;
    if (!t.api_key_file.empty()) {
      c << "  api_key_file: " << t.api_key_file << "\n";
      if (!std::filesystem::exists(dir / t.api_key_file)) dir.write(t.api_key_file, api_key);
    }
    c << "poll:\n  interval: 100ms\n  max_interval: 300ms\n  after_done: stop\n"
      << "retry:\n  initial: 50ms\n  max: 300ms\n"
      << "watchlist: watchlist.yaml\nstate_dir: state\ncontrol: " << t.control << "\n"
      << "actions:\n  - name: journal\n    type: log\n"
      << "    template: \"FJWTEST {event} {session_id} {matched}\"\n"
      << t.actions << "defaults:\n  actions: " << t.defaults << "\n";
    if (!t.retention.empty()) c << "retention: " << t.retention << "\n";
    dir.write("fjwatch.yaml", c.str());
  }
  ~env() {
    stop();
    fjwatch::log::set_sink({});
    if (!current_test_passed()) {
      for (const auto& l : logs.lines()) BOOST_TEST_MESSAGE("log: " << l);
      for (const auto& l : api.sim_log().lines()) BOOST_TEST_MESSAGE("sim: " << l);
    }
  }
  // On a failure the captured lines are printed by the destructor.
  static bool current_test_passed() {
    namespace ut = boost::unit_test;
    return ut::results_collector.results(ut::framework::current_test_case().p_id).passed();
  }

  // A watch list of plain ids.
  static std::string watch_text(const std::vector<std::string>& ids) {
    std::string text = "sessions:\n";
    for (const auto& id : ids) text += "  - " + id + "\n";
    return text;
  }
  void watch(const std::vector<std::string>& ids) { dir.write("watchlist.yaml", watch_text(ids)); }
  std::filesystem::path state_dir() const { return dir / "state"; }

  // Builds a daemon from the files as they are now and starts it (throws what start() throws).
  // The webhooks' secrets come from their files; the API key is `key`, wherever the config
  // would look for one.
  fjwatch::daemon& start(std::string key = api_key) {
    auto cfg = fjwatch::load_config(dir / "fjwatch.yaml");
    auto keys = fjwatch::load_secrets(cfg).values;
    keys.api_key = std::move(key);
    d = std::make_unique<fjwatch::daemon>(
        ioc, std::move(cfg), std::move(keys),
        fjwatch::daemon_options{.handle_signals = false,
                                .notify_systemd = false,
                                .unreachable_after = unreachable_after_,
                                .pruning = pruning_});
    d->start();
    return *d;
  }
  // Stops the daemon, waits for its tasks and for the loop to run out of work, then drops it.
  void stop() {
    if (!d) return;
    d->stop();
    BOOST_TEST(run_until([&] { return d->stopped(); }, 3s));
    BOOST_TEST(ft::run_to_idle(ioc, 3s));
    d.reset();
  }

  template <class Pred>
  bool run_until(Pred&& p, std::chrono::milliseconds bound) {
    return ft::run_until(ioc, std::forward<Pred>(p), bound);
  }
  void run_for(std::chrono::milliseconds span) { ft::run_for(ioc, span); }

  // action.log lines written for one event id.
  std::size_t action_lines(const std::string& event_id) const {
    return logs.count({" action.log ", " event_id=" + event_id + " "});
  }
  // Lines of `event` about one session (the scheduler's lines name the session first).
  std::size_t lines(std::string_view event, const std::string& session) const {
    return logs.count({" " + std::string(event) + " session=" + session + " "});
  }
  // The daemon's view of one session; nullopt when it is not watched.
  std::optional<fjwatch::session_view> view(const std::string& id) const {
    for (auto& v : d->sessions()) {
      if (v.id == id) return v;
    }
    return std::nullopt;
  }

  fjwatch::millis unreachable_after_;
  fjwatch::prune_pacing pruning_;
  ft::temp_dir dir{"fjwatch-itd"};
  ft::line_capture logs;
  ft::sim_thread api;
  asio::io_context ioc;
  std::unique_ptr<fjwatch::daemon> d;
};

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace itest
