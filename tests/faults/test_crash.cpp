// kill -9 of the real daemon while 100 webhook deliveries are pending, then a
// restart on the same state: every event reaches every action, each webhook
// under its event id with a signature the receiver verifies by itself; nothing
// recorded as delivered before the kill is sent again.
#include <boost/test/unit_test.hpp>

#include "support/faults.hpp"
#include "fjwatch/store/store.hpp"
#include "support/secrets_check.hpp"

#include <csignal>
#include <map>
#include <set>

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;

constexpr std::size_t sessions = 100;

// A rig whose daemon logs every event (journal) and posts it to `rx` (hook).
struct crash_rig : t::hook_rig {
  crash_rig() {
    for (unsigned i = 0; i < sessions; ++i) ids.push_back(t::hex_id(7000 + i));
    for (const auto& id : ids) events.insert(t::done_event(id));
    watch(ids);
    // All 100 reach done within about a second of the first polls.
    for (unsigned i = 0; i < ids.size(); ++i) {
      api->add_session(sim::done_after(ids[i], std::chrono::milliseconds(i * 10)));
    }
  }

  // Waits until the daemon logged session.done for every session.
  bool all_done(t::child_process& c) const {
    return c.wait_for(
        [&](const std::vector<std::string>& lines, bool) {
          return t::count_field(lines, "session.done", "event_id").size() == sessions;
        },
        30s);
  }

  // The hook's rows as the database holds them now (the daemon is not running).
  std::map<std::string, fjwatch::delivery> hook_rows() const {
    fjwatch::store db(dir / "state");
    std::map<std::string, fjwatch::delivery> out;
    for (const auto& d : db.list_deliveries(std::nullopt, 10 * sessions)) {
      if (d.action == "hook") out.emplace(d.event_id, d);
    }
    return out;
  }

  std::vector<std::string> ids;
  std::set<std::string> events;
};

// Restarts on the same state and waits until every event was accepted by the
// receiver; then checks what arrived over both runs.
void restart_and_check(crash_rig& r, const std::map<std::string, fjwatch::delivery>& at_kill,
                       std::size_t received_before,
                       const std::vector<std::string>& journal_before) {
  auto c = r.start_ready();
  const bool all =
      t::wait_until([&] { return t::accepted(r.rx->deliveries()).size() >= sessions; }, 30s);
  BOOST_TEST(all, t::accepted(r.rx->deliveries()).size()
                      << " of 100 events accepted:" << t::tail(*c));
  BOOST_TEST(t::terminate(*c) == 0, t::tail(*c));

  const auto got = r.rx->deliveries();
  auto ok = t::accepted(got);
  std::set<std::string> ok_ids;
  for (const auto& [id, n] : ok) ok_ids.insert(id);
  BOOST_TEST(ok_ids == r.events, "webhook-ids accepted differ from the 100 event ids");
  for (const auto& d : got) {
    BOOST_TEST(d.signature_ok, d.id << ": " << d.signature_problem);
    BOOST_TEST(r.events.count(d.id) == 1u, "unexpected webhook-id " << d.id);
  }
  // What the database held as delivered at the kill is never sent again.
  std::size_t delivered_at_kill = 0, duplicates = 0;
  for (const auto& [id, row] : at_kill) {
    if (row.state != fjwatch::delivery_state::delivered) continue;
    ++delivered_at_kill;
    BOOST_TEST(ok[id] == 1, id << " was recorded delivered before the kill, then accepted "
                               << ok[id] << " times");
  }
  for (const auto& [id, n] : ok) duplicates += n > 1 ? n - 1 : 0;
  // Only the wave in flight at the kill (at most max_in_flight, 4) may have
  // been accepted twice.
  BOOST_TEST(duplicates <= 4u);
  // Every event reached the log action too, over both runs.
  auto journal = journal_before;
  for (const auto& l : c->err_lines()) journal.push_back(l);
  std::set<std::string> logged;
  for (const auto& [id, n] : t::count_field(journal, "action.log", "event_id")) logged.insert(id);
  BOOST_TEST(logged == r.events, logged.size() << " of 100 events reached the log action");
  const auto leaks = t::find_secrets(t::default_secrets(), *c, r.dir / "state", got);
  BOOST_TEST(leaks.empty(), leaks.size()
                                << " secret(s) found, first: " << (leaks.empty() ? "" : leaks[0]));
  BOOST_TEST(at_kill.size() == sessions, at_kill.size()
                                             << " hook rows in the database at the kill");
  BOOST_TEST_MESSAGE("events " << r.events.size() << ", hook rows at kill " << at_kill.size()
                               << ", delivered at kill " << delivered_at_kill
                               << ", requests before kill " << received_before
                               << ", requests in all " << got.size() << ", ids accepted "
                               << ok.size() << ", accepted twice " << duplicates);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kill_9)

// The receiver accepts the first 30 deliveries, then holds every later one open
// without answering: at the kill a wave of attempts is in flight (some of it
// accepted but not yet recorded) and about 70 deliveries wait their turn.
BOOST_AUTO_TEST_CASE(pending_deliveries_all_arrive_after_a_restart) {
  crash_rig r;
  std::vector<sim::reply> first(30, sim::reply{});
  r.rx->script(first);
  r.rx->set_default({sim::reply_kind::hang, 200, ""});
  auto c = r.start_ready();
  BOOST_REQUIRE_MESSAGE(r.all_done(*c), "not every session reached done:" << t::tail(*c));
  BOOST_REQUIRE_MESSAGE(r.rx->wait_for_count(31, 30s), r.rx->count()
                                                           << " requests:" << t::tail(*c));
  // SIGKILL: the daemon gets no chance to tidy anything.
  BOOST_REQUIRE(t::kill_hard(*c) == 128 + SIGKILL);

  const auto at_kill = r.hook_rows();
  std::size_t pending = 0;
  for (const auto& [id, row] : at_kill) pending += row.state == fjwatch::delivery_state::pending;
  BOOST_TEST(pending >= 70u, pending << " hook deliveries pending at the kill");
  r.rx->set_default({});
  restart_and_check(r, at_kill, 31, c->err_lines());
}

// The receiver is down (connections refused) from the start to after the kill:
// every delivery has failed at least once, and all wait for a retry.
BOOST_AUTO_TEST_CASE(deliveries_to_a_receiver_down_at_the_kill_arrive_after_a_restart) {
  crash_rig r;
  r.rx->go_down();
  auto c = r.start_ready();
  BOOST_REQUIRE_MESSAGE(r.all_done(*c), "not every session reached done:" << t::tail(*c));
  BOOST_REQUIRE(c->wait_for(
      [](const std::vector<std::string>& lines, bool) {
        return t::count_field(lines, "delivery.retry", "event_id").size() >= 5;
      },
      30s));
  // SIGKILL: the daemon gets no chance to tidy anything.
  BOOST_REQUIRE(t::kill_hard(*c) == 128 + SIGKILL);

  const auto at_kill = r.hook_rows();
  std::size_t pending = 0;
  for (const auto& [id, row] : at_kill) pending += row.state == fjwatch::delivery_state::pending;
  BOOST_TEST(pending == sessions);
  BOOST_TEST(r.rx->count() == 0u);
  r.rx->go_up();
  restart_and_check(r, at_kill, 0, c->err_lines());
}

BOOST_AUTO_TEST_SUITE_END()
