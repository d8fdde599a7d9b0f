// The real binary under a fake systemd: $NOTIFY_SOCKET is a datagram socket this test owns.
#include <boost/test/unit_test.hpp>

#include "fjwatch/store/store.hpp"
#include "support/harness.hpp"
#include "support/notify_socket.hpp"
#include "support/process.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <numeric>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using msg = t::notify_socket::message;
using t::child_process;
using t::notify_socket;
using t::rig;
using t::tail;

std::string hex_id(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "5c0d%020x", n);
  return buf;
}

// The environment of a daemon started by systemd with `extra` set.
t::env_map systemd_env(const notify_socket& s, const t::env_map& extra = {}) {
  auto env = t::base_env();
  env["NOTIFY_SOCKET"] = s.path();
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

std::vector<std::string> texts(const std::vector<msg>& all, std::size_t from = 0) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < all.size(); ++i) out.push_back(all[i].text);
  return out;
}

std::string listing(const std::vector<msg>& all, std::size_t from = 0) {
  std::string out;
  for (const auto& m : texts(all, from)) out += "\n  " + m;
  return out;
}

// Messages starting with `prefix`, from index `from` on.
std::vector<msg> only(const std::vector<msg>& all, std::string_view prefix, std::size_t from = 0) {
  std::vector<msg> out;
  for (std::size_t i = from; i < all.size(); ++i) {
    if (all[i].text.starts_with(prefix)) out.push_back(all[i]);
  }
  return out;
}

// The 1-based line and column of `needle` in `text` (which must hold it).
std::string where_in(const std::string& text, std::string_view needle) {
  const auto at = text.find(needle);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const auto line = std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 1;
  const auto col =
      at - (text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1) + 1;
  return std::to_string(line) + ":" + std::to_string(col);
}

// The child processes of `pid` (its main thread's), from /proc.
std::string children_of(pid_t pid) {
  const auto p = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  return t::read_all(p);
}

// Starts the daemon of `r` as systemd would, with `extra` in its environment, and waits for
// READY=1 (the test fails without it).
std::unique_ptr<child_process> start_notified(const rig& r, notify_socket& s,
                                              const t::env_map& extra = {}) {
  auto c = r.start(systemd_env(s, extra));
  BOOST_REQUIRE_MESSAGE(s.wait_for_text("READY=1", 15s), "no READY=1:" << tail(*c));
  return c;
}

// SIGHUP, then RELOADING=1 followed by READY=1 (the test fails without them). Returns the count
// of stderr lines before the signal, where the reload's lines start.
std::size_t reload(child_process& c, notify_socket& s) {
  const auto from_msg = s.messages().size();
  const auto from_line = c.err_line_count();
  c.send_signal(SIGHUP);
  const auto reloading = s.wait_for_text("RELOADING=1", 10s, from_msg);
  BOOST_REQUIRE_MESSAGE(reloading, "no RELOADING=1:" << listing(s.messages(), from_msg));
  BOOST_TEST(s.wait_for_text("READY=1", 10s, *reloading + 1).has_value(),
             "no READY=1 after RELOADING=1");
  return from_line;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ready_after_loading_then_status_kept_current) {
  rig r;
  const auto done = hex_id(1), waiting = hex_id(2);
  r.api->add_session(sim::done_after(done, 0ms));
  r.api->add_session(sim::done_after(waiting, 1h));
  r.watch({done, waiting});
  notify_socket s(r.dir / "notify.sock");
  auto c = start_notified(r, s);
  // READY=1 is the first word, and its STATUS= already counts the loaded watch list.
  const auto& m = s.messages();
  BOOST_REQUIRE_GE(m.size(), 2u);
  BOOST_TEST(m[0].text == "READY=1");
  BOOST_TEST(m[1].text.starts_with("STATUS=watching 2: 2 waiting; 0 deliveries pending;"),
             m[1].text);
  const std::string settled =
      "STATUS=watching 2: 1 processing, 1 done; 0 deliveries pending; API ok";
  BOOST_TEST(s.wait_for_text(settled, 10s).has_value(), "statuses:" << listing(s.messages()));
  // Polls go on every 200 ms to 1 s, but STATUS= is sent only when the text changes, checked
  // once a second: no two in a row alike, none closer than the refresh period.
  s.wait_for([](const auto&) { return false; }, 1500ms);
  const auto statuses = only(s.messages(), "STATUS=", 2);
  for (std::size_t i = 1; i < statuses.size(); ++i) {
    BOOST_TEST_CONTEXT(statuses[i].text) {
      BOOST_TEST(statuses[i].text != statuses[i - 1].text);
      BOOST_TEST((statuses[i].at - statuses[i - 1].at) > 800ms);
    }
  }
  BOOST_TEST(only(s.messages(), "WATCHDOG=").empty());  // no WATCHDOG_USEC: no pings
  BOOST_TEST(t::terminate(*c) == 0);
}

BOOST_AUTO_TEST_CASE(watchdog_pings_at_half_of_watchdog_usec) {
  rig r;
  notify_socket s(r.dir / "notify.sock");
  auto c = start_notified(r, s, {{"WATCHDOG_USEC", "200000"}});
  const bool pinged =
      s.wait_for([](const auto& all) { return only(all, "WATCHDOG=1").size() >= 11; }, 5s);
  BOOST_REQUIRE_MESSAGE(pinged, "fewer than 11 pings in 5 s:" << listing(s.messages()));
  const auto pings = only(s.messages(), "WATCHDOG=1");
  std::vector<double> gaps_ms;
  for (std::size_t i = 1; i < pings.size(); ++i) {
    gaps_ms.push_back(
        std::chrono::duration<double, std::milli>(pings[i].at - pings[i - 1].at).count());
  }
  std::sort(gaps_ms.begin(), gaps_ms.end());
  const double median = gaps_ms[gaps_ms.size() / 2];
  BOOST_TEST(median > 70.0);
  BOOST_TEST(median < 150.0);
  BOOST_TEST(t::terminate(*c) == 0);
}

BOOST_AUTO_TEST_CASE(no_watchdog_pings_for_another_process) {
  rig r;
  notify_socket s(r.dir / "notify.sock");
  // WATCHDOG_PID names another process: sd_watchdog_enabled says the watchdog is not ours.
  auto c = start_notified(r, s, {{"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", "1"}});
  BOOST_TEST(!s.wait_for_text("WATCHDOG=1", 600ms).has_value());
  BOOST_TEST(t::terminate(*c) == 0);
}

BOOST_AUTO_TEST_CASE(sighup_applies_a_new_config_and_keeps_a_bad_one_out) {
  rig r;
  const auto id = hex_id(3);
  r.api->add_session(sim::done_after(id, 1h));
  r.watch({id});
  notify_socket s(r.dir / "notify.sock");
  auto c = start_notified(r, s);
  BOOST_REQUIRE(c->wait_for_text({"session.status"}, 10s));
  BOOST_TEST(!c->wait_for_text({"poll.ok"}, 1500ms).has_value());  // info level: no debug lines

  // A good config: log.level is live, state_dir needs a restart.
  r.cfg.level = "debug";
  r.cfg.state_dir = "elsewhere";
  r.dir.write("fjwatch.yaml", t::config_yaml(r.cfg));
  auto from_line = reload(*c, s);
  const auto reloaded = c->wait_for_text({"config.reloaded"}, 10s, from_line);
  BOOST_REQUIRE_MESSAGE(reloaded, "no config.reloaded:" << tail(*c));
  BOOST_TEST(t::log_field(*reloaded, "applied").value_or("") == "log.level");
  BOOST_TEST(t::log_field(*reloaded, "needs_restart").value_or("") == "state_dir");
  BOOST_TEST(
      c->wait_for_text({"config.restart_needed", "key=state_dir"}, 1s, from_line).has_value());
  BOOST_TEST(c->wait_for_text({"poll.ok", id}, 5s, from_line).has_value(),
             "debug lines never came");
  BOOST_TEST(!fs::exists(r.dir / "elsewhere"));

  // A bad config: every problem with its position, nothing applied (debug stays on).
  r.cfg.level = "info";
  r.cfg.interval = "fast";
  const auto bad = t::config_yaml(r.cfg);
  r.dir.write("fjwatch.yaml", bad);
  from_line = reload(*c, s);
  const auto problem = c->wait_for_text({"config.problem"}, 10s, from_line);
  BOOST_REQUIRE_MESSAGE(problem, "no config.problem:" << tail(*c));
  BOOST_TEST(t::log_field(*problem, "where").value_or("") ==
             r.config_path().string() + ":" + where_in(bad, "fast"));
  BOOST_TEST(t::log_field(*problem, "message").value_or("").starts_with("poll.interval: "));
  BOOST_TEST(c->wait_for_text({"config.reload_rejected"}, 5s, from_line).has_value());
  const auto after = c->err_line_count();
  BOOST_TEST(c->wait_for_text({"poll.ok", id}, 5s, after).has_value(),
             "the old log level was lost");
  BOOST_TEST(t::terminate(*c) == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_says_stopping_and_leaves_an_unfinished_delivery_pending) {
  rig r;
  const auto id = hex_id(4);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  notify_socket s(r.dir / "notify.sock");
  // The one action is a command that outlives the test's patience: in flight at SIGTERM.
  auto text = t::config_yaml(r.cfg);
  const std::string journal = "  - name: journal\n    type: log\n";
  text.replace(
      text.find(journal), journal.size(),
      "  - name: journal\n    type: command\n    argv: [/bin/sleep, \"30\"]\n    timeout: 1m\n");
  r.dir.write("fjwatch.yaml", text);
  auto c = t::spawn_fjwatch({"run", "-c", r.config_path().string()}, r.dir.path(), systemd_env(s));
  BOOST_REQUIRE_MESSAGE(s.wait_for_text("READY=1", 15s), "no READY=1:" << tail(*c));
  BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return !children_of(c->pid()).empty(); }, 10s),
                        "the command never started:" << tail(*c));
  const auto from = s.messages().size();
  const auto t0 = std::chrono::steady_clock::now();
  c->send_signal(SIGTERM);
  const auto code = c->wait_exit(5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(code.value_or(-1) == 0, tail(*c));
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 5000);
  s.drain();
  BOOST_TEST(s.wait_for_text("STOPPING=1", 0ms, from).has_value(), listing(s.messages(), from));
  fjwatch::store db(r.dir / "state");
  const auto ds = db.deliveries_of("fjw_" + id + "_done_0");
  BOOST_REQUIRE_EQUAL(ds.size(), 1u);
  BOOST_TEST(to_string(ds[0].state) == "pending");
  BOOST_TEST(ds[0].attempts == 0);
}

BOOST_AUTO_TEST_CASE(outside_systemd_nothing_is_sent) {
  rig r;
  notify_socket s(r.dir / "notify.sock");
  auto env = t::base_env();
  env["WATCHDOG_USEC"] = "200000";  // without NOTIFY_SOCKET there is nobody to tell
  auto c = r.start_ready(env);
  BOOST_TEST(!s.wait_for([](const auto& all) { return !all.empty(); }, 500ms));
  BOOST_TEST(t::terminate(*c) == 0);
}
