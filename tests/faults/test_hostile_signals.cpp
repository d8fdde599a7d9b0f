// Promises kept under signals, closed streams, odd files and a hostile server's pause: SIGTERM
// in the first moments stops cleanly, SIGUSR1/2 change nothing, a closed stderr does not stop
// the daemon, `add` on a FIFO does not hang, and a 429 asking for years pauses at most
// api.max_server_pause while health says so.
#include <boost/test/unit_test.hpp>

#include "support/control_client.hpp"
#include "support/process.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <charconv>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::hex_id;
using t::rig;
using t::tail;
using t::terminate;
using t::workspace;

// A command action that leaves <session>.fired in the daemon's directory for each event.
const std::string touch_action =
    "  - name: touch\n    type: command\n"
    "    argv: [/bin/sh, -c, 'touch \"$FJWATCH_SESSION_ID.fired\"']\n";

// The pid written in a state directory's lock file; 0 when there is none yet.
pid_t lock_holder(const fs::path& state_dir) {
  const auto text = t::read_all(state_dir / "fjwatch.lock");
  pid_t pid = 0;
  std::from_chars(text.data(), text.data() + text.size(), pid);
  return pid;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signals)

// SIGTERM while the daemon is still starting (here: loading a long watch list, after it took the
// state directory) gives the clean stop, not a death by signal. The list takes about 0.3 s to
// load in a release build and several seconds under the sanitizers: the bounds allow for both.
BOOST_AUTO_TEST_CASE(sigterm_during_start_gives_the_clean_stop) {
  workspace w;
  std::string list = "sessions:\n";
  for (unsigned i = 0; i < 15000; ++i)
    list += "  - { id: " + hex_id(i) + ", label: L" + std::to_string(i) + " }\n";
  w.dir.write("watchlist.yaml", list);
  for (int round = 0; round < 3; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      w.cfg.state_dir = "state-" + std::to_string(round);
      auto c = w.start();
      BOOST_REQUIRE(
          t::wait_until([&] { return lock_holder(w.dir / w.cfg.state_dir) == c->pid(); }, 60s));
      c->send_signal(SIGTERM);
      const auto code = c->wait_exit(60s);
      BOOST_TEST_REQUIRE(code.has_value(), tail(*c));
      BOOST_TEST(*code == 0, tail(*c));
      BOOST_TEST(c->err_text().find("daemon.stopping signal=SIGTERM") != std::string::npos,
                 tail(*c));
      BOOST_TEST(c->err_text().find("daemon.stopped exit_code=0") != std::string::npos, tail(*c));
    }
  }
}

// SIGUSR1 and SIGUSR2 are ignored: the daemon goes on and still picks up new work.
BOOST_AUTO_TEST_CASE(sigusr1_and_sigusr2_change_nothing) {
  rig r;
  const auto before = hex_id(1911);
  const auto after = hex_id(1912);
  r.api->add_session(sim::done_after(before, 0ms));
  r.api->add_session(sim::done_after(after, 0ms));
  r.watch({before});
  auto c = r.start_ready();
  BOOST_REQUIRE(c->wait_for_text({" action.log ", t::done_event(before)}, 15s));
  c->send_signal(SIGUSR1);
  c->send_signal(SIGUSR2);
  r.watch({before, after});
  BOOST_TEST(c->wait_for_text({" action.log ", t::done_event(after)}, 15s).has_value(), tail(*c));
  BOOST_TEST(!c->wait_exit(0ms).has_value());
  BOOST_TEST(terminate(*c) == 0, tail(*c));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streams)

// `fjwatch run 2>&1 | head -1`: once head is gone every log line fails with EPIPE, and the daemon
// must go on polling and delivering.
BOOST_AUTO_TEST_CASE(a_closed_stderr_does_not_stop_the_daemon) {
  rig r;
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 3; ++i) {
    ids.push_back(hex_id(1920 + i));
    r.api->add_session(sim::done_after(ids.back(), 1500ms + 300ms * i));  // after head is gone
  }
  r.watch(ids);
  r.cfg.more_actions = touch_action;
  r.cfg.default_actions = {"journal", "touch"};
  r.dir.write("fjwatch.yaml", t::config_yaml(r.cfg));
  t::child_process shell(
      {"/bin/sh", "-c", "\"$0\" run -c fjwatch.yaml 2>&1 | head -n 1 > first-line", FJWATCH_BINARY},
      t::base_env(), r.dir.path());
  BOOST_REQUIRE(t::wait_until([&] { return lock_holder(r.dir / "state") > 0; }, 15s));
  const pid_t daemon = lock_holder(r.dir / "state");
  const auto first_line = r.dir / "first-line";
  BOOST_REQUIRE(
      t::wait_until([&] { return fs::exists(first_line) && fs::file_size(first_line) > 0; }, 15s));
  for (const auto& id : ids) {
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(t::wait_until([&] { return fs::exists(r.dir / (id + ".fired")); }, 15s));
    }
  }
  BOOST_TEST(::kill(daemon, 0) == 0);  // alive after writing into a closed pipe
  BOOST_TEST(::kill(daemon, SIGTERM) == 0);
  BOOST_TEST(shell.wait_exit(15s).has_value());
  BOOST_TEST(t::wait_until([&] { return ::kill(daemon, 0) != 0; }, 5s));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(odd_files)

// A watch list that is a FIFO is refused at once, as check refuses it, instead of blocking on
// the open while holding the watch list's lock.
BOOST_AUTO_TEST_CASE(add_and_remove_refuse_a_fifo_at_once) {
  workspace w;
  fs::remove(w.dir / "watchlist.yaml");
  BOOST_REQUIRE(::mkfifo((w.dir / "watchlist.yaml").c_str(), 0600) == 0);
  w.dir.write("fjwatch.yaml", t::config_yaml(w.cfg));
  for (const std::string command : {"add", "remove"}) {
    BOOST_TEST_CONTEXT(command) {
      auto c =
          t::spawn_fjwatch({command, hex_id(1930), "-c", w.config_path().string()}, w.dir.path());
      const auto code = c->wait_exit(5s);
      BOOST_TEST_REQUIRE(code.has_value(), "still waiting on the FIFO");
      BOOST_TEST(*code != 0);
      BOOST_TEST(c->err_text().find("watchlist.yaml: cannot read: not a regular file") !=
                     std::string::npos,
                 c->err_text());
    }
  }
  const auto check = t::run_cli(w, {"check"});
  BOOST_TEST(check.code == 78);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_pauses)

// A 429 asking for three thousand years pauses every poll for api.max_server_pause at most, and
// while that pause lasts /healthz, `fjwatch status` and /metrics say so and until when.
BOOST_AUTO_TEST_CASE(a_huge_retry_after_is_capped_and_reported) {
  rig r;
  const auto id = hex_id(1940);
  auto s = sim::done_after(id, 0ms);
  s.fault_kind = sim::fault::rate_limited;
  s.fault_polls = 1;
  s.retry_after = std::chrono::seconds(99'999'999'999);
  r.api->add_session(s);
  r.watch({id});
  const std::string address = "127.0.0.1:" + std::to_string(t::free_port());
  r.cfg.control = "\"" + address + "\"";
  auto c = r.start_ready();
  BOOST_REQUIRE_MESSAGE(
      c->wait_for_line([](auto l) { return t::is_event(l, "api.rate_limited"); }, 15s),
      "no api.rate_limited:" << tail(*c));
  BOOST_TEST(c->err_text().find("pause_ms=900000 cause=\"HTTP 429\"") != std::string::npos,
             tail(*c));

  const auto health = t::send_raw(address, t::request_text("GET", "/healthz"));
  BOOST_TEST(t::status_of(health.text) == 503);
  BOOST_TEST(
      t::body_of(health.text)
              .find(
                  R"("status":"degraded","reason":"the API asked to pause polling for 15m (HTTP 429): polling resumes at )") !=
          std::string::npos,
      health.text);
  const auto metrics = t::body_of(t::send_raw(address, t::request_text("GET", "/metrics")).text);
  const auto at = metrics.find("\nfjwatch_api_server_pause_seconds ");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const double left = std::stod(metrics.substr(at + 34));
  BOOST_TEST(left > 800.0);
  BOOST_TEST(left <= 900.0);
  const auto status = t::run_cli(r, {"status"});
  BOOST_TEST(status.out.find("degraded (the API asked to pause polling for 15m (HTTP 429): "
                             "polling resumes at ") != std::string::npos,
             status.out);
  BOOST_TEST(terminate(*c) == 0, tail(*c));

  // With a cap of a second the same answer delays the session by a second, not for ever.
  auto again = sim::done_after(hex_id(1941), 0ms);
  again.fault_kind = sim::fault::rate_limited;
  again.fault_polls = 1;
  again.retry_after = std::chrono::seconds(99'999'999'999);
  r.api->add_session(again);
  r.watch({hex_id(1941)});
  r.cfg.max_server_pause = "1s";
  r.cfg.state_dir = "state-2";
  auto d = r.start_ready();
  BOOST_TEST(d->wait_for_text({" action.log ", t::done_event(hex_id(1941))}, 15s).has_value(),
             tail(*d));
  BOOST_TEST(d->err_text().find("pause_ms=1000 ") != std::string::npos, tail(*d));
  BOOST_TEST(terminate(*d) == 0, tail(*d));
}

BOOST_AUTO_TEST_SUITE_END()
