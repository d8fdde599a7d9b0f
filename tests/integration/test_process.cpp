#define BOOST_TEST_MODULE integration_process
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "harness.hpp"
#include "process.hpp"

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::child_process;
using t::count_field;
using t::key_sources;
using t::place_keys;
using t::rig;
using t::run_to_end;
using t::sim_options;
using t::spawn_fjwatch;
using t::tail;
using t::terminate;
using t::workspace;

constexpr std::string_view api_key = t::test_api_key;

// A session id (24 lowercase hex), distinct for each n.
std::string hex_id(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6a0b%020x", n);
  return buf;
}

std::string done_event(const std::string& id) { return "fjw_" + id + "_done_0"; }

// `text` with every "{dir}" replaced by `dir`.
std::string expand(std::string text, const fs::path& dir) {
  for (auto at = text.find("{dir}"); at != std::string::npos; at = text.find("{dir}", at)) {
    text.replace(at, 5, dir.string());
  }
  return text;
}

// Lines showing that the daemon handled an answer to a poll.
int answers(const std::vector<std::string>& lines) {
  int n = 0;
  for (const auto& l : lines) {
    for (const auto* e : {"session.status", "poll.ok", "poll.failed", "api.unauthorized"}) {
      n += t::is_event(l, e) ? 1 : 0;
    }
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(check_command)

BOOST_AUTO_TEST_CASE(prints_every_problem_with_its_position_and_exit_code) {
  struct row {
    std::string name;
    std::string config;  // "" means a good config
    std::string watchlist;
    int code;
    std::vector<std::string> err;  // exact stderr lines
    std::string out;               // exact stdout
  };
  const std::string ids = "sessions:\n  - " + hex_id(1) + "\n  - " + hex_id(2) + "\n";
  const std::vector<row> rows{
      {"three config errors",
       "api:\n  base_url: http://api.example.com\n  timeout: 5 parsecs\npoll:\n  intervall: 5s\n",
       ids,
       78,
       {"{dir}/fjwatch.yaml:2:13: api.base_url: must be https (set api.allow_insecure_http: true "
        "to allow http)",
        "{dir}/fjwatch.yaml:3:12: api.timeout: expected a duration like 5s, got \"5 parsecs\"",
        "{dir}/fjwatch.yaml:5:3: poll.intervall: unknown key (did you mean \"interval\"?)"},
       ""},
      {"good config and watch list",
       "",
       ids,
       0,
       {},
       "api key: found\n{dir}/fjwatch.yaml: ok (1 actions, 2 sessions in {dir}/watchlist.yaml)\n"},
      {"a bad watch list entry",
       "",
       "sessions:\n  - " + hex_id(1) + "\n  - not-an-id\n  - " + hex_id(2) + "\n",
       78,
       {"{dir}/watchlist.yaml:3:5: sessions[1]: \"not-an-id\" is not a session id (expected 24 hex "
        "characters)"},
       "api key: found\n{dir}/fjwatch.yaml: problems found (1 actions, 2 sessions in "
       "{dir}/watchlist.yaml)\n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      workspace w;
      w.dir.write("fjwatch.yaml", r.config.empty() ? t::config_yaml(w.cfg) : r.config);
      w.dir.write("watchlist.yaml", r.watchlist);
      const auto f = run_to_end({"check", "-c", w.config_path().string()}, w.dir.path());
      std::vector<std::string> want;
      for (const auto& l : r.err) want.push_back(expand(l, w.dir.path()));
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.err == want, boost::test_tools::per_element());
      BOOST_TEST(f.out == expand(r.out, w.dir.path()));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_key_sources)

BOOST_AUTO_TEST_CASE(run_without_a_key_names_all_three_places) {
  struct row {
    std::string name;
    key_sources keys;
    std::string looked;
  };
  const std::vector<row> rows{
      {"nothing anywhere",
       {},
       "$CREDENTIALS_DIRECTORY/fj-api-key (not set), {dir}/api-key (No such file or directory), "
       "$FJ_API_KEY (not set)"},
      {"all three empty",
       {"", " \n", ""},
       "{dir}/creds/fj-api-key (empty), {dir}/api-key (empty), $FJ_API_KEY (empty)"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      workspace w;
      const auto env = place_keys(w, r.keys);
      w.dir.write("fjwatch.yaml", t::config_yaml(w.cfg));
      const auto f = run_to_end({"run", "-c", w.config_path().string()}, w.dir.path(), env);
      BOOST_TEST(f.code == 78);
      const std::vector<std::string> want{
          expand("{dir}/fjwatch.yaml: no API key: looked in " + r.looked, w.dir.path())};
      BOOST_TEST(f.err == want, boost::test_tools::per_element());
      BOOST_TEST(f.out == "");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_sim_accepts_the_key_that_takes_precedence) {
  const std::string cred = "fjk_from_credentials_1111", file = "fjk_from_file_2222",
                    env = "fjk_from_env_3333";
  struct row {
    std::string name;
    key_sources keys;
    std::string winner;
  };
  const std::vector<row> rows{
      {"credential over file and env", {cred + "\n", file + "\n", env}, cred},
      {"file over env", {std::nullopt, file + "\n", env}, file},
      {"env when it is the only one", {std::nullopt, std::nullopt, env}, env},
      {"an empty credential falls through to the file", {"\n", file, env}, file},
      {"an empty file falls through to env", {std::nullopt, "", env}, env},
  };
  rig r;
  const auto id = hex_id(7);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  int n = 0;
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      r.api->set_api_key(row.winner);
      r.cfg.state_dir = "state-" + std::to_string(n++);
      const auto rejected_before = r.api->snapshot().unauthorized_401;
      auto c = r.start(place_keys(r, row.keys));
      const auto line = c->wait_for_line(
          [](auto l) { return t::is_event(l, "action.log") || t::is_event(l, "api.unauthorized"); },
          15s);
      BOOST_REQUIRE_MESSAGE(line, "neither action.log nor api.unauthorized:" << tail(*c));
      BOOST_TEST(t::is_event(*line, "action.log"), *line);
      BOOST_TEST(r.api->snapshot().unauthorized_401 == rejected_before);
      BOOST_TEST(terminate(*c) == 0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signals)

BOOST_AUTO_TEST_CASE(stop_signal_with_polls_in_flight_exits_0_within_2s) {
  for (const int signo : {SIGTERM, SIGINT}) {
    BOOST_TEST_CONTEXT("signal " << signo) {
      rig r(sim_options(3s));
      std::vector<std::string> ids;
      for (unsigned i = 0; i < 50; ++i) {
        ids.push_back(hex_id(100 + i));
        r.api->add_session(sim::done_after(ids.back(), 1h));
      }
      r.watch(ids);
      r.cfg.max_in_flight = 50;
      auto c = r.start_ready();
      // The simulator counts a request when it has read it; an answer reaches the daemon 3 s
      // later, and the daemon logs session.status on the first one: until then all 50 are out.
      const bool sent = t::wait_until([&] { return r.api->snapshot().requests >= 50; }, 15s);
      BOOST_REQUIRE_MESSAGE(sent, "50 polls were never sent:" << tail(*c));
      BOOST_REQUIRE_EQUAL(answers(c->err_lines()), 0);
      const auto t0 = std::chrono::steady_clock::now();
      c->send_signal(signo);
      const auto code = c->wait_exit(10s);
      const auto took = std::chrono::steady_clock::now() - t0;
      BOOST_TEST(code.value_or(-1) == 0, tail(*c));
      BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 2000);
      BOOST_TEST(answers(c->err_lines()) == 0);  // in-flight outcomes are dropped
      const auto stopping = count_field(c->err_lines(), "daemon.stopping", "signal");
      BOOST_TEST(stopping.size() == 1u);
      BOOST_TEST(stopping.count(signo == SIGTERM ? "SIGTERM" : "SIGINT") == 1u);
    }
  }
}

// The watch list is a symlink into a subdirectory: editing its target is invisible to the
// daemon's inotify watch on the symlink's directory, so only SIGHUP can bring the change in.
BOOST_AUTO_TEST_CASE(sighup_reloads_the_watch_list) {
  rig r;
  const auto first = hex_id(200), added = hex_id(201);
  r.api->add_session(sim::done_after(first, 1h));
  r.api->add_session(sim::done_after(added, 1h));
  fs::create_directories(r.dir / "lists");
  r.dir.write("lists/real.yaml", t::watchlist_yaml({first}));
  fs::create_symlink("lists/real.yaml", r.dir / "linked.yaml");
  r.cfg.watchlist = "linked.yaml";
  auto c = r.start_ready();
  r.dir.write("lists/real.yaml", t::watchlist_yaml({first, added}));
  const auto before = c->err_line_count();
  c->send_signal(SIGHUP);
  const auto reload =
      c->wait_for_line([](auto l) { return t::is_event(l, "daemon.reload"); }, 10s, before);
  BOOST_REQUIRE_MESSAGE(reload, "no daemon.reload:" << tail(*c));
  BOOST_TEST(t::log_field(*reload, "signal").value_or("") == "SIGHUP");
  const auto loaded = c->wait_for_line(
      [](auto l) { return t::is_event(l, "watchlist.loaded") && t::log_field(l, "added") == "1"; },
      10s, before);
  BOOST_TEST(loaded.has_value(), "no watchlist.loaded added=1 after SIGHUP:" << tail(*c));
  BOOST_TEST(t::wait_until([&] { return r.api->polls_of(added) > 0; }, 10s),
             "the added session was never polled");
  BOOST_TEST(terminate(*c) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Waits until action.log has named `want` distinct event ids (or stderr closed).
bool wait_for_actions(child_process& c, std::size_t want, std::chrono::milliseconds bound,
                      std::set<std::string>& seen) {
  std::size_t cursor = 0;
  return c.wait_for(
             [&](const std::vector<std::string>& lines, bool closed) {
               for (; cursor < lines.size(); ++cursor) {
                 if (!t::is_event(lines[cursor], "action.log")) continue;
                 if (auto id = t::log_field(lines[cursor], "event_id")) seen.insert(*id);
               }
               return seen.size() >= want || closed;
             },
             bound) &&
         seen.size() >= want;
}

// The ids whose count in `counts` is not exactly 1, as "id xN" (at most 5 of them).
std::string not_once(const std::vector<std::string>& ids, std::map<std::string, int> counts) {
  std::string out;
  int bad = 0;
  for (const auto& id : ids) {
    const int n = counts[done_event(id)];
    if (n != 1 && bad++ < 5) out += " " + done_event(id) + " x" + std::to_string(n);
  }
  return bad == 0 ? "" : std::to_string(bad) + " ids not seen exactly once:" + out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scale)

// The "done means": 1,000 sessions over TLS, each done fired once, none again on restart.
BOOST_AUTO_TEST_CASE(thousand_sessions_fire_once_and_never_again_after_restart) {
  rig r;
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 1000; ++i) ids.push_back(hex_id(1000 + i));
  r.watch(ids);
  r.cfg.rate = "2000/s";
  r.cfg.max_in_flight = 8;
  r.cfg.interval = "200ms";
  r.cfg.max_interval = "1s";
  for (unsigned i = 0; i < ids.size(); ++i) {
    r.api->add_session(sim::done_after(ids[i], std::chrono::milliseconds(i * 3000 / 999)));
  }
  {
    auto c = r.start();
    std::set<std::string> seen;
    const bool all = wait_for_actions(*c, ids.size(), 60s, seen);
    BOOST_TEST(all, seen.size() << " of 1000 action.log event ids within 60 s:" << tail(*c));
    BOOST_TEST(terminate(*c) == 0, tail(*c));
    const auto lines = c->err_lines();
    BOOST_TEST(not_once(ids, count_field(lines, "action.log", "event_id")) == "");
    BOOST_TEST(not_once(ids, count_field(lines, "session.done", "event_id")) == "");
    BOOST_TEST(count_field(lines, "action.log", "event_id").size() == ids.size());
  }
  // Restart on the same state: nothing is fired again. A sentinel added after daemon.ready
  // reaching done bounds the window in which a repeat would have shown.
  auto c = r.start_ready();
  const auto sentinel = hex_id(5000);
  r.api->add_session(sim::done_after(sentinel, 0ms));
  auto with_sentinel = ids;
  with_sentinel.push_back(sentinel);
  r.watch(with_sentinel);
  const auto line = c->wait_for_line(
      [&](auto l) {
        return t::is_event(l, "action.log") && t::log_field(l, "event_id") == done_event(sentinel);
      },
      20s);
  BOOST_TEST(line.has_value(), "the sentinel never reached done:" << tail(*c));
  BOOST_TEST(terminate(*c) == 0, tail(*c));
  const auto lines = c->err_lines();
  const auto actions = count_field(lines, "action.log", "event_id");
  const auto done = count_field(lines, "session.done", "event_id");
  BOOST_TEST(actions.size() == 1u);
  BOOST_TEST(actions.count(done_event(sentinel)) == 1u);
  BOOST_TEST(done.size() == 1u);
  BOOST_TEST(done.count(done_event(sentinel)) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

// 401 first (the simulator wants another key), then 503, malformed JSON and resets, at debug;
// one session's title holds the key, as if the API echoed it.
BOOST_AUTO_TEST_CASE(the_api_key_never_appears_in_output_or_cmdline) {
  auto o = sim_options();
  o.api_key = "fjk_the_other_key_000000";
  rig r(o);
  const std::vector<std::pair<std::string, sim::fault>> faulted{
      {hex_id(300), sim::fault::http_503},
      {hex_id(301), sim::fault::malformed_json},
      {hex_id(302), sim::fault::reset}};
  std::vector<std::string> ids{hex_id(303)};
  auto titled = sim::done_after(ids[0], 0ms);
  titled.title = "Engineer " + std::string(api_key);  // the API echoing the key: masked
  r.api->add_session(titled);
  for (const auto& [id, kind] : faulted) {
    auto s = sim::done_after(id, 0ms);
    s.fault_kind = kind;
    s.fault_polls = 2;
    r.api->add_session(s);
    ids.push_back(id);
  }
  r.watch(ids);
  r.cfg.level = "debug";
  auto c = r.start_ready();
  const auto unauthorized =
      c->wait_for_line([](auto l) { return t::is_event(l, "api.unauthorized"); }, 10s);
  BOOST_REQUIRE_MESSAGE(unauthorized, "no api.unauthorized:" << tail(*c));
  const auto proc = fs::path("/proc") / std::to_string(c->pid());
  BOOST_TEST(t::read_all(proc / "cmdline").find("fjwatch") != std::string::npos);
  BOOST_TEST(t::read_all(proc / "cmdline").find(api_key) == std::string::npos);
  BOOST_TEST(t::read_all(proc / "environ").find(api_key) == std::string::npos);
  r.api->set_api_key(std::string(api_key));
  const auto authorized =
      c->wait_for_line([](auto l) { return t::is_event(l, "api.authorized"); }, 15s);
  BOOST_TEST(authorized.has_value(), "no api.authorized:" << tail(*c));
  std::set<std::string> seen;
  BOOST_TEST(wait_for_actions(*c, ids.size(), 30s, seen), tail(*c));
  BOOST_TEST(terminate(*c) == 0, tail(*c));
  const auto failed = count_field(c->err_lines(), "poll.failed", "session");
  for (const auto& [id, kind] : faulted) {
    BOOST_TEST_CONTEXT(sim::to_string(kind)) { BOOST_TEST(failed.contains(id)); }
  }
  BOOST_TEST(c->err_text().find(api_key) == std::string::npos);
  BOOST_TEST(c->out_text().find(api_key) == std::string::npos);
  BOOST_TEST(c->err_text().find("debug poll.ok") != std::string::npos);  // debug lines were on
  BOOST_TEST(c->err_text().find("Engineer [redacted]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(check_never_prints_the_key) {
  const std::string key(api_key);
  struct row {
    std::string name;
    std::string api_line;  // added under `api:` ("" none)
    key_sources keys;
    int code;
  };
  const std::vector<row> rows{
      {"key from the file", "", {std::nullopt, key + "\n", std::nullopt}, 0},
      {"key from $FJ_API_KEY", "", {std::nullopt, std::nullopt, key}, 0},
      {"key from the credential", "", {key, std::nullopt, std::nullopt}, 0},
      {"key pasted as api_key_file", "  api_key_file: " + key + "\n", {}, 78},
      {"key pasted as a wrongly typed value",
       "  max_in_flight: " + key + "\n",
       {std::nullopt, key, std::nullopt},
       78},
      {"key under an unknown name", "  key: " + key + "\n", {std::nullopt, key, std::nullopt}, 78},
      {"key file with a space inside",
       "",
       {std::nullopt, key + " " + key + "\n", std::nullopt},
       78},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      workspace w;
      const auto env = place_keys(w, r.keys);
      std::string yaml = t::config_yaml(w.cfg);
      if (!r.api_line.empty()) yaml.insert(yaml.find("\n") + 1, r.api_line);
      w.dir.write("fjwatch.yaml", yaml);
      auto c = spawn_fjwatch({"check", "-c", w.config_path().string()}, w.dir.path(), env);
      BOOST_TEST(c->wait_exit(30s).value_or(-1) == r.code, c->err_text());
      BOOST_TEST(c->err_text().find(key) == std::string::npos, c->err_text());
      BOOST_TEST(c->out_text().find(key) == std::string::npos, c->out_text());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Starts fjwatch on a database holding `bytes`: exit 1, a message naming the file, bytes intact.
void expect_refused(const workspace& w, const std::string& bytes) {
  const fs::path db = w.dir / "state" / "fjwatch.db";
  fs::create_directories(db.parent_path());
  w.dir.write("state/fjwatch.db", bytes);
  auto c = w.start();
  const auto code = c->wait_exit(30s);
  BOOST_TEST(code.value_or(-1) == 1, tail(*c));
  const auto line =
      c->wait_for_line([](auto l) { return t::is_event(l, "daemon.start_failed"); }, 0ms);
  BOOST_REQUIRE_MESSAGE(line, "no daemon.start_failed:" << tail(*c));
  const auto reason = t::log_field(*line, "reason").value_or("");
  BOOST_TEST(reason.starts_with(db.string() + ": database failed its integrity check: "), reason);
  BOOST_TEST((t::read_all(db) == bytes), "the database file was changed");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(database)

BOOST_AUTO_TEST_CASE(garbage_file_is_refused_untouched) {
  workspace w;
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage += static_cast<char>('a' + (i * 7919) % 26);
  expect_refused(w, garbage);
}

BOOST_AUTO_TEST_CASE(damaged_page_is_refused_untouched) {
  workspace w;
  {
    auto c = w.start_ready();
    BOOST_REQUIRE_EQUAL(terminate(*c), 0);
  }
  const fs::path db = w.dir / "state" / "fjwatch.db";
  std::string bytes = t::read_all(db);
  BOOST_REQUIRE_MESSAGE(
      !fs::exists(db.string() + "-wal") || fs::file_size(db.string() + "-wal") == 0,
      "a clean stop left a WAL behind");
  BOOST_REQUIRE_GE(bytes.size(), 3u * 4096u);
  std::fill(bytes.begin() + 4096, bytes.begin() + 2 * 4096, '\xa5');
  expect_refused(w, bytes);
}

BOOST_AUTO_TEST_SUITE_END()
