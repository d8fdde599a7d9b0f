#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "fjwatch/store/store.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <span>
#include <tuple>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::child_process;
using t::count_field;
using t::done_event;
using t::hex_id;
using t::key_sources;
using t::place_keys;
using t::rig;
using t::run_cli;
using t::run_to_end;
using t::sim_options;
using t::spawn_fjwatch;
using t::tail;
using t::terminate;
using t::workspace;

constexpr std::string_view api_key = t::test_api_key;

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
      r.cfg.pipeline = 1;  // 50 connections, one poll on each
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
BOOST_AUTO_TEST_CASE(the_api_key_never_appears_in_output) {
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

// A key read from the file or from the systemd credential stays inside the daemon: it is in
// neither its command line nor its environment, while the daemon polls with it.
BOOST_AUTO_TEST_CASE(the_api_key_is_not_in_proc_cmdline_or_environ) {
  const std::string key(api_key);
  struct row {
    std::string name;
    key_sources keys;
    std::string env_holds;  // a variable the environment must show (so it was read at all)
  };
  const std::vector<row> rows{
      {"key file", {std::nullopt, key + "\n", std::nullopt}, "PATH="},
      {"systemd credential", {key + "\n", std::nullopt, std::nullopt}, "CREDENTIALS_DIRECTORY="},
  };
  rig r;
  const auto id = hex_id(310);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  int n = 0;
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      r.cfg.state_dir = "state-" + std::to_string(n++);
      const auto with_key_before = r.api->snapshot().requests_with_key;
      auto c = r.start(place_keys(r, row.keys));
      BOOST_REQUIRE_MESSAGE(c->wait_for_text({" action.log ", done_event(id)}, 15s),
                            "the session never fired:" << tail(*c));
      BOOST_TEST(r.api->snapshot().requests_with_key > with_key_before);
      const auto proc = fs::path("/proc") / std::to_string(c->pid());
      const auto cmdline = t::read_all(proc / "cmdline");
      const auto env_block = t::read_all(proc / "environ");
      BOOST_TEST(cmdline.find("fjwatch") != std::string::npos);
      BOOST_TEST(env_block.find(row.env_holds) != std::string::npos);
      BOOST_TEST(cmdline.find(key) == std::string::npos);
      BOOST_TEST(env_block.find(key) == std::string::npos);
      BOOST_TEST(terminate(*c) == 0);
    }
  }
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

namespace {

// The outbox seed_outbox() records: three sessions, one event each.
const std::string seed_s1 = hex_id(600), seed_s2 = hex_id(601), seed_s3 = hex_id(602);
const std::string seed_done = "fjw_" + seed_s1 + "_done_0";
const std::string seed_timeout = "fjw_" + seed_s2 + "_timeout_0";
const std::string seed_gone = "fjw_" + seed_s3 + "_not_found";
constexpr std::int64_t seed_t0 = 1609459200000;  // 2021-01-01T00:00:00Z

// Unix ms now, by the same clock the store and the CLI use.
std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Fills w's state directory, newest first: seed_done to journal delivered and to hook failed (both
// updated now, journal recorded last), seed_gone to hook failed then re-queued at t0+3m,
// seed_timeout to journal pending since t0+1m and never tried. The config gets the hook action.
void seed_outbox(workspace& w) {
  w.cfg.more_actions =
      "  - name: hook\n    type: webhook\n    url: https://127.0.0.1:9/hook\n"
      "    secret_file: hook.secret\n";
  fjwatch::store db(w.dir / "state");
  auto event = [](std::string id, fjwatch::event_type type, std::string sid, std::int64_t at,
                  std::vector<std::string> actions) {
    fjwatch::event_fields fields;
    fields.session_id = sid;
    return fjwatch::new_event{std::move(id),     type, std::move(sid), at, "{}", std::move(fields),
                              std::move(actions)};
  };
  const std::vector<std::tuple<std::string, std::string, fjwatch::new_event>> rows{
      {seed_s1, "done",
       event(seed_done, fjwatch::event_type::done, seed_s1, seed_t0, {"hook", "journal"})},
      {seed_s2, "timeout",
       event(seed_timeout, fjwatch::event_type::timeout, seed_s2, seed_t0 + 60'000, {"journal"})},
      {seed_s3, "gone",
       event(seed_gone, fjwatch::event_type::not_found, seed_s3, seed_t0 + 120'000, {"hook"})}};
  for (const auto& [sid, what, e] : rows) {
    fjwatch::session_row row;
    row.id = sid;
    row.first_seen_ms = row.waiting_since_ms = row.last_change_ms = seed_t0;
    BOOST_REQUIRE_MESSAGE(db.commit(row, std::span(&e, 1)).size() == 1u, what);
  }
  using fjwatch::delivery_state;
  const std::vector<fjwatch::attempt_record> attempts{
      {seed_done, "hook", delivery_state::failed, 0, "HTTP 410"},
      {seed_done, "journal", delivery_state::delivered, 0, "ok"},
      {seed_gone, "hook", delivery_state::failed, 0, "HTTP 503"}};
  db.record_attempts(attempts);
  BOOST_REQUIRE(db.redeliver(seed_gone, seed_t0 + 180'000) == 1u);
}

// "event_id/action" of each row of a `deliveries --json` answer.
std::vector<std::string> json_keys(const boost::json::value& v) {
  std::vector<std::string> out;
  for (const auto& row : v.as_array()) {
    out.push_back(std::string(row.at("event_id").as_string()) + "/" +
                  std::string(row.at("action").as_string()));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbox_commands)

BOOST_AUTO_TEST_CASE(deliveries_json_lists_newest_first_and_filters) {
  struct row {
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> keys;
    std::vector<std::string> err;
  };
  const std::string done_hook = seed_done + "/hook", done_journal = seed_done + "/journal",
                    gone = seed_gone + "/hook", timeout = seed_timeout + "/journal";
  const std::vector<row> rows{
      {"every state", {}, {done_journal, done_hook, gone, timeout}, {}},
      {"--failed", {"--failed"}, {done_hook}, {}},
      {"--pending", {"--pending"}, {gone, timeout}, {}},
      {"--failed --pending", {"--pending", "--failed"}, {done_hook, gone, timeout}, {}},
      {"--limit 2",
       {"--limit", "2"},
       {done_journal, done_hook},
       {"(the newest 2 shown; --limit N shows more)"}},
      {"--limit 4 (all of them)", {"--limit", "4"}, {done_journal, done_hook, gone, timeout}, {}},
      {"--pending --limit 1",
       {"--pending", "--limit", "1"},
       {gone},
       {"(the newest 1 shown; --limit N shows more)"}},
  };
  workspace w;
  seed_outbox(w);
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      auto args = r.args;
      args.insert(args.begin(), {"deliveries", "--json"});
      const auto f = run_cli(w, args);
      BOOST_TEST(f.code == 0);
      BOOST_TEST(f.err == r.err, boost::test_tools::per_element());
      BOOST_TEST(json_keys(boost::json::parse(f.out)) == r.keys, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(deliveries_json_holds_every_field) {
  workspace w;
  const auto before = wall_ms();
  seed_outbox(w);
  const auto after = wall_ms();
  const auto f = run_cli(w, {"deliveries", "--json"});
  BOOST_REQUIRE_EQUAL(f.code, 0);
  auto got = boost::json::parse(f.out).as_array();
  BOOST_REQUIRE_EQUAL(got.size(), 4u);
  for (const std::size_t i : {0u, 1u}) {  // updated by the store's clock while seeding
    const auto updated = got[i].at("updated_ms").as_int64();
    BOOST_TEST(updated >= before);
    BOOST_TEST(updated <= after);
    BOOST_TEST(got[i].as_object().erase("updated_ms") == 1u);
    BOOST_TEST(got[i].as_object().erase("updated") == 1u);
  }
  using obj = boost::json::object;
  const std::vector<obj> want{obj{{"event_id", seed_done},
                                  {"type", "session.done"},
                                  {"session_id", seed_s1},
                                  {"action", "journal"},
                                  {"state", "delivered"},
                                  {"attempts", 1},
                                  {"last_result", "ok"},
                                  {"next_attempt_ms", nullptr},
                                  {"next_attempt", nullptr}},
                              obj{{"event_id", seed_done},
                                  {"type", "session.done"},
                                  {"session_id", seed_s1},
                                  {"action", "hook"},
                                  {"state", "failed"},
                                  {"attempts", 1},
                                  {"last_result", "HTTP 410"},
                                  {"next_attempt_ms", nullptr},
                                  {"next_attempt", nullptr}},
                              obj{{"event_id", seed_gone},
                                  {"type", "session.not_found"},
                                  {"session_id", seed_s3},
                                  {"action", "hook"},
                                  {"state", "pending"},
                                  {"attempts", 0},
                                  {"last_result", "HTTP 503"},
                                  {"next_attempt_ms", 1609459380000},
                                  {"next_attempt", "2021-01-01T00:03:00.000Z"},
                                  {"updated_ms", 1609459380000},
                                  {"updated", "2021-01-01T00:03:00.000Z"}},
                              obj{{"event_id", seed_timeout},
                                  {"type", "session.timeout"},
                                  {"session_id", seed_s2},
                                  {"action", "journal"},
                                  {"state", "pending"},
                                  {"attempts", 0},
                                  {"last_result", ""},
                                  {"next_attempt_ms", 1609459260000},
                                  {"next_attempt", "2021-01-01T00:01:00.000Z"},
                                  {"updated_ms", 1609459260000},
                                  {"updated", "2021-01-01T00:01:00.000Z"}}};
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST_CONTEXT("row " << i) {
      BOOST_TEST((got[i] == want[i]), boost::json::serialize(got[i]));
    }
  }
}

BOOST_AUTO_TEST_CASE(deliveries_table_is_aligned_in_local_time) {
  workspace w;
  seed_outbox(w);
  const auto pending = run_cli(w, {"deliveries", "--pending"});
  BOOST_TEST(pending.code == 0);
  BOOST_TEST(pending.err.empty());
  BOOST_TEST(pending.out ==
             "EVENT                                   TYPE               SESSION                   "
             "ACTION   STATE    ATTEMPTS  LAST RESULT  NEXT ATTEMPT         UPDATED\n"
             "fjw_6a0b0000000000000000025a_not_found  session.not_found  6a0b0000000000000000025a  "
             "hook     pending  0         HTTP 503     2021-01-01 00:03:00  2021-01-01 00:03:00\n"
             "fjw_6a0b00000000000000000259_timeout_0  session.timeout    6a0b00000000000000000259  "
             "journal  pending  0         -            2021-01-01 00:01:00  2021-01-01 00:01:00\n");
  const auto failed = run_cli(w, {"deliveries", "--failed"});
  BOOST_TEST(failed.code == 0);
  BOOST_TEST(std::count(failed.out.begin(), failed.out.end(), '\n') == 2);
  BOOST_TEST(failed.out.starts_with(
                 "EVENT                                TYPE          SESSION                   "
                 "ACTION  STATE   ATTEMPTS  LAST RESULT  NEXT ATTEMPT  UPDATED\n" +
                 seed_done + "  session.done  " + seed_s1 +
                 "  hook    failed  1         HTTP 410     -             20"),
             failed.out);
  auto empty = run_cli(w, {"redeliver", seed_done});  // nothing failed any more
  BOOST_REQUIRE_EQUAL(empty.code, 0);
  empty = run_cli(w, {"deliveries", "--failed"});
  BOOST_TEST(empty.code == 0);
  BOOST_TEST(empty.out == "no failed deliveries\n");
}

// An action its receiver disabled (410 Gone): its pending rows show as held, with a notice; the
// enable command enables it once, then says there is nothing to do.
BOOST_AUTO_TEST_CASE(held_deliveries_show_and_enable_releases_them) {
  workspace w;
  seed_outbox(w);
  fjwatch::store(w.dir / "state")
      .disable_action({.action = "hook",
                       .since_ms = seed_t0,
                       .reason = "HTTP 410 Gone",
                       .target = "https://hooks.example/x"});
  const auto held = run_cli(w, {"deliveries", "--pending"});
  BOOST_TEST(held.code == 0);
  BOOST_TEST(held.out.find("hook     held     0         HTTP 503") != std::string::npos, held.out);
  BOOST_TEST(held.out.find("journal  pending") != std::string::npos, held.out);
  const std::vector<std::string> notice{
      "action hook is disabled (its receiver answered 410 Gone): its deliveries are held; "
      "`fjwatch enable hook` sends them"};
  BOOST_TEST(held.err == notice, boost::test_tools::per_element());
  const auto on = run_cli(w, {"enable", "hook"});
  BOOST_TEST(on.code == 0);
  BOOST_TEST(on.out == "enabled hook: the daemon sends its held deliveries within a few seconds\n");
  const auto again = run_cli(w, {"enable", "hook"});
  BOOST_TEST(again.code == 0);
  BOOST_TEST(again.out == "action hook is not disabled: nothing to do\n");
  const auto pending = run_cli(w, {"deliveries", "--pending"});
  BOOST_TEST(pending.out.find("hook     pending") != std::string::npos, pending.out);
  BOOST_TEST(pending.err.empty());
}

BOOST_AUTO_TEST_CASE(missing_database_is_an_empty_list_and_nothing_is_created) {
  struct row {
    std::vector<std::string> args;
    int code;
    std::string out;
  };
  const std::vector<row> rows{{{"deliveries"}, 0, ""},
                              {{"deliveries", "--json", "--failed"}, 0, "[]\n"},
                              {{"redeliver", seed_done}, 1, ""}};
  workspace w;
  const auto env = place_keys(w, {});  // no API key anywhere: neither command needs one
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.args.front() << " " << r.args.size()) {
      const auto f = run_cli(w, r.args, env);
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.out == r.out);
      const std::vector<std::string> want{"no database at " +
                                          (w.dir / "state" / "fjwatch.db").string() +
                                          " yet: the daemon has not run"};
      BOOST_TEST(f.err == want, boost::test_tools::per_element());
      BOOST_TEST(!fs::exists(w.dir / "state"));
    }
  }
}

BOOST_AUTO_TEST_CASE(usage_and_config_errors) {
  const std::string d_usage =
      "usage: fjwatch deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]";
  const std::string r_usage = "usage: fjwatch redeliver EVENT_ID [-c FILE] [--action NAME]";
  const std::string e_usage = "usage: fjwatch enable ACTION [-c FILE]";
  struct row {
    std::vector<std::string> args;
    int code;
    std::vector<std::string> err;
  };
  const std::vector<row> rows{
      {{"deliveries", "--bogus"}, 64, {"fjwatch deliveries: unknown option --bogus", d_usage}},
      {{"deliveries", "extra"}, 64, {"fjwatch deliveries: unexpected argument extra", d_usage}},
      {{"deliveries", "--limit"}, 64, {"fjwatch deliveries: --limit needs a number", d_usage}},
      {{"deliveries", "--limit", "0"},
       64,
       {"fjwatch deliveries: --limit needs a whole number from 1 to 1000000, got \"0\"", d_usage}},
      {{"deliveries", "--limit", "2x"},
       64,
       {"fjwatch deliveries: --limit needs a whole number from 1 to 1000000, got \"2x\"", d_usage}},
      {{"deliveries", "-c"}, 64, {"fjwatch deliveries: -c needs a file name", d_usage}},
      {{"redeliver"}, 64, {"fjwatch redeliver: needs an EVENT_ID", r_usage}},
      {{"redeliver", "a", "b"}, 64, {"fjwatch redeliver: unexpected argument b", r_usage}},
      {{"redeliver", "a", "--action"},
       64,
       {"fjwatch redeliver: --action needs an action name", r_usage}},
      {{"redeliver", "a", "--failed"}, 64, {"fjwatch redeliver: unknown option --failed", r_usage}},
      {{"enable"}, 64, {"fjwatch enable: needs an ACTION", e_usage}},
      {{"enable", "a", "b"}, 64, {"fjwatch enable: unexpected argument b", e_usage}},
      {{"enable", "--now"}, 64, {"fjwatch enable: unexpected argument --now", e_usage}},
      {{"deliveries", "-c", "{dir}/missing.yaml"},
       78,
       {"{dir}/missing.yaml: cannot read: No such file or directory"}},
      {{"redeliver", "a", "-c", "{dir}/missing.yaml"},
       78,
       {"{dir}/missing.yaml: cannot read: No such file or directory"}},
  };
  workspace w;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.args.back() << " (" << r.args.size() << " words)") {
      std::vector<std::string> args;
      for (const auto& a : r.args) args.push_back(expand(a, w.dir.path()));
      std::vector<std::string> want;
      for (const auto& l : r.err) want.push_back(expand(l, w.dir.path()));
      const auto f = run_to_end(args, w.dir.path());
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.err == want, boost::test_tools::per_element());
      BOOST_TEST(f.out == "");
    }
  }
}

BOOST_AUTO_TEST_CASE(redeliver_one_action_then_the_rest) {
  workspace w;
  seed_outbox(w);
  struct row {
    std::vector<std::string> args;
    int code;
    std::string out;
    std::vector<std::string> err;
  };
  const std::vector<row> rows{
      {{"redeliver", seed_done, "--action", "hook"},
       0,
       "re-queued 1 delivery of " + seed_done + " to hook, due now\n",
       {}},
      {{"redeliver", seed_done, "--action", "hook"},
       0,
       "nothing to re-queue: the delivery of " + seed_done + " to hook is already pending\n",
       {}},
      {{"redeliver", seed_done, "--action", "team"},
       1,
       "",
       {"fjwatch redeliver: event " + seed_done +
        " has no delivery to action \"team\" (it has: hook, journal)"}},
      {{"redeliver", seed_done}, 0, "re-queued 1 delivery of " + seed_done + ", due now\n", {}},
      {{"redeliver", seed_done},
       0,
       "nothing to re-queue: every delivery of " + seed_done + " is already pending\n",
       {}},
      {{"redeliver", "fjw_nope"}, 1, "", {"fjwatch redeliver: no event fjw_nope"}},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST_CONTEXT("row " << i) {
      const auto f = run_cli(w, rows[i].args);
      BOOST_TEST(f.code == rows[i].code);
      BOOST_TEST(f.out == rows[i].out);
      BOOST_TEST(f.err == rows[i].err, boost::test_tools::per_element());
    }
  }
  fjwatch::store db(w.dir / "state");
  const auto ds = db.deliveries_of(seed_done);
  BOOST_REQUIRE_EQUAL(ds.size(), 2u);
  for (const auto& d : ds) {
    BOOST_TEST_CONTEXT(d.action) {
      BOOST_TEST(to_string(d.state) == "pending");
      BOOST_TEST(d.attempts == 0);
    }
  }
  BOOST_TEST(ds[0].last_result == "HTTP 410");
  BOOST_TEST(ds[1].last_result == "ok");
}

// The real daemon records a done event and logs it; the CLI reads the outbox while it runs and
// re-queues the event after it stopped.
BOOST_AUTO_TEST_CASE(redeliver_after_a_daemon_run) {
  rig r;
  const auto id = hex_id(650);
  const auto event = done_event(id);
  r.api->add_session(sim::done_after(id, 0ms));
  r.watch({id});
  auto c = r.start_ready();
  const auto logged = c->wait_for_line(
      [&](auto l) { return t::is_event(l, "action.log") && t::log_field(l, "event_id") == event; },
      15s);
  BOOST_REQUIRE_MESSAGE(logged, "no action.log for " << event << ":" << tail(*c));
  std::string seen;
  const bool delivered = t::wait_until(
      [&] {
        const auto f = run_cli(r, {"deliveries", "--json"});
        seen = f.out;
        return f.code == 0 && f.out.find("\"state\":\"delivered\"") != std::string::npos;
      },
      15s);
  BOOST_TEST(delivered, "while the daemon runs, deliveries shows: " << seen);
  BOOST_REQUIRE_EQUAL(terminate(*c), 0);

  const auto table = run_cli(r, {"deliveries"});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(table.out.find(event + "  session.done  " + id + "  journal  delivered  1") !=
                 std::string::npos,
             table.out);
  const auto before = wall_ms();
  const auto f = run_cli(r, {"redeliver", event});
  const auto after = wall_ms();
  BOOST_TEST(f.code == 0);
  BOOST_TEST(f.out == "re-queued 1 delivery of " + event + ", due now\n");
  fjwatch::store db(r.dir / "state");
  const auto ds = db.deliveries_of(event);
  BOOST_REQUIRE_EQUAL(ds.size(), 1u);
  BOOST_TEST(ds[0].action == "journal");
  BOOST_TEST(to_string(ds[0].state) == "pending");
  BOOST_TEST(ds[0].attempts == 0);
  BOOST_TEST(ds[0].next_attempt_ms >= before);
  BOOST_TEST(ds[0].next_attempt_ms <= after);
  BOOST_TEST(ds[0].last_result == "ok");
  const auto unknown = run_cli(r, {"redeliver", done_event(hex_id(651))});
  BOOST_TEST(unknown.code == 1);
  BOOST_TEST(unknown.err ==
                 std::vector<std::string>{"fjwatch redeliver: no event " + done_event(hex_id(651))},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
