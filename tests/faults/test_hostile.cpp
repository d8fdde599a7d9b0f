// Promises kept when an operator is careless: one daemon per state directory, an empty database
// refused, secrets kept out of children and checked before a start, a config with no settings
// refused, nothing raw from a config file on stderr. Real processes, real files.
#include <boost/test/unit_test.hpp>

#include "support/control_client.hpp"
#include "support/process.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::hex_id;
using t::rig;
using t::run_cli;
using t::tail;
using t::terminate;
using t::workspace;

constexpr const char* hook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// How many `action.log` lines name `event_id`.
int logged(const std::vector<std::string>& lines, const std::string& event_id) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return t::is_event(l, "action.log") && l.find(event_id) != std::string::npos;
  }));
}

// Every stderr line joined, for finding text in it.
std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(one_daemon_per_state)

// Two daemons on one database would both poll and both deliver. The second is refused at once,
// whatever its config file and control address; the CLI keeps working beside the first.
BOOST_AUTO_TEST_CASE(a_second_daemon_is_refused_and_the_cli_still_works) {
  rig r;
  const auto id = hex_id(1901);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  auto first = r.start_ready();
  BOOST_REQUIRE_MESSAGE(first->wait_for_text({" action.log ", t::done_event(id)}, 15s),
                        "the session never fired:" << tail(*first));

  // Another config file in another directory, the same state directory by its absolute path.
  t::temp_dir other("fjwatch-other");
  auto cfg = r.cfg;
  cfg.state_dir = (r.dir / "state").string();
  cfg.watchlist = (r.dir / "watchlist.yaml").string();
  cfg.api_key_file = (r.dir / "api-key").string();
  cfg.ca_file = (r.dir / "ca.pem").string();
  cfg.control = "\"127.0.0.1:" + std::to_string(t::free_port()) + "\"";
  other.write("other.yaml", t::config_yaml(cfg));
  const auto started = std::chrono::steady_clock::now();
  auto second = t::spawn_fjwatch({"run", "-c", (other / "other.yaml").string()}, other.path());
  const auto code = second->wait_exit(10s);
  BOOST_TEST_REQUIRE(code.has_value());
  BOOST_TEST(*code == 75, tail(*second));
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
  const auto refused =
      second->wait_for_line([](auto l) { return t::is_event(l, "daemon.state_locked"); }, 1s);
  BOOST_REQUIRE_MESSAGE(refused, "no daemon.state_locked:" << tail(*second));
  BOOST_TEST(refused->find((r.dir / "state").string()) != std::string::npos, *refused);
  BOOST_TEST(refused->find("pid=" + std::to_string(first->pid())) != std::string::npos, *refused);
  BOOST_TEST(refused->find("(pid " + std::to_string(first->pid()) + ")") != std::string::npos);
  BOOST_TEST(second->err_text().find("daemon.ready") == std::string::npos);

  // Beside the running daemon: list, deliveries and redeliver.
  const auto list = run_cli(r, {"list"});
  BOOST_TEST(list.code == 0, joined(list.err));
  BOOST_TEST(list.out.find(id) != std::string::npos);
  const auto deliveries = run_cli(r, {"deliveries"});
  BOOST_TEST(deliveries.code == 0, joined(deliveries.err));
  BOOST_TEST(deliveries.out.find(t::done_event(id)) != std::string::npos);
  const auto redeliver = run_cli(r, {"redeliver", t::done_event(id)});
  BOOST_TEST(redeliver.code == 0, joined(redeliver.err));
  BOOST_TEST(
      first->wait_for(
          [&](const auto& lines, bool) { return logged(lines, t::done_event(id)) == 2; }, 15s),
      "the re-queued delivery was not made:" << tail(*first));
  BOOST_TEST(terminate(*first) == 0, tail(*first));

  // Once the first is gone, the state directory is free again.
  auto third = r.start_ready();
  BOOST_TEST(terminate(*third) == 0, tail(*third));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(damaged_database)

// A zero-byte fjwatch.db is damage, not a fresh start: every done session would fire again.
BOOST_AUTO_TEST_CASE(an_empty_database_file_is_refused) {
  rig r;
  const auto id = hex_id(1902);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  fs::create_directory(r.dir / "state");
  r.dir.write("state/fjwatch.db", "");
  auto c = r.start();
  const auto code = c->wait_exit(15s);
  BOOST_TEST_REQUIRE(code.has_value());
  BOOST_TEST(*code == 1, tail(*c));
  BOOST_TEST(c->err_text().find("fjwatch.db: database failed its integrity check: the file is "
                                "empty; refusing to start") != std::string::npos,
             tail(*c));
  BOOST_TEST(logged(c->err_lines(), t::done_event(id)) == 0);
  BOOST_TEST(fs::file_size(r.dir / "state" / "fjwatch.db") == 0u);
  const auto list = run_cli(r, {"list"});
  BOOST_TEST(list.code == 1);
  BOOST_TEST(joined(list.err).find("the file is empty") != std::string::npos, joined(list.err));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

// Neither the API key's variable nor a webhook's secret_env reaches a command's child, while
// every other variable does.
BOOST_AUTO_TEST_CASE(no_child_inherits_a_secret) {
  rig r;
  const auto id = hex_id(1903);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  r.cfg.more_actions =
      "  - name: hook\n    type: webhook\n    url: https://127.0.0.1:9/hook\n"
      "    secret_env: HOOK_SECRET\n"
      "  - name: dump\n    type: command\n"
      "    argv: [/bin/sh, -c, 'env > \"$FJWATCH_SESSION_ID.tmp\" && mv "
      "\"$FJWATCH_SESSION_ID.tmp\" "
      "\"$FJWATCH_SESSION_ID.env\"']\n";
  r.cfg.default_actions = {"journal", "hook", "dump"};
  auto env = t::base_env();
  env["FJ_API_KEY"] = std::string(t::test_api_key);  // also a place of the key, unused here
  env["HOOK_SECRET"] = hook_secret;
  env["PLAIN_SETTING"] = "kept";
  auto c = r.start_ready(env);
  const auto dumped = r.dir / (id + ".env");
  BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return fs::exists(dumped); }, 15s),
                        "the command never ran:" << tail(*c));
  BOOST_TEST(terminate(*c) == 0, tail(*c));
  const std::string child_env = t::read_all(dumped);
  BOOST_TEST(child_env.find("PLAIN_SETTING=kept\n") != std::string::npos, child_env);
  BOOST_TEST(child_env.find("FJWATCH_EVENT=session.done\n") != std::string::npos, child_env);
  BOOST_TEST(child_env.find("HOOK_SECRET") == std::string::npos, child_env);
  BOOST_TEST(child_env.find(hook_secret) == std::string::npos);
  BOOST_TEST(child_env.find("FJ_API_KEY") == std::string::npos);
  BOOST_TEST(child_env.find(std::string(t::test_api_key)) == std::string::npos);
}

// `check` loads every secret `run` would, and reports every problem at once with the action and
// the position of the key that names it; `run` reports the same and does not start. No secret's
// text is printed.
BOOST_AUTO_TEST_CASE(check_and_run_report_every_secret_problem) {
  workspace w;
  fs::remove(w.dir / "api-key");
  w.dir.write("good.secret", std::string(hook_secret) + "\n");
  w.dir.write("short.secret", "whsec_dG9vc2hvcnQ=\n");
  w.cfg.more_actions =
      "  - name: missing-file\n    type: webhook\n    url: https://127.0.0.1:9/a\n"
      "    secret_file: nothere.secret\n"
      "  - name: unset-var\n    type: webhook\n    url: https://127.0.0.1:9/b\n"
      "    secret_env: FJW_TEST_UNSET\n"
      "  - name: too-short\n    type: webhook\n    url: https://127.0.0.1:9/c\n"
      "    secret_file: short.secret\n"
      "  - name: rotating\n    type: webhook\n    url: https://127.0.0.1:9/d\n"
      "    secret_file: [good.secret, gone.secret]\n";
  const std::string file = w.config_path().string();
  const std::vector<std::string> expected{
      file + ": no API key: looked in $CREDENTIALS_DIRECTORY/fj-api-key (not set), " +
          (w.dir / "api-key").string() + " (No such file or directory), $FJ_API_KEY (not set)",
      file + ":23:18: actions[1].secret_file: action \"missing-file\": " +
          (w.dir / "nothere.secret").string() + ": cannot read: No such file or directory",
      file + ":27:17: actions[2].secret_env: action \"unset-var\": $FJW_TEST_UNSET is not set",
      file + ":31:18: actions[3].secret_file: action \"too-short\": " +
          (w.dir / "short.secret").string() + ": webhook secret is 8 bytes; it must be 24 to 64",
      file + ":35:32: actions[4].secret_file[1]: action \"rotating\": " +
          (w.dir / "gone.secret").string() + ": cannot read: No such file or directory",
  };
  const auto check = run_cli(w, {"check"});
  BOOST_TEST(check.code == 78);
  BOOST_TEST(check.err == expected, boost::test_tools::per_element());
  BOOST_TEST(check.out.find("problems found") != std::string::npos, check.out);
  const auto run = run_cli(w, {"run"});
  BOOST_TEST(run.code == 78);
  BOOST_TEST(run.err == expected, boost::test_tools::per_element());
  for (const auto* out : {&check, &run}) {
    const auto all = joined(out->err) + out->out;
    BOOST_TEST(all.find("dG9vc2hvcnQ") == std::string::npos);
    BOOST_TEST(all.find(std::string(hook_secret).substr(6)) == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_files)

// A truncated or emptied config must not start a daemon on built-in defaults.
BOOST_AUTO_TEST_CASE(a_config_with_no_settings_is_refused) {
  workspace w;
  for (const std::string text : {"", "# fjwatch.yaml\n# everything commented out\n"}) {
    BOOST_TEST_CONTEXT("config \"" << text << "\"") {
      w.dir.write("empty.yaml", text);
      const std::string path = (w.dir / "empty.yaml").string();
      for (const std::string command : {"check", "run"}) {
        const auto out = t::run_to_end({command, "-c", path}, w.dir.path());
        BOOST_TEST(out.code == 78);
        BOOST_TEST(out.err == std::vector<std::string>{path + ":1:1: no settings: the file is "
                                                              "empty or holds only comments (write "
                                                              "{} to run on every default)"},
                   boost::test_tools::per_element());
      }
    }
  }
}

// What a config file holds reaches stderr escaped: a NUL as \0, no raw control byte, no bidi
// control.
BOOST_AUTO_TEST_CASE(no_raw_control_byte_reaches_stderr) {
  workspace w;
  using namespace std::string_literals;
  w.dir.write("bad.yaml",
              "poll:\n  interval: \"5\0s\"\n\"\x1b[2Jx\xe2\x80\xae\": 1\n"
              "log: {level: \"a\x07\x9b\"}\n"s);
  const auto out = t::run_to_end({"check", "-c", (w.dir / "bad.yaml").string()}, w.dir.path());
  BOOST_TEST(out.code == 78);
  const auto err = joined(out.err);
  BOOST_TEST(err.find(R"(got "5\0s")") != std::string::npos, err);
  BOOST_TEST(err.find(R"(\x1b[2Jx\u202e: unknown key)") != std::string::npos, err);
  BOOST_TEST(err.find(R"(got "a\x07\x9b")") != std::string::npos, err);
  for (const unsigned char ch : err) {
    BOOST_TEST((ch >= 0x20 || ch == '\n'), "raw byte " << int(ch));
  }
  BOOST_TEST(err.find("\xe2\x80\xae") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
