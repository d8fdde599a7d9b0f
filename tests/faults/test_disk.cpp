// The real daemon when its state directory fails. A full disk (ENOSPC from the fault shim, or a
// real tmpfs filled up when the test may mount one): the daemon says so in its log, /healthz and
// /metrics, records nothing it cannot record whole, keeps running, and once there is room again
// delivers every event of the outage by itself. A failing disk (EIO from write or fsync): the
// daemon exits non-zero at once, and a restart without the fault loses nothing.
#include <boost/test/unit_test.hpp>

#include "support/faults.hpp"
#include "fjwatch/store/store.hpp"
#include "support/secrets_check.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <functional>

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A rig whose sessions turn done in three groups: `before` the fault, `during` it, and `late`,
// which joins the watch list during it. Its control endpoint listens on `address`. A webhook
// that failed is tried again 2 s later (+-20%), then every 200 ms.
struct disk_rig : t::hook_rig {
  disk_rig()
      : t::hook_rig(t::sim_options(), {.timeout = "10s",
                                       .retry_schedule = "[2s, 200ms, 200ms, 200ms, 200ms, "
                                                         "200ms, 200ms, 200ms, 200ms, 200ms]"}) {
    for (unsigned i = 0; i < 3; ++i) {
      before.push_back(t::hex_id(0xd100 + i));
      during.push_back(t::hex_id(0xd200 + i));
    }
    late = t::hex_id(0xd300);
    for (const auto& id : before) api->add_session(sim::session_script{.id = id});
    for (const auto& id : during) api->add_session(sim::session_script{.id = id});
    api->add_session(sim::done_after(late, 0ms));
    watch(watched());
    cfg.control = address;
  }
  std::vector<std::string> watched() const {
    auto all = before;
    all.insert(all.end(), during.begin(), during.end());
    return all;
  }
  std::set<std::string> events(bool with_late) const {
    std::set<std::string> out;
    for (const auto& id : watched()) out.insert(t::done_event(id));
    if (with_late) out.insert(t::done_event(late));
    return out;
  }
  void finish(const std::vector<std::string>& ids) {
    for (const auto& id : ids) api->add_session(sim::done_after(id, 0ms));
  }
  fjwatch::store open_store() const { return fjwatch::store(state()); }

  std::vector<std::string> before, during;
  std::string late;
  std::string address = "127.0.0.1:" + std::to_string(t::free_port());
};

// How a case fills the disk and gives the room back.
struct disk_switch {
  std::function<void()> fill;
  std::function<void()> free;
};

// Waits until `c` logged a line holding every one of `parts` (15 s at most).
bool logged(t::child_process& c, std::initializer_list<std::string_view> parts) {
  return c.wait_for_text(parts, 15s).has_value();
}

// True once every event of `events` was accepted by the receiver and written by the log action.
bool all_arrived(disk_rig& r, t::child_process& c, const std::set<std::string>& events,
                 std::chrono::milliseconds bound = 20s) {
  return t::wait_until(
      [&] {
        std::set<std::string> logged_ids;
        for (const auto& [id, n] : t::journal(c.err_lines())) logged_ids.insert(id);
        const auto ok = r.rx->ids();
        return std::ranges::includes(ok, events) && std::ranges::includes(logged_ids, events);
      },
      bound);
}

// While the disk is full: the outcome of a `before` delivery the receiver accepted waits
// unrecorded, nothing of the `during` sessions is recorded, the new watch list waits, and the
// daemon says why on every channel.
void check_while_full(disk_rig& r, t::child_process& c) {
  const std::string db = (r.state() / "fjwatch.db").string();
  BOOST_TEST(logged(c, {" store.full ", "action=hook", "database or disk is full"}),
             t::log_tail{c});
  for (const auto& id : r.during) {
    BOOST_TEST(logged(c, {" store.full ", "session=" + id, "retry_in_ms="}), id << t::log_tail{c});
  }
  BOOST_TEST(logged(c, {" store.full ", "watchlist="}), t::log_tail{c});
  const auto health = t::control(r.address, "/healthz");
  BOOST_TEST(health.status == 503);
  BOOST_TEST(health.body.find("the database cannot be written") != std::string::npos, health.body);
  BOOST_TEST(health.body.find("database or disk is full") != std::string::npos, health.body);
  BOOST_TEST(health.body.find(db) != std::string::npos, health.body);
  const auto metrics = t::control(r.address, "/metrics").body;
  BOOST_TEST(metrics.find("\nfjwatch_store_full 1\n") != std::string::npos);
  BOOST_TEST(metrics.find("\nfjwatch_store_full_failures_total 0\n") == std::string::npos);
  BOOST_TEST(!c.wait_exit(0ms).has_value(), "the daemon stopped:" << t::log_tail{c});

  auto db_now = r.open_store();
  for (const auto& id : r.before) {
    for (const auto& d : db_now.deliveries_of(t::done_event(id))) {
      if (d.action == "hook") BOOST_TEST((d.state == fjwatch::delivery_state::pending), id);
    }
  }
  for (const auto& id : r.during) {
    BOOST_TEST(db_now.deliveries_of(t::done_event(id)).empty(), id);
    const auto row = db_now.find_session(id);
    BOOST_TEST((row && row->status != fjwatch::matching_status::done), id);
  }
  BOOST_TEST(!db_now.find_session(r.late).has_value());
  const auto lines = c.err_lines();
  for (const auto& id : r.during) {
    BOOST_TEST(t::count_field(lines, "session.done", "event_id").count(t::done_event(id)) == 0u);
    BOOST_TEST(t::journal(lines).count(t::done_event(id)) == 0u);
  }
  for (const auto& d : r.rx->deliveries()) {
    BOOST_TEST(std::ranges::count(r.during, d.id.substr(4, 24)) == 0, d.id << " was posted");
  }
}

// Every `before` event is recorded with both deliveries, the journal's done and the hook's
// first attempt recorded as failed.
bool first_attempts_recorded(const disk_rig& r) {
  auto db = r.open_store();
  for (const auto& id : r.before) {
    const auto rows = db.deliveries_of(t::done_event(id));
    if (rows.size() != 2) return false;
    for (const auto& d : rows) {
      if (d.attempts != 1) return false;
    }
  }
  return true;
}

// The whole disk-full scenario on the daemon started with `env`, the disk filled and freed by `s`.
void disk_full_scenario(disk_rig& r, const t::env_map& env, const disk_switch& s) {
  r.rx->go_down();
  auto c = r.start_ready(env);
  r.finish(r.before);
  // The `before` events are recorded and logged, and their first webhook attempts' failures
  // recorded: the retries come 2 s later (accepted), when the disk is full.
  BOOST_REQUIRE_MESSAGE(t::wait_until([&] { return first_attempts_recorded(r); }, 15s),
                        t::log_tail{*c});
  s.fill();
  r.rx->go_up();
  r.finish(r.during);
  r.watch([&] {
    auto all = r.watched();
    all.push_back(r.late);
    return all;
  }());
  // The first retry is accepted; its outcome cannot be recorded, so the hook's lane holds it
  // and makes no further attempt until it can.
  const bool accepted = t::wait_until([&] { return !r.rx->ids().empty(); }, 15s);
  BOOST_REQUIRE_MESSAGE(accepted, "no webhook accepted while the disk is full:" << t::log_tail{*c});
  check_while_full(r, *c);

  const auto freed = steady::now();
  s.free();
  const auto everything = r.events(true);
  BOOST_TEST(all_arrived(r, *c, everything), t::log_tail{*c});
  BOOST_TEST(logged(*c, {" store.recovered ", "database="}), t::log_tail{*c});
  BOOST_TEST_MESSAGE(
      "every event delivered "
      << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - freed).count()
      << " ms after the disk had room again");
  BOOST_TEST(t::wait_until([&] { return t::control(r.address, "/healthz").status == 200; }, 5s));
  BOOST_TEST(t::terminate(*c) == 0, t::log_tail{*c});

  // Each event recorded once, each webhook sent once: the held outcomes were recorded, not
  // attempted again.
  for (const auto& [id, n] : t::count_field(c->err_lines(), "session.done", "event_id")) {
    BOOST_TEST(n == 1, id);
  }
  const auto hooks = t::judge_webhooks(r.rx->deliveries(), everything);
  BOOST_TEST(hooks.problems.empty(), (hooks.problems.empty() ? "" : hooks.problems[0]));
  BOOST_TEST(hooks.accepted_again == 0u);
  BOOST_TEST(t::integrity_check(r.state()) == "ok");
  auto db = r.open_store();
  BOOST_TEST(db.count_deliveries(fjwatch::delivery_state::pending) == 0);
  BOOST_TEST(db.count_deliveries(fjwatch::delivery_state::failed) == 0);
  const auto leaks = t::find_secrets(t::default_secrets(), *c, r.state(), r.rx->deliveries());
  BOOST_TEST(leaks.empty(), (leaks.empty() ? "" : leaks[0]));
}

// The fault shim for `r`: the trigger file `fault` beside the config.
disk_switch shim_switch(const disk_rig& r, std::string mode) {
  return {[&r, mode] { r.dir.write("fault", mode + "\n"); },
          [&r] { std::filesystem::remove(r.dir / "fault"); }};
}

// A tmpfs of `size` mounted on `at` in a mount namespace of this thread's own (so neither the
// host nor other processes see it); unmounted on destruction. ok() is false (with why()) when
// the namespace or the mount is not permitted.
class private_tmpfs {
 public:
  private_tmpfs(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at);
    if (::unshare(CLONE_NEWNS) != 0) {
      why_ = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    } else if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      why_ = std::string("mount --make-rprivate /: ") + std::strerror(errno);
    } else if (::mount("tmpfs", at.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) !=
               0) {
      why_ = std::string("mount -t tmpfs: ") + std::strerror(errno);
    }
  }
  ~private_tmpfs() {
    if (why_.empty()) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  std::filesystem::path at_;
  std::string why_;
};

// Fills the file system holding `file` until a write fails with ENOSPC; false if another error
// stops it first.
bool fill_up(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string chunk(4096, '\0');
  int err = 0;
  for (std::size_t size = chunk.size(); err == 0 && size > 0;) {
    if (::write(fd, chunk.data(), size) < 0) {
      err = errno;
      if (err == ENOSPC && size > 1) {  // use up the last partial page as well
        size /= 2;
        err = 0;
      }
    }
  }
  ::close(fd);
  return err == ENOSPC;
}

// A restart after an I/O error loses nothing: the daemon with `mode` on exits 1 promptly,
// naming the database and the error; started again without it, every event arrives.
void io_error_scenario(const std::string& mode, const std::string& failed) {
  disk_rig r;
  const auto env = t::fault_env(r.state(), r.dir / "fault");
  auto c = r.start_ready(env);
  r.finish(r.before);
  std::set<std::string> before_events;
  for (const auto& id : r.before) before_events.insert(t::done_event(id));
  BOOST_REQUIRE_MESSAGE(all_arrived(r, *c, before_events), t::log_tail{*c});
  r.dir.write("fault", mode + "\n");
  const auto faulted = steady::now();
  r.finish(r.during);
  const auto code = c->wait_exit(10s);
  BOOST_REQUIRE_MESSAGE(code.has_value(), "still running 10 s after the fault:" << t::log_tail{*c});
  BOOST_TEST(*code == 1);
  BOOST_TEST_MESSAGE(
      mode << ": exit " << *code << " after "
           << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - faulted).count()
           << " ms");
  BOOST_TEST(c->wait_for_text(
                  {" daemon.fatal ", "fjwatch.db", "disk I/O error (" + failed + " failed"}, 0ms)
                 .has_value(),
             t::log_tail{*c});
  BOOST_TEST(t::find_secrets(t::default_secrets(), *c, r.state(), {}).empty());

  std::filesystem::remove(r.dir / "fault");
  auto again = r.start_ready(env);
  auto lines = c->err_lines();
  BOOST_TEST(t::wait_until(
                 [&] {
                   std::set<std::string> seen;
                   for (const auto& [id, n] : t::journal(lines)) seen.insert(id);
                   for (const auto& [id, n] : t::journal(again->err_lines())) seen.insert(id);
                   return std::ranges::includes(r.rx->ids(), r.events(false)) &&
                          seen == r.events(false);
                 },
                 20s),
             t::log_tail{*again});
  BOOST_TEST(t::terminate(*again) == 0, t::log_tail{*again});
  const auto hooks = t::judge_webhooks(r.rx->deliveries(), r.events(false));
  BOOST_TEST(hooks.problems.empty(), (hooks.problems.empty() ? "" : hooks.problems[0]));
  BOOST_TEST(t::integrity_check(r.state()) == "ok");
  const auto leaks = t::find_secrets(t::default_secrets(), *again, r.state(), r.rx->deliveries());
  BOOST_TEST(leaks.empty(), (leaks.empty() ? "" : leaks[0]));
}

bool is_root() { return ::geteuid() == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(disk_full)

BOOST_AUTO_TEST_CASE(enospc_from_the_shim_is_reported_survived_and_recovered_from) {
  disk_rig r;
  disk_full_scenario(r, t::fault_env(r.state(), r.dir / "fault"), shim_switch(r, "enospc"));
}

// The same on a real file system that runs out of room: a 2 MiB tmpfs on the state directory.
BOOST_AUTO_TEST_CASE(a_full_tmpfs_is_reported_survived_and_recovered_from,
                     *boost::unit_test::precondition([](auto) { return is_root(); })) {
  disk_rig r;
  private_tmpfs fs(r.state(), "2m");
  if (!fs.ok()) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here (" << fs.why() << ")");
    return;
  }
  const auto filler = r.state() / "filler";
  const disk_switch tmpfs{[&] { BOOST_REQUIRE(fill_up(filler)); },
                          [&] { std::filesystem::remove(filler); }};
  disk_full_scenario(r, t::base_env(), tmpfs);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(io_error)

BOOST_AUTO_TEST_CASE(eio_from_fsync_stops_the_daemon_and_a_restart_loses_nothing) {
  io_error_scenario("eio-sync", "fsync");
}

BOOST_AUTO_TEST_CASE(eio_from_write_stops_the_daemon_and_a_restart_loses_nothing) {
  io_error_scenario("eio-write", "write");
}

BOOST_AUTO_TEST_SUITE_END()
