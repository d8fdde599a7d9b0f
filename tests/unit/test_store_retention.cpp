// Retention in the store: which events and sessions go, what stays, and the file shrinking.
#include "support/store_fixture.hpp"

using namespace fjwatch;

namespace {

// Marks one delivery delivered or failed.
void end_delivery(store& s, const std::string& event, const std::string& action,
                  delivery_state state = delivery_state::delivered) {
  const attempt_record r{event, action, state, 0, "ok"};
  s.record_attempts(std::span(&r, 1));
}

std::vector<std::string> event_ids(raw_db& raw) {
  return raw.rows("SELECT id FROM events ORDER BY id");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retention)

// Only old events whose every delivery ended go, with their deliveries; a pending one keeps its
// event however old; newer ones stay. Batches take the oldest first.
BOOST_AUTO_TEST_CASE(prune_events_takes_old_ended_events_only) {
  temp_dir t;
  store s(t.state());
  const std::vector<new_event> events{
      make_event("old-delivered", sid_a, 100, {"hook", "journal"}),
      make_event("old-failed", sid_a, 200, {"hook"}),
      make_event("old-pending", sid_a, 300, {"hook", "journal"}),
      make_event("old-no-actions", sid_a, 400, {}),
      make_event("new-delivered", sid_a, 5000, {"hook"}),
  };
  s.commit(make_row(sid_a), events);
  end_delivery(s, "old-delivered", "hook");
  end_delivery(s, "old-delivered", "journal");
  end_delivery(s, "old-failed", "hook", delivery_state::failed);
  end_delivery(s, "old-pending", "journal");  // its hook delivery is still pending
  end_delivery(s, "new-delivered", "hook");

  const auto first = s.prune_events(1000, 2);  // a batch of two: the two oldest that qualify
  BOOST_TEST(first.events == 2);
  BOOST_TEST(first.deliveries == 3);
  const auto rest = s.prune_events(1000, 10);
  BOOST_TEST(rest.events == 1);  // old-no-actions
  BOOST_TEST(rest.deliveries == 0);
  BOOST_TEST(s.prune_events(1000, 10).events == 0);
  raw_db raw(t.db());
  BOOST_TEST(event_ids(raw) == (std::vector<std::string>{"new-delivered", "old-pending"}),
             boost::test_tools::per_element());
  BOOST_TEST(keys(s.deliveries_of("old-pending")) ==
             (std::vector<std::string>{"old-pending/hook", "old-pending/journal"}));
  BOOST_TEST(s.deliveries_of("old-delivered").empty());
}

// A forgotten session leaves its row but not what it last reported: watched again, it starts
// from that status and counter (so its old done is not news), not from nothing.
BOOST_AUTO_TEST_CASE(a_forgotten_session_comes_back_with_what_it_last_reported) {
  temp_dir t;
  store s(t.state());
  session_row done = make_row(sid_a);
  done.status = matching_status::done;
  done.search_more_counter = 2;
  done.phase = session_phase::done_stopped;
  s.commit(done, {});
  s.commit(make_row(sid_b), {});
  const auto rows = s.sessions_after("", 10);
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].id == sid_a);
  BOOST_TEST(rows[0].last_change_ms == 1500);
  BOOST_TEST(s.sessions_after(sid_a, 10).size() == 1u);

  const std::vector<std::string> gone{sid_a, "000000000000000000000000"};
  BOOST_TEST(s.forget_sessions(gone, 9000).sessions == 1);
  BOOST_TEST(!s.find_session(sid_a).has_value());
  BOOST_TEST(s.size().forgotten_sessions == 1);

  const std::vector<std::string_view> again{sid_a};
  s.ensure_sessions(again, 20000);
  const auto back = s.find_session(sid_a);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(show(back->status) == "done");
  BOOST_TEST(back->search_more_counter == 2);
  BOOST_TEST(to_string(back->phase) == "active");  // polled as new
  BOOST_TEST(back->first_seen_ms == 20000);
  BOOST_TEST(back->title == "");
}

// A new database gives freed pages back to the file system; the counts follow the tables.
BOOST_AUTO_TEST_CASE(the_file_shrinks_after_pruning) {
  temp_dir t;
  store s(t.state());
  BOOST_TEST(s.can_shrink());
  std::vector<new_event> events;
  const std::string big(2000, 'x');
  for (int i = 0; i < 2000; ++i) {
    auto e = make_event("e" + std::to_string(i), sid_a, 100 + i, {"hook"});
    e.payload = big;
    events.push_back(std::move(e));
  }
  s.commit(make_row(sid_a), events);
  for (const auto& e : events) end_delivery(s, e.id, "hook");
  const auto full = s.size();
  BOOST_TEST(full.events == 2000);
  BOOST_TEST(full.deliveries == 2000);
  BOOST_TEST(full.sessions == 1);
  BOOST_TEST(full.file_bytes > 2000 * 2000);
  while (s.prune_events(1'000'000, 256).events > 0) {
  }
  BOOST_TEST(s.size().free_bytes > 2000 * 1500);
  while (s.give_back(100)) {
  }
  const auto after = s.size();
  BOOST_TEST(after.events == 0);
  BOOST_TEST(after.free_bytes == 0);
  BOOST_TEST(after.file_bytes * 10 < full.file_bytes,
             after.file_bytes << " of " << full.file_bytes);
}

// A database made before retention (auto_vacuum off) and under a gigabyte is rebuilt once when
// opened, so that it can shrink too; nothing in it is lost.
BOOST_AUTO_TEST_CASE(an_older_database_is_rebuilt_to_shrink) {
  temp_dir t;
  {
    store s(t.state());
    s.commit(make_row(sid_a), std::vector<new_event>{make_event("e1", sid_a, 10, {"hook"})});
  }
  {
    raw_db raw(t.db());
    raw.exec("PRAGMA auto_vacuum=NONE; VACUUM;");
    BOOST_TEST(raw.rows("PRAGMA auto_vacuum") == std::vector<std::string>{"0"});
  }
  store s(t.state());
  BOOST_TEST(s.can_shrink());
  BOOST_TEST(keys(s.deliveries_of("e1")) == std::vector<std::string>{"e1/hook"});
}

BOOST_AUTO_TEST_SUITE_END()
