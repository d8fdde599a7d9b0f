// `fjwatch test-action NAME`: the real binary sends one fjwatch.test event through a webhook (to
// a receiver on loopback over real TLS, which checks the signature with code of its own), a
// command and a log action; with no API key, no state directory, and beside a running daemon.
#include <boost/test/unit_test.hpp>

#include "support/harness.hpp"
#include "support/process.hpp"
#include "support/receiver_thread.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::receiver_thread;
using t::run_cli;
using t::workspace;

constexpr std::string_view fake_session = "000000000000000000000000";

// A workspace with the log action `journal` and a webhook `hook` to `rx` (timeout `timeout`),
// its secret and CA written; the API key removed from every place, since test-action needs none.
struct hook_workspace : workspace {
  hook_workspace(receiver_thread& rx, std::string timeout = "2s") {
    cfg.more_actions = t::webhook_action({.url = rx->url(), .timeout = std::move(timeout)});
    dir.write("hook.secret", std::string(t::webhook_secret) + "\n");
    dir.write("hook-ca.pem", rx->ca_pem());
    env = t::place_keys(*this, {});
  }
  t::env_map env;
};

// The id in "... (event fjw_test_<ms>_<nonce>)\n" when `out` is one such line matching `head`
// (a regex of what comes before it); "" otherwise.
std::string event_of(const std::string& out, const std::string& head) {
  const std::regex line("^test-action " + head + R"( \(event (fjw_test_\d+_[0-9a-f]{16})\)\n$)");
  std::smatch m;
  return std::regex_match(out, m, line) ? m[1].str() : "";
}

// The milliseconds in "... in N ms" or "failed after N ms"; -1 when there are none.
long long millis_of(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"((?:in|after) (\d+) ms)"))) return -1;
  return std::stoll(m[1].str());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhook)

// One signed request with the Standard Webhooks headers and the test event; nothing written to a
// state directory; a second run has a webhook-id of its own.
BOOST_AUTO_TEST_CASE(sends_one_signed_test_event_and_prints_the_status) {
  receiver_thread rx;
  hook_workspace w(rx);
  const auto f = run_cli(w, {"test-action", "hook"}, w.env);
  BOOST_TEST(f.code == 0, f.out);
  const auto id = event_of(f.out, R"(hook: HTTP 200 in \d+ ms)");
  BOOST_TEST_REQUIRE(!id.empty(), f.out);
  BOOST_TEST(f.err.empty());
  const auto got = rx->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  const auto& r = got[0];
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/hook");
  BOOST_TEST(r.id == id);
  BOOST_TEST(r.signature_ok, r.signature_problem);
  BOOST_TEST(r.content_type == "application/json");
  BOOST_TEST(r.user_agent == "fjwatch/" FJWATCH_VERSION);
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  BOOST_TEST(std::abs(std::stoll(r.timestamp) - now_s) <= 5);
  const auto body = boost::json::parse(r.body).as_object();
  BOOST_TEST(body.at("type").as_string() == "fjwatch.test");
  const auto& data = body.at("data").as_object();
  BOOST_TEST(data.at("session_id").as_string() == fake_session);
  BOOST_TEST(data.at("label").as_string() == "fjwatch test-action");
  BOOST_TEST(data.at("status").as_string() == "done");
  BOOST_TEST(data.at("session").as_object().at("_id").as_string() == fake_session);
  BOOST_TEST(!fs::exists(w.dir / "state"));

  const auto again = run_cli(w, {"test-action", "hook"}, w.env);
  BOOST_TEST(again.code == 0, again.out);
  const auto id2 = event_of(again.out, R"(hook: HTTP 200 in \d+ ms)");
  BOOST_TEST(!id2.empty(), again.out);
  BOOST_TEST(id2 != id);
  BOOST_TEST(rx->ids().size() == 2u);
}

// A 500 is a failure: exit 1, the status and the start of the receiver's answer.
BOOST_AUTO_TEST_CASE(a_server_error_fails_with_the_status_and_answer) {
  receiver_thread rx;
  rx->set_default({.kind = sim::reply_kind::status, .status = 500});
  hook_workspace w(rx);
  const auto f = run_cli(w, {"test-action", "hook"}, w.env);
  BOOST_TEST(f.code == 1);
  BOOST_TEST(
      !event_of(f.out, R"(hook: failed after \d+ ms: HTTP 500 "500 Internal Server Error\\n")")
           .empty(),
      f.out);
  BOOST_TEST(rx->count() == 1u);
}

// A receiver that never answers: exit 1 once the action's timeout (1s) has passed, not later.
BOOST_AUTO_TEST_CASE(a_hanging_receiver_fails_after_the_action_timeout) {
  receiver_thread rx;
  rx->set_default({.kind = sim::reply_kind::hang});
  hook_workspace w(rx, "1s");
  const auto start = std::chrono::steady_clock::now();
  const auto f = run_cli(w, {"test-action", "hook"}, w.env);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST(f.code == 1);
  BOOST_TEST(!event_of(f.out, R"(hook: failed after \d+ ms: .*timeout.*)").empty(), f.out);
  BOOST_TEST(millis_of(f.out) >= 1000);
  BOOST_TEST(millis_of(f.out) < 3000);
  BOOST_TEST(elapsed < 8s);
  BOOST_TEST(rx->count() == 1u);
}

// A webhook whose secret cannot be read: the problem as `check` words it, exit 78, nothing sent.
BOOST_AUTO_TEST_CASE(a_missing_secret_is_a_config_error) {
  receiver_thread rx;
  hook_workspace w(rx);
  fs::remove(w.dir / "hook.secret");
  const auto f = run_cli(w, {"test-action", "hook"}, w.env);
  BOOST_TEST(f.code == 78);
  BOOST_TEST(f.out == "");
  BOOST_TEST_REQUIRE(f.err.size() == 1u);
  BOOST_TEST(f.err[0].find("action \"hook\": ") != std::string::npos, f.err[0]);
  BOOST_TEST(f.err[0].find("hook.secret: cannot read") != std::string::npos, f.err[0]);
  BOOST_TEST(rx->count() == 0u);
}

// A daemon holds the state directory's lock: test-action neither needs nor takes it, and the
// daemon does not deliver the test event.
BOOST_AUTO_TEST_CASE(works_beside_a_running_daemon) {
  receiver_thread rx;
  hook_workspace w(rx);
  w.dir.write("api-key", std::string(t::test_api_key) + "\n");
  const auto daemon = w.start_ready();
  BOOST_TEST_REQUIRE(fs::exists(w.dir / "state" / "fjwatch.db"));  // its state, locked by it
  const auto f =
      t::run_to_end({"test-action", "hook", "-c", w.config_path().string()}, w.dir.path(), w.env);
  BOOST_TEST(f.code == 0, f.out);
  BOOST_TEST(!event_of(f.out, R"(hook: HTTP 200 in \d+ ms)").empty(), f.out);
  BOOST_TEST(rx->count() == 1u);
  BOOST_TEST(t::terminate(*daemon) == 0);
  BOOST_TEST(rx->count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_and_log)

// The child gets the event on stdin and in its environment, whatever the action's `on:` says.
BOOST_AUTO_TEST_CASE(a_command_gets_the_event) {
  workspace w;
  const auto got = (w.dir / "got.json").string();
  w.cfg.more_actions =
      "  - name: script\n    type: command\n    on: [session.status_changed]\n"
      "    argv: [/bin/sh, -c, 'cat > \"$0\"; printf \"%s %s %s\" \"$FJWATCH_EVENT\" "
      "\"$FJWATCH_EVENT_ID\" \"$FJWATCH_SESSION_ID\" > \"$0.env\"', " +
      got + "]\n";
  const auto f = run_cli(w, {"test-action", "script"}, t::place_keys(w, {}));
  BOOST_TEST(f.code == 0, f.out);
  const auto id = event_of(f.out, R"(script: exit 0 in \d+ ms)");
  BOOST_TEST_REQUIRE(!id.empty(), f.out);
  const auto body = boost::json::parse(t::read_all(got)).as_object();
  BOOST_TEST(body.at("type").as_string() == "fjwatch.test");
  BOOST_TEST(body.at("data").as_object().at("session_id").as_string() == fake_session);
  BOOST_TEST(t::read_all(got + ".env") == "fjwatch.test " + id + " " + std::string(fake_session));
}

BOOST_AUTO_TEST_CASE(a_failing_command_fails_with_its_exit_status) {
  workspace w;
  w.cfg.more_actions =
      "  - name: broken\n    type: command\n    argv: [/bin/sh, -c, 'cat >/dev/null; exit 3']\n";
  const auto f = run_cli(w, {"test-action", "broken"});
  BOOST_TEST(f.code == 1);
  BOOST_TEST(!event_of(f.out, R"(broken: failed after \d+ ms: exit 3)").empty(), f.out);
}

// The log action writes its line through the logger and prints the text it rendered.
BOOST_AUTO_TEST_CASE(a_log_action_prints_its_line) {
  workspace w;
  const auto f = run_cli(w, {"test-action", "journal"}, t::place_keys(w, {}));
  BOOST_TEST(f.code == 0, f.out);
  const std::string text =
      "fjwatch.test " + std::string(fake_session) + " fjwatch test event: done, 3 profiles";
  const auto id = event_of(f.out, "journal: logged \"" + text + R"(" in \d+ ms)");
  BOOST_TEST_REQUIRE(!id.empty(), f.out);
  BOOST_TEST_REQUIRE(f.err.size() == 1u);
  BOOST_TEST(t::is_event(f.err[0], "action.log"), f.err[0]);
  BOOST_TEST(t::log_field(f.err[0], "event_type").value_or("") == "fjwatch.test");
  BOOST_TEST(t::log_field(f.err[0], "event_id").value_or("") == id);
  BOOST_TEST(t::log_field(f.err[0], "text").value_or("") == text);
  BOOST_TEST(!fs::exists(w.dir / "state"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(unknown_names_usage_and_config_errors) {
  const std::string usage = "usage: fjwatch test-action NAME [-c FILE]";
  workspace w;
  w.cfg.more_actions = "  - name: script\n    type: command\n    argv: [/bin/true]\n";
  const auto unknown = run_cli(w, {"test-action", "nope"});
  BOOST_TEST(unknown.code == 65);
  BOOST_TEST(unknown.out == "");
  const std::vector<std::string> names{"fjwatch test-action: no action \"nope\" in " +
                                       w.config_path().string() + " (it has: journal, script)"};
  BOOST_TEST(unknown.err == names, boost::test_tools::per_element());

  struct row {
    std::vector<std::string> args;
    int code;
    std::vector<std::string> err;
  };
  const std::string missing = (w.dir / "missing.yaml").string();
  const std::vector<row> rows{
      {{"test-action"}, 64, {"fjwatch test-action: needs an action NAME", usage}},
      {{"test-action", "a", "b"}, 64, {"fjwatch test-action: unexpected argument b", usage}},
      {{"test-action", "a", "--now"}, 64, {"fjwatch test-action: unknown option --now", usage}},
      {{"test-action", "a", "-c"}, 64, {"fjwatch test-action: -c needs a file name", usage}},
      {{"test-action", "a", "-c", missing},
       78,
       {missing + ": cannot read: No such file or directory"}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.args.back() << " (" << r.args.size() << " words)") {
      const auto f = t::run_to_end(r.args, w.dir.path());
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.err == r.err, boost::test_tools::per_element());
      BOOST_TEST(f.out == "");
    }
  }
  const auto help = t::run_to_end({"test-action", "--help"}, w.dir.path());
  BOOST_TEST(help.code == 0);
  BOOST_TEST(help.out == usage + "\n");
}

BOOST_AUTO_TEST_SUITE_END()
