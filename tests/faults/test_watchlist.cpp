// The real daemon's watch list under abuse: 100,000 entries, binary garbage, a symlink loop,
// the file deleted and recreated, its permissions removed. Each is reported by a clear log line;
// the daemon keeps running, keeps the last good list when the new one cannot be read, and loses
// no session state (a session already done does not fire again). Level debug, and no secret in
// the output or the state afterwards.
#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>

#include "support/fault_checks.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;

// A rig whose watch list holds `done` (fires at once) and `running` (processing for an hour).
struct list_rig : t::rig {
  list_rig() {
    cfg.level = "debug";
    api->add_session(sim::done_after(done, 0ms));
    api->add_session(sim::done_after(running, 1h));
    api->add_session(sim::done_after(added, 1h));
    watch({done, running});
  }
  fs::path list() const { return dir / "watchlist.yaml"; }

  // Starts the daemon and waits until `done` fired and `running` was polled.
  std::unique_ptr<t::child_process> start_watching(std::optional<t::run_as> user = {}) {
    auto c = start_ready(t::base_env(), user);
    const auto fired = c->wait_for_text({" action.log ", t::done_event(done)}, 15s);
    BOOST_REQUIRE_MESSAGE(fired, "the done session never fired:" << t::tail(*c));
    BOOST_REQUIRE(t::wait_until([&] { return api->polls_of(running) > 0; }, 10s));
    return c;
  }

  // True when `running` is polled again within 10 s: the daemon still watches it.
  bool still_polled() {
    const auto before = api->polls_of(running);
    return t::wait_until([&] { return api->polls_of(running) > before; }, 10s);
  }

  // Writes a good list with `added` too, and waits for the daemon to take it.
  void recover(t::child_process& c) {
    const auto from = c.err_line_count();
    watch({done, running, added});
    const auto loaded = c.wait_for_line(
        [](auto l) {
          return t::is_event(l, "watchlist.loaded") && t::log_field(l, "added") == "1";
        },
        10s, from);
    BOOST_TEST(loaded.has_value(), "the good list was not taken:" << t::tail(c));
    BOOST_TEST(t::wait_until([&] { return api->polls_of(added) > 0; }, 10s));
  }

  // Stops the daemon, then checks what it kept: `done` fired once and is still done, `running`
  // is still active; no secret anywhere.
  void finish(t::child_process& c) {
    BOOST_TEST(t::terminate(c) == 0, t::tail(c));
    const auto fired = t::count_field(c.err_lines(), "session.done", "event_id");
    BOOST_TEST((fired == std::map<std::string, int>{{t::done_event(done), 1}}));
    const auto f = t::run_cli(*this, {"list", "--json"});
    BOOST_REQUIRE_EQUAL(f.code, 0);
    std::map<std::string, std::string> phase;
    const auto listed = boost::json::parse(f.out);
    for (const auto& e : listed.as_array()) {
      const auto& p = e.at("phase");
      phase[std::string(e.at("id").as_string())] = p.is_string() ? p.as_string().c_str() : "-";
    }
    BOOST_TEST(phase[done] == "done_stopped");
    BOOST_TEST(phase[running] == "active");
    t::expect_no_secrets(c, dir / "state");
  }

  const std::string done = t::hex_id(0x300), running = t::hex_id(0x301), added = t::hex_id(0x302);
};

// Waits (up to `bound`) for the line of `event` after line `from` and returns it; "" when none
// came.
std::string wait_event(t::child_process& c, std::string_view event, std::size_t from,
                       std::chrono::milliseconds bound = 10s) {
  return c.wait_for_line([&](auto l) { return t::is_event(l, event); }, bound, from).value_or("");
}

// How long 100,000 entries may take to load: 1.2 s in a release build, 4.6 s under ASan and
// 22 s under TSan on two cores, with room to spare.
#if defined(__SANITIZE_THREAD__)
constexpr auto big_list_bound = 50s;
#elif defined(__SANITIZE_ADDRESS__)
constexpr auto big_list_bound = 20s;
#else
constexpr auto big_list_bound = 10s;
#endif

// Replaces `link` with a symlink to `target` in one rename, as an editor would save a file.
void relink(const fs::path& link, const fs::path& target) {
  const auto tmp = link.string() + ".tmp~";
  fs::create_symlink(target, tmp);
  fs::rename(tmp, link);
}

// `nobody`, when the test runs as root and that user can reach `dir`: root reads any file
// whatever its mode, so a permission test must run the daemon as someone else. nullopt with the
// reason in `why` when that is not possible; nullopt with `why` empty when not root.
std::optional<t::run_as> unprivileged_user(const fs::path& dir, std::string& why) {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* pw = ::getpwnam("nobody");
  if (pw == nullptr) {
    why = "running as root and there is no user nobody to run the daemon as";
    return std::nullopt;
  }
  for (auto p = dir.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) {
      why = "running as root and nobody cannot enter " + p.string();
      return std::nullopt;
    }
  }
  return t::run_as{pw->pw_uid, pw->pw_gid};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(watch_list_faults)

// 100,000 entries load at the start, then an edit of one entry is applied to all of them.
BOOST_AUTO_TEST_CASE(hundred_thousand_entries) {
  list_rig r;
  r.cfg.rate = "2/s";  // the sessions are unknown to the API: keep the 404s few
  // `running` first: it is polled first, so the API answers at least one poll.
  std::string text = "sessions:\n  - " + r.running + "\n";
  text.reserve(32 * 100'000 + 16);
  for (unsigned i = 1; i < 100'000; ++i) text += "  - " + t::hex_id(0x10000 + i) + "\n";
  r.dir.replace("watchlist.yaml", text);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = r.start();
  BOOST_REQUIRE_MESSAGE(!wait_event(*c, "daemon.ready", 0, 60s).empty(),
                        "no daemon.ready within 60 s:" << t::tail(*c));
  const auto ready_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  const auto ready = t::lines_where(c->err_lines(), "daemon.ready", "sessions", "100000");
  BOOST_TEST(ready.size() == 1u, t::tail(*c));
  BOOST_TEST(ready_ms.count() < std::chrono::milliseconds(big_list_bound).count());
  BOOST_TEST(c->wait_for_text({" debug poll.ok ", r.running}, 10s).has_value());

  // Drop the second entry, add one: the diff finds exactly that.
  text.erase(text.find("  - ", text.find(r.running)), 29);
  text += "  - " + r.added + "\n";
  const auto from = c->err_line_count();
  const auto t1 = std::chrono::steady_clock::now();
  r.dir.replace("watchlist.yaml", text);
  const auto loaded = wait_event(*c, "watchlist.loaded", from, big_list_bound);
  const auto reload_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t1);
  BOOST_TEST(t::log_field(loaded, "sessions").value_or("") == "100000", loaded);
  BOOST_TEST(t::log_field(loaded, "added").value_or("") == "1", loaded);
  BOOST_TEST(t::log_field(loaded, "removed").value_or("") == "1", loaded);
  BOOST_TEST_MESSAGE("100,000 entries: ready after "
                     << ready_ms.count() << " ms, an edit applied after " << reload_ms.count()
                     << " ms");
  BOOST_TEST(t::terminate(*c) == 0, t::tail(*c));
  t::expect_no_secrets(*c, r.dir / "state");
}

// Binary garbage in place of the list: the position of the first problem is named, the last
// good list stays in force, and a good list after it is taken again.
BOOST_AUTO_TEST_CASE(binary_garbage_keeps_the_last_good_list) {
  struct row {
    std::string name;
    std::string bytes;
    std::string where;  // line:column
    std::string message;
  };
  // A good list cut off by binary; a PNG header followed by every byte value but 0, four times.
  std::string png = "\x89PNG\r\n\x1a\n";
  for (int round = 0; round < 4; ++round) {
    for (int b = 1; b < 256; ++b) png += static_cast<char>(b);
  }
  const std::vector<row> rows{
      {"NUL inside",
       "sessions:\n  - " + t::hex_id(0x300) + "\n  - \xff\xfe\x01" + std::string(1, '\0') +
           "\x9c\x80",
       "3:8", "NUL byte: expected UTF-8 text"},
      {"no NUL", png, "1:1", "expected a map with a \"sessions\" list, found a string"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) {
      list_rig r;
      auto c = r.start_watching();
      const auto from = c->err_line_count();
      r.dir.replace("watchlist.yaml", row.bytes);
      const auto problem = wait_event(*c, "watchlist.problem", from);
      BOOST_TEST(t::log_field(problem, "where").value_or("") == r.list().string() + ":" + row.where,
                 problem);
      BOOST_TEST(t::log_field(problem, "message").value_or("").starts_with(row.message), problem);
      const auto unusable = wait_event(*c, "watchlist.unusable", from);
      BOOST_TEST(t::log_field(unusable, "kept_sessions").value_or("") == "2", unusable);
      BOOST_TEST(r.still_polled());
      r.recover(*c);
      r.finish(*c);
    }
  }
}

// The watch list path is a symlink loop: at the start (an empty list until it is fixed) and
// after a good list was loaded (that list stays).
BOOST_AUTO_TEST_CASE(symlink_loop) {
  list_rig r;
  fs::remove(r.list());
  fs::create_symlink("loop.yaml", r.list());
  fs::create_symlink("watchlist.yaml", r.dir / "loop.yaml");
  auto c = r.start_ready();
  const auto problem = wait_event(*c, "watchlist.problem", 0);
  BOOST_TEST(t::log_field(problem, "message").value_or("") ==
                 "cannot read: Too many levels of symbolic links",
             problem);
  BOOST_TEST(t::log_field(problem, "where").value_or("") == r.list().string(), problem);
  BOOST_TEST(!wait_event(*c, "watchlist.unusable", 0).empty());
  BOOST_TEST(t::lines_where(c->err_lines(), "daemon.ready", "sessions", "0").size() == 1u);

  auto from = c->err_line_count();
  r.watch({r.done, r.running});  // renamed over the symlink
  BOOST_TEST(t::log_field(wait_event(*c, "watchlist.loaded", from), "added").value_or("") == "2");
  BOOST_REQUIRE(c->wait_for_text({" action.log ", t::done_event(r.done)}, 15s));

  from = c->err_line_count();
  relink(r.list(), "loop.yaml");
  const auto unusable = wait_event(*c, "watchlist.unusable", from);
  BOOST_TEST(t::log_field(unusable, "kept_sessions").value_or("") == "2", unusable);
  BOOST_TEST(r.still_polled());
  r.recover(*c);
  r.finish(*c);
}

// Deleted, the list is empty (as documented) and every session stops; recreated, it is applied
// again, each session from the state the database kept: the done one does not fire again.
BOOST_AUTO_TEST_CASE(deleted_then_recreated) {
  list_rig r;
  auto c = r.start_watching();
  auto from = c->err_line_count();
  fs::remove(r.list());
  const auto missing = wait_event(*c, "watchlist.problem", from);
  BOOST_TEST(t::log_field(missing, "message").value_or("").starts_with("file not found"), missing);
  const auto emptied = wait_event(*c, "watchlist.loaded", from);
  BOOST_TEST(t::log_field(emptied, "removed").value_or("") == "2", emptied);

  from = c->err_line_count();
  r.dir.write("watchlist.yaml", t::watchlist_yaml({r.done, r.running}));  // a new file
  const auto back = wait_event(*c, "watchlist.loaded", from);
  BOOST_TEST(t::log_field(back, "added").value_or("") == "2", back);
  BOOST_TEST(r.still_polled());
  r.recover(*c);
  r.finish(*c);
}

// chmod 000: the daemon cannot read the list, says so, and keeps the one it has.
BOOST_AUTO_TEST_CASE(permissions_removed) {
  list_rig r;
  std::string why;
  const auto user = unprivileged_user(r.dir.path(), why);
  if (!why.empty()) {
    BOOST_WARN_MESSAGE(false, "skipped: " << why);
    return;
  }
  if (user) {
    BOOST_TEST_MESSAGE("running as root: the daemon runs as nobody");
    BOOST_REQUIRE(::chown(r.dir.path().c_str(), user->uid, user->gid) == 0);
  }
  auto c = r.start_watching(user);
  const auto from = c->err_line_count();
  fs::permissions(r.list(), fs::perms::none);
  const auto problem = wait_event(*c, "watchlist.problem", from);
  BOOST_TEST(t::log_field(problem, "message").value_or("") == "cannot read: Permission denied",
             problem);
  BOOST_TEST(t::log_field(problem, "where").value_or("") == r.list().string(), problem);
  const auto unusable = wait_event(*c, "watchlist.unusable", from);
  BOOST_TEST(t::log_field(unusable, "kept_sessions").value_or("") == "2", unusable);
  BOOST_TEST(r.still_polled());
  r.recover(*c);
  r.finish(*c);
}

BOOST_AUTO_TEST_SUITE_END()
