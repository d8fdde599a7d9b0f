#include <boost/test/unit_test.hpp>

#include "fjwatch/watchlist/watch_list.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"
#include "fjwatch/store/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using t::rig;
using t::run_cli;
using t::tail;
using t::workspace;

// A session id (24 lowercase hex), distinct for each n.
std::string hex_id(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6a0c%020x", n);
  return buf;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, p);
  return st.st_mode & 07777;
}

// The ids the daemon's loader reads from the file.
std::vector<std::string> ids_in(const fs::path& file) {
  const auto load = fjwatch::load_watch_list(file, {"journal"});
  BOOST_TEST(load.usable);
  std::vector<std::string> out;
  for (const auto& e : load.list.entries) out.emplace_back(e.id.view());
  return out;
}

// Every file in dir, by name.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// `text` with every "{dir}" replaced by `dir`.
std::string expand(std::string text, const fs::path& dir) {
  for (auto at = text.find("{dir}"); at != std::string::npos; at = text.find("{dir}", at)) {
    text.replace(at, 5, dir.string());
  }
  return text;
}

const std::string commented = "# my sessions\n\nsessions:  # the list\n  # first one\n  - " +
                              hex_id(1) + "   # ok\n\n  # second\n  - id: " + hex_id(2) +
                              "\n    label: 'Team A'\n\n# footer\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(editing)

BOOST_AUTO_TEST_CASE(exit_codes_and_messages) {
  struct row {
    std::string name;
    std::vector<std::string> args;
    int code;
    std::string out;
    std::vector<std::string> err;
    bool writes;  // the watch list changes
  };
  const std::string a = hex_id(1), b = hex_id(2), c = hex_id(3), wl = "{dir}/watchlist.yaml";
  const std::string add_usage =
      "usage: fjwatch add ID... [-c FILE] [--label TEXT] [--action NAME]... [--wait DURATION]";
  const std::vector<row> rows{
      {"add a new id", {"add", c}, 0, "added " + c + " to " + wl + "\n", {}, true},
      {"add, one already there",
       {"add", a, c},
       0,
       "added " + c + " to " + wl + "\n",
       {a + " is already in " + wl},
       true},
      {"add, all already there", {"add", a}, 0, "", {a + " is already in " + wl}, false},
      {"add a bad id among good ones",
       {"add", c, "6a0c-not-hex"},
       65,
       "",
       {"fjwatch add: \"6a0c-not-hex\" is not a session id (expected 24 hex characters)"},
       false},
      {"add with an unknown action",
       {"add", c, "--action", "journal", "--action", "pager"},
       65,
       "",
       {"fjwatch add: --action \"pager\": no such action in {dir}/fjwatch.yaml (it has: journal)"},
       false},
      {"add a label that is not UTF-8",
       {"add", c, "--label", "bad \xff"},
       65,
       "",
       {"fjwatch add: --label: not valid UTF-8"},
       false},
      {"add without ids",
       {"add"},
       64,
       "",
       {"fjwatch add: needs at least one session ID", add_usage},
       false},
      {"add --label with no text",
       {"add", c, "--label", ""},
       64,
       "",
       {"fjwatch add: --label needs a text", add_usage},
       false},
      {"add --wait garbage",
       {"add", c, "--wait", "soon"},
       64,
       "",
       {"fjwatch add: --wait needs a duration like 10s, got \"soon\"", add_usage},
       false},
      {"add --json",
       {"add", c, "--json"},
       64,
       "",
       {"fjwatch add: unknown option --json", add_usage},
       false},
      {"remove one", {"remove", b}, 0, "removed " + b + " from " + wl + "\n", {}, true},
      {"remove one there, one not",
       {"remove", c, a},
       0,
       "removed " + a + " from " + wl + "\n",
       {c + " is not in " + wl},
       true},
      {"remove none there", {"remove", c}, 1, "", {c + " is not in " + wl}, false},
      {"remove a bad id",
       {"remove", "xyz"},
       65,
       "",
       {"fjwatch remove: \"xyz\" is not a session id (expected 24 hex characters)"},
       false},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      workspace w;
      const auto file = w.dir.write("watchlist.yaml", commented);
      const auto f = run_cli(w, r.args);
      BOOST_TEST(f.code == r.code);
      BOOST_TEST(f.out == expand(r.out, w.dir.path()));
      std::vector<std::string> want;
      for (const auto& l : r.err) want.push_back(expand(l, w.dir.path()));
      BOOST_TEST(f.err == want, boost::test_tools::per_element());
      BOOST_TEST((t::read_all(file) != commented) == r.writes);
    }
  }
}

BOOST_AUTO_TEST_CASE(keeps_comments_mode_and_leaves_no_temp_file) {
  workspace w;
  const auto file = w.dir.write("watchlist.yaml", commented);
  fs::permissions(file, fs::perms(0640));
  const auto added =
      run_cli(w, {"add", hex_id(3), "--label", "Pune: .NET #1", "--action", "journal"});
  BOOST_REQUIRE_EQUAL(added.code, 0);
  const std::string entry =
      "  - id: " + hex_id(3) + "\n    label: \"Pune: .NET #1\"\n    actions: [journal]\n";
  const auto footer = commented.find("\n# footer");
  BOOST_TEST(t::read_all(file) == commented.substr(0, footer) + entry + commented.substr(footer));
  BOOST_TEST(mode_of(file) == 0640u);
  BOOST_TEST(names_in(w.dir.path()) == (std::vector<std::string>{".watchlist.yaml.lock", "api-key",
                                                                 "fjwatch.yaml", "watchlist.yaml"}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(run_cli(w, {"remove", hex_id(3)}).code, 0);
  BOOST_TEST(t::read_all(file) == commented);
  BOOST_TEST(mode_of(file) == 0640u);
  if (::geteuid() != 0) return;  // only root can hand a file to another owner
  BOOST_REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  BOOST_REQUIRE_EQUAL(run_cli(w, {"add", hex_id(4)}).code, 0);
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST(st.st_uid == 65534u);
  BOOST_TEST(st.st_gid == 65534u);
}

// prune removes the entries whose sessions ended (done and stopped, not found, timed out) more
// than --older-than ago, as the database has them, keeping the file's comments; a session still
// active, one that ended recently and one the daemon never saw stay.
BOOST_AUTO_TEST_CASE(prune_removes_sessions_that_ended_long_enough_ago) {
  workspace w;
  const auto file = w.dir.write("watchlist.yaml", commented);
  for (unsigned n : {3u, 4u, 5u}) BOOST_REQUIRE_EQUAL(run_cli(w, {"add", hex_id(n)}).code, 0);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t day = 24 * 3600 * 1000;
  {
    fjwatch::store db(w.dir / "state");
    const auto row = [&](unsigned n, fjwatch::session_phase phase, std::int64_t ago) {
      fjwatch::session_row r{.id = hex_id(n), .first_seen_ms = now - 20 * day};
      r.waiting_since_ms = r.first_seen_ms;
      r.last_change_ms = now - ago;
      r.phase = phase;
      db.commit(r, {});
    };
    row(1, fjwatch::session_phase::done_stopped, 10 * day);
    row(2, fjwatch::session_phase::not_found, day / 24);
    row(3, fjwatch::session_phase::active, 10 * day);
    row(4, fjwatch::session_phase::timed_out, 8 * day);
  }
  const auto pruned = run_cli(w, {"prune"});
  BOOST_TEST(pruned.code == 0);
  BOOST_TEST(pruned.out == "removed " + hex_id(1) + " from " + file.string() + "\nremoved " +
                               hex_id(4) + " from " + file.string() + "\n");
  BOOST_TEST(ids_in(file) == (std::vector<std::string>{hex_id(2), hex_id(3), hex_id(5)}),
             boost::test_tools::per_element());
  BOOST_TEST(t::read_all(file).starts_with("# my sessions\n"));
  BOOST_TEST(t::read_all(file).find("# footer") != std::string::npos);
  const auto recent = run_cli(w, {"prune", "--older-than", "30m"});
  BOOST_TEST(recent.code == 0);
  BOOST_TEST(ids_in(file) == (std::vector<std::string>{hex_id(3), hex_id(5)}),
             boost::test_tools::per_element());
  const auto none = run_cli(w, {"prune"});
  BOOST_TEST(none.code == 0);
  BOOST_TEST(none.out == "nothing to prune in " + file.string() + "\n");
  BOOST_TEST(run_cli(w, {"prune", "extra"}).code == 64);
  BOOST_TEST(run_cli(w, {"prune", "--older-than", "soon"}).code == 64);
}

BOOST_AUTO_TEST_CASE(refuses_a_watch_list_that_does_not_parse) {
  workspace w;
  const std::string broken = "sessions:\n  - [" + hex_id(1) + "\n";
  const auto file = w.dir.write("watchlist.yaml", broken);
  const auto f = run_cli(w, {"add", hex_id(2)});
  BOOST_TEST(f.code == 78);
  BOOST_TEST(
      f.err ==
          (std::vector<std::string>{
              expand("{dir}/watchlist.yaml:3:1: YAML syntax error: end of sequence flow not found",
                     w.dir.path()),
              "fjwatch add: the watch list does not parse; fix it first (nothing was changed)"}),
      boost::test_tools::per_element());
  BOOST_TEST(t::read_all(file) == broken);
}

BOOST_AUTO_TEST_CASE(creates_a_missing_file_and_edits_through_a_symlink) {
  workspace w;
  fs::remove(w.dir / "watchlist.yaml");
  const auto f = run_cli(w, {"add", hex_id(1)});
  BOOST_TEST(f.code == 0);
  BOOST_TEST(t::read_all(w.dir / "watchlist.yaml") == "sessions:\n  - " + hex_id(1) + "\n");
  fs::create_directories(w.dir / "lists");
  fs::rename(w.dir / "watchlist.yaml", w.dir / "lists/real.yaml");
  fs::create_symlink("lists/real.yaml", w.dir / "watchlist.yaml");
  BOOST_REQUIRE_EQUAL(run_cli(w, {"add", hex_id(2)}).code, 0);
  BOOST_TEST(fs::is_symlink(w.dir / "watchlist.yaml"));
  BOOST_TEST(ids_in(w.dir / "lists/real.yaml") == (std::vector<std::string>{hex_id(1), hex_id(2)}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_held_lock_makes_it_wait_then_give_up_with_75) {
  workspace w;
  const auto file = w.dir.write("watchlist.yaml", commented);
  const int fd =
      ::open((w.dir / ".watchlist.yaml.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(::flock(fd, LOCK_EX) == 0);
  const auto start = std::chrono::steady_clock::now();
  const auto f = run_cli(w, {"add", hex_id(3), "--wait", "300ms"});
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(f.code == 75);
  BOOST_TEST(f.err == std::vector<std::string>{expand(
                          "fjwatch add: another edit of {dir}/watchlist.yaml held its lock "
                          "{dir}/.watchlist.yaml.lock for 300ms; try again",
                          w.dir.path())},
             boost::test_tools::per_element());
  BOOST_TEST(took >= 300ms);
  BOOST_TEST(t::read_all(file) == commented);
  ::close(fd);  // releases the lock
  BOOST_TEST(run_cli(w, {"add", hex_id(3), "--wait", "300ms"}).code == 0);
}

// 20 processes each add their own id to the same file at once: the lock serialises them.
BOOST_AUTO_TEST_CASE(twenty_concurrent_adds_all_land) {
  workspace w;
  const auto file = w.dir.write("watchlist.yaml", commented);
  fs::permissions(file, fs::perms(0604));
  w.dir.write("fjwatch.yaml", t::config_yaml(w.cfg));
  std::vector<std::unique_ptr<t::child_process>> children;
  std::vector<std::string> want{hex_id(1), hex_id(2)};
  for (unsigned i = 0; i < 20; ++i) {
    want.push_back(hex_id(100 + i));
    children.push_back(
        t::spawn_fjwatch({"add", want.back(), "-c", w.config_path().string()}, w.dir.path()));
  }
  for (auto& c : children) {
    BOOST_TEST(c->wait_exit(30s).value_or(-1) == 0, c->err_text());
  }
  auto got = ids_in(file);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  BOOST_TEST(got == want, boost::test_tools::per_element());
  const std::string text = t::read_all(file);
  BOOST_TEST(text.starts_with(commented.substr(0, commented.find("\n# footer"))));
  BOOST_TEST(text.ends_with("\n# footer\n"));
  BOOST_TEST(mode_of(file) == 0604u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(with_the_daemon)

// True when the text log line is at level warn or error.
bool is_problem(std::string_view line) {
  const auto first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const auto level = line.substr(first + 1, line.find(' ', first + 1) - first - 1);
  return level == "warn" || level == "error";
}

// The running daemon sees `fjwatch add` and `fjwatch remove` within a second; `list` then joins
// the entries with what the daemon recorded.
BOOST_AUTO_TEST_CASE(the_daemon_follows_edits_and_list_shows_its_state) {
  rig r;
  const auto quick = hex_id(500), slow = hex_id(501);
  r.api->add_session(sim::done_after(quick, 0ms));
  r.api->add_session(sim::done_after(slow, 1h));
  auto c = r.start_ready();
  const auto loaded_with = [&](std::string_view key, std::size_t from) {
    return c->wait_for_line(
        [&](auto l) { return t::is_event(l, "watchlist.loaded") && t::log_field(l, key) == "1"; },
        1s, from);
  };

  auto from = c->err_line_count();
  BOOST_REQUIRE_EQUAL(run_cli(r, {"add", quick, "--label", "Quick one"}).code, 0);
  const auto added_at = std::chrono::steady_clock::now();
  BOOST_TEST(loaded_with("added", from).has_value(), "no reload within 1 s of add:" << tail(*c));
  BOOST_TEST_MESSAGE("reload seen " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - added_at)
                                           .count()
                                    << " ms after fjwatch add exited");
  const auto done = c->wait_for_line(
      [&](auto l) {
        return t::is_event(l, "action.log") &&
               t::log_field(l, "event_id") == "fjw_" + quick + "_done_0";
      },
      10s, from);
  BOOST_TEST(done.has_value(), "no done event logged:" << tail(*c));

  from = c->err_line_count();
  BOOST_REQUIRE_EQUAL(run_cli(r, {"add", slow}).code, 0);
  BOOST_TEST(t::wait_until([&] { return r.api->polls_of(slow) >= 2; }, 10s),
             "the added session was never polled");
  from = c->err_line_count();
  BOOST_REQUIRE_EQUAL(run_cli(r, {"remove", slow}).code, 0);
  BOOST_TEST(loaded_with("removed", from).has_value(),
             "no reload within 1 s of remove:" << tail(*c));
  const auto polls = r.api->polls_of(slow);  // one poll may still have been in flight
  BOOST_TEST(!t::wait_until([&] { return r.api->polls_of(slow) > polls + 1; }, 1500ms),
             "a removed session was still polled");

  const auto json = run_cli(r, {"list", "--json"});
  BOOST_TEST(json.code == 0);
  const auto rows = boost::json::parse(json.out).as_array();
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  const auto& row = rows[0].as_object();
  BOOST_TEST(row.at("id").as_string() == quick);
  BOOST_TEST(row.at("label").as_string() == "Quick one");
  BOOST_TEST(row.at("actions").as_array().size() == 1u);
  BOOST_TEST(row.at("default_actions").as_bool());
  BOOST_TEST(row.at("status").as_string() == "done");
  BOOST_TEST(row.at("phase").as_string() == "done_stopped");
  BOOST_TEST(row.at("matched").as_int64() == 25);
  BOOST_TEST(row.at("done_events").as_int64() == 1);
  BOOST_TEST(row.at("last_change").is_string());

  BOOST_TEST(t::terminate(*c) == 0);
  std::vector<std::string> problems;
  for (const auto& l : c->err_lines()) {
    if (is_problem(l)) problems.push_back(l);
  }
  BOOST_TEST(problems.empty(), "the daemon logged problems:" << tail(*c));

  const auto table = run_cli(r, {"list"});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(
      table.out.find(quick + "  Quick one  journal (default)  done    25/") != std::string::npos,
      table.out);
  BOOST_TEST(table.out.find("done_stopped") != std::string::npos, table.out);
}

// One rule decides an entry's actions: with no defaults section every action is its default, and
// `list` shows what the daemon delivers to.
BOOST_AUTO_TEST_CASE(list_and_the_daemon_agree_on_an_entrys_actions) {
  rig r;
  const auto id = hex_id(510);
  r.api->add_session(sim::done_after(id, 0ms));
  r.cfg.no_defaults = true;
  r.cfg.more_actions = "  - name: audit\n    type: log\n    on: [session.done]\n";
  r.watch({id});
  auto c = r.start_ready();
  const std::string event = "fjw_" + id + "_done_0";
  BOOST_TEST(c->wait_for(
                 [&](const auto& lines, bool) {
                   int n = 0;
                   for (const auto& l : lines)
                     n += t::is_event(l, "action.log") && t::log_field(l, "event_id") == event;
                   return n == 2;
                 },
                 10s),
             "not delivered to both actions:" << tail(*c));
  BOOST_TEST(t::terminate(*c) == 0);
  const auto json = run_cli(r, {"list", "--json"});
  BOOST_TEST_REQUIRE(json.code == 0);
  const auto listing = boost::json::parse(json.out);
  const auto& row = listing.as_array().at(0).as_object();
  std::vector<std::string> listed;
  for (const auto& a : row.at("actions").as_array()) listed.emplace_back(a.as_string());
  BOOST_TEST(listed == (std::vector<std::string>{"journal", "audit"}),
             boost::test_tools::per_element());
  BOOST_TEST(row.at("default_actions").as_bool());
  const auto deliveries = run_cli(r, {"deliveries", "--json"});
  std::vector<std::string> delivered;
  const auto outbox = boost::json::parse(deliveries.out);
  for (const auto& d : outbox.as_array()) {
    if (d.at("event_id").as_string() == event) delivered.emplace_back(d.at("action").as_string());
  }
  std::sort(delivered.begin(), delivered.end());
  BOOST_TEST(delivered == (std::vector<std::string>{"audit", "journal"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(list_without_a_database_shows_dashes_and_creates_nothing) {
  workspace w;
  w.dir.write("watchlist.yaml",
              "sessions:\n  - " + hex_id(7) + "\n  - id: " + hex_id(8) + "\n    actions: []\n");
  const auto f = run_cli(w, {"list"});
  BOOST_TEST(f.code == 0);
  BOOST_TEST(
      f.out ==
      "ID                        LABEL  ACTIONS            STATUS  MATCHED  PHASE  LAST CHANGE  "
      "DONE\n" +
          hex_id(7) + "  -      journal (default)  -       -        -      -            -\n" +
          hex_id(8) + "  -      none               -       -        -      -            -\n");
  BOOST_TEST(f.err == std::vector<std::string>{expand(
                          "no database at {dir}/state/fjwatch.db yet: the daemon has not run",
                          w.dir.path())},
             boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(w.dir / "state"));
  w.dir.write("watchlist.yaml", "sessions: []\n");
  const auto empty = run_cli(w, {"list", "--json"});
  BOOST_TEST(empty.out == "[]\n");
  BOOST_TEST(empty.err.empty());
  w.dir.write("watchlist.yaml", "sessions: 12\n");
  const auto broken = run_cli(w, {"list"});
  BOOST_TEST(broken.code == 78);
  BOOST_TEST(broken.out == "");
  BOOST_TEST(broken.err == std::vector<std::string>{expand(
                               "{dir}/watchlist.yaml:1:11: sessions: expected a list of "
                               "entries, found a string",
                               w.dir.path())},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
