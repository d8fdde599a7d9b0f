// Retention in the running daemon (in-process), against the simulated API over real TLS: what a
// pass deletes and keeps, and a forgotten session that is watched again.
#include "support/daemon_env.hpp"

#include <boost/json.hpp>

using namespace itest;

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

// An event of `session` recorded `age_ms` ago for `actions`, with a delivered or pending row each.
void seed_event(fjwatch::store& db, const std::string& id, const std::string& session,
                std::int64_t age_ms, const std::vector<std::string>& actions, bool delivered) {
  fjwatch::session_row row{.id = session,
                           .status = fjwatch::matching_status::done,
                           .first_seen_ms = unix_ms_now() - age_ms,
                           .waiting_since_ms = unix_ms_now() - age_ms,
                           .last_change_ms = unix_ms_now() - age_ms,
                           .phase = fjwatch::session_phase::done_stopped};
  fjwatch::event_fields fields;
  fields.session_id = session;
  const fjwatch::new_event e{
      id, fjwatch::event_type::done, session, unix_ms_now() - age_ms, "{}", fields, actions};
  db.commit(row, std::span(&e, 1));
  if (!delivered) return;
  for (const auto& a : actions) {
    const fjwatch::attempt_record r{id, a, fjwatch::delivery_state::delivered, 0, "ok"};
    db.record_attempts(std::span(&r, 1));
  }
}

}  // namespace

// Events past retention.events whose deliveries all ended go, with their deliveries; a pending
// one stays however old; sessions gone from the watch list past retention.sessions are forgotten,
// a watched one is kept however old. The log and the pass's totals say what went.
BOOST_AUTO_TEST_CASE(a_pass_deletes_what_retention_allows_and_nothing_else) {
  const auto old_done = sid(0x401), old_pending = sid(0x402), recent = sid(0x403),
             watched_old = sid(0x404);
  tuning t{.retention = "{ events: 30d, sessions: 30d }",
           .pruning = {.first = 0ms, .every = 1h, .batch = 2, .pause = 1ms}};
  env e({}, t);
  {
    fjwatch::store db(e.state_dir());
    for (int i = 0; i < 5; ++i) {
      seed_event(db, "old" + std::to_string(i), old_done, 40 * day_ms, {"journal"}, true);
    }
    // Pending for an action the config no longer has: it stays pending through the test.
    seed_event(db, "old-pending", old_pending, 40 * day_ms, {"retired"}, false);
    seed_event(db, "recent", recent, 2 * day_ms, {"journal"}, true);
    seed_event(db, "watched", watched_old, 40 * day_ms, {"journal"}, true);
  }
  e.api->add_session(sim::done_at_poll(watched_old, 1));
  e.watch({watched_old});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" retention.pruned "}) == 1u; }, 10s));
  const auto line = e.logs.matching({" retention.pruned "}).at(0);
  BOOST_TEST(ft::log_field(line, "events").value_or("") == "6", line);  // 5 old + watched's event
  BOOST_TEST(ft::log_field(line, "deliveries").value_or("") == "6", line);
  BOOST_TEST(e.logs.count({" action.log ", "event_id=old-pending"}) == 0u);
  BOOST_TEST(ft::log_field(line, "sessions").value_or("") == "2", line);  // not watched, old
  e.stop();

  fjwatch::store db(e.state_dir());
  BOOST_TEST(db.deliveries_of("old0").empty());
  BOOST_TEST(db.deliveries_of("old-pending").size() == 1u);
  BOOST_TEST(db.deliveries_of("recent").size() == 1u);
  BOOST_TEST(!db.find_session(old_done).has_value());
  // Rows and events go each by their own rule: old_pending's row is forgotten like old_done's,
  // while its event stays for the delivery still pending.
  BOOST_TEST(!db.find_session(old_pending).has_value());
  BOOST_TEST(db.find_session(recent).has_value());
  BOOST_TEST(db.find_session(watched_old).has_value());
  BOOST_TEST(db.size().forgotten_sessions == 2);
}

// A session that was forgotten and is watched again is polled as new, but its old done (the
// same Fetch More cycle) does not fire again; a new cycle does.
BOOST_AUTO_TEST_CASE(a_forgotten_session_watched_again_does_not_fire_its_old_done) {
  const auto id = sid(0x411);
  env e({}, tuning{.retention = "{ sessions: 1h }",
                   .pruning = {.first = 0ms, .every = 1h, .batch = 16, .pause = 1ms}});
  {
    fjwatch::store db(e.state_dir());
    seed_event(db, done_id(id), id, 2 * day_ms, {"journal"}, true);
  }
  e.watch({});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" retention.pruned "}) == 1u; }, 10s));
  BOOST_TEST(!fjwatch::store(e.state_dir()).find_session(id).has_value());

  e.api->add_session(sim::done_at_poll(id, 1));  // done, in the same cycle as before
  e.watch({id});
  e.d->reload_watch_list();
  BOOST_TEST_REQUIRE(e.run_until(
      [&] {
        const auto v = e.view(id);
        return v && v->polls >= 1 && v->phase == fjwatch::session_phase::done_stopped;
      },
      10s));
  e.run_for(300ms);
  BOOST_TEST(e.logs.count({" session.done "}) == 0u);
  BOOST_TEST(e.action_lines(done_id(id)) == 0u);
}
