#include <boost/test/unit_test.hpp>

// The store's data: round trips, commits, the outbox. test_store_file.cpp covers the file itself.
#include "support/store_fixture.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace fjwatch;

BOOST_AUTO_TEST_CASE(names_of_phases_and_states) {
  const std::vector<std::pair<session_phase, std::string>> phases = {
      {session_phase::active, "active"},
      {session_phase::done_stopped, "done_stopped"},
      {session_phase::not_found, "not_found"},
      {session_phase::timed_out, "timed_out"}};
  for (const auto& [p, name] : phases) {
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(to_string(p) == name); }
  }
  const std::vector<std::pair<delivery_state, std::string>> states = {
      {delivery_state::pending, "pending"},
      {delivery_state::delivered, "delivered"},
      {delivery_state::failed, "failed"}};
  for (const auto& [s, name] : states) {
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(to_string(s) == name); }
  }
}

BOOST_AUTO_TEST_CASE(reopen_keeps_data) {
  temp_dir t;
  const session_row row = make_row(sid_a);
  const new_event e = make_event("e1", sid_a, 10, {"hook", "journal"});
  { store(t.state()).commit(row, std::span(&e, 1)); }
  store s(t.state());
  auto rows = s.load_sessions();
  BOOST_REQUIRE(rows.size() == 1u);
  check_same(rows[0], row);
  BOOST_TEST(keys(s.deliveries_of("e1")) == (std::vector<std::string>{"e1/hook", "e1/journal"}));
}

BOOST_AUTO_TEST_CASE(values_round_trip) {
  temp_dir t;
  store s(t.state());
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  std::vector<session_row> rows(4);
  rows[0] = {sid_a, std::nullopt, 0, 0, 0, 0, "", "", "", 0, 0, 0, session_phase::active};
  rows[1] = {"69f45196c8bbf1ce65b5bcd8",
             matching_status::processing,
             max,
             min,
             -1,
             7,
             "Développeur .NET – Pune 🚀",
             "Ünïcödé 项目",
             "W/\"abc\"",
             1,
             2,
             3,
             session_phase::done_stopped};
  rows[2] = {"69f45196c8bbf1ce65b5bcd9", matching_status::fetching_more, 1,       2,   3,   4,
             "a'b\"c\\d\ne\tf",          "x';DROP TABLE sessions;--",    "\"e\"", max, min, 0,
             session_phase::not_found};
  rows[3] = {
      "69f45196c8bbf1ce65b5bcda", matching_status::done, 5, 6, 7, 8, "t", "p", "", -5, 0, max,
      session_phase::timed_out};
  for (const session_row& r : rows) {
    BOOST_TEST_CONTEXT(r.id) {
      BOOST_TEST(s.commit(r, {}).empty());
      auto got = s.find_session(r.id);
      BOOST_REQUIRE(got.has_value());
      check_same(*got, r);
    }
  }
  BOOST_TEST(!s.find_session("000000000000000000000000").has_value());
  const auto all = s.load_sessions();  // ordered by id
  BOOST_REQUIRE(all.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) check_same(all[i], rows[i]);

  const std::string big(200 * 1024, 'x');
  const event_fields full{.session_id = sid_a,
                          .label = "Pune \"lead\"",
                          .status = matching_status::done,
                          .title = "Düsseldorf ✓ \\ back",
                          .project = "Q3",
                          .matched = max,
                          .total_for_matching = 0,
                          .available = -5,
                          .search_more_counter = 7};
  const event_fields bare{.session_id = sid_a};
  const std::vector<new_event> events = {
      {"fjw_a_done_0",
       event_type::done,
       sid_a,
       100,
       R"({"q":"\"quoted\" \\ back"})",
       full,
       {"hook"}},
      {"fjw_a_not_found",
       event_type::not_found,
       sid_a,
       101,
       "{\"t\":\"Düsseldorf ✓\"}",
       bare,
       {"ä"}},
      {"fjw_a_timeout_0",
       event_type::timeout,
       sid_a,
       max,
       "{\"big\":\"" + big + "\"}",
       full,
       {"j"}},
      {"fjw_a_status_0_done", event_type::status_changed, sid_a, min, "{}", bare, {"cmd"}}};
  BOOST_TEST(s.commit(rows[0], events).size() == events.size());
  for (const new_event& e : events) {
    BOOST_TEST_CONTEXT(e.id) {
      auto ds = s.deliveries_of(e.id);
      BOOST_REQUIRE(ds.size() == 1u);
      BOOST_TEST(ds[0].event_id == e.id);
      BOOST_TEST(ds[0].action == e.actions[0]);
      BOOST_TEST(to_string(ds[0].state) == "pending");
      BOOST_TEST(ds[0].attempts == 0);
      BOOST_TEST(ds[0].next_attempt_ms == e.created_ms);
      BOOST_TEST(ds[0].last_result == "");
      BOOST_TEST(ds[0].updated_ms == e.created_ms);
      BOOST_TEST(to_string(ds[0].type) == to_string(e.type));
      BOOST_TEST(ds[0].session_id == e.session_id);
      BOOST_TEST((ds[0].payload == e.payload));
      const event_fields& got = ds[0].fields;
      BOOST_TEST(got.session_id == e.fields.session_id);
      BOOST_TEST(got.label == e.fields.label);
      BOOST_TEST((got.status == e.fields.status));
      BOOST_TEST(got.title == e.fields.title);
      BOOST_TEST(got.project == e.fields.project);
      BOOST_TEST(got.matched == e.fields.matched);
      BOOST_TEST(got.total_for_matching == e.fields.total_for_matching);
      BOOST_TEST(got.available == e.fields.available);
      BOOST_TEST(got.search_more_counter == e.fields.search_more_counter);
    }
  }
}

BOOST_AUTO_TEST_CASE(ensure_sessions_inserts_only_missing) {
  temp_dir t;
  store s(t.state());
  session_row existing = make_row(sid_a);
  existing.phase = session_phase::done_stopped;
  s.commit(existing, {});
  const std::vector<std::string_view> ids = {sid_a, sid_b, sid_b};
  s.ensure_sessions(ids, 500);
  check_same(*s.find_session(sid_a), existing);
  auto fresh = s.find_session(sid_b);
  BOOST_REQUIRE(fresh.has_value());
  check_same(*fresh,
             {sid_b, std::nullopt, 0, 0, 0, 0, "", "", "", 500, 500, 500, session_phase::active});
  BOOST_TEST(s.load_sessions().size() == 2u);
}

BOOST_AUTO_TEST_CASE(commit_records_each_event_once) {
  temp_dir t;
  store s(t.state());
  const new_event e1 = make_event("e1", sid_a, 10, {"hook", "journal", "hook"});
  const new_event e2 = make_event("e2", sid_a, 20, {"hook"});
  BOOST_TEST(s.commit(make_row(sid_a), std::span(&e1, 1)) == std::vector<std::string>{"e1"});
  const attempt_record sent{"e1", "hook", delivery_state::delivered, 0, "ok"};
  s.record_attempts(std::span(&sent, 1));
  const std::vector<new_event> again = {e1, e2, e2};
  BOOST_TEST(s.commit(make_row(sid_a), again) == std::vector<std::string>{"e2"});
  auto ds = s.deliveries_of("e1");
  BOOST_TEST(keys(ds) == (std::vector<std::string>{"e1/hook", "e1/journal"}));
  BOOST_REQUIRE(ds.size() == 2u);
  BOOST_TEST(to_string(ds[0].state) == "delivered");  // the second commit did not reset it
  BOOST_TEST(ds[0].attempts == 1);
  BOOST_TEST(s.count_deliveries(delivery_state::pending) == 2);
  BOOST_TEST(s.count_deliveries(delivery_state::delivered) == 1);
}

BOOST_AUTO_TEST_CASE(commit_is_all_or_nothing) {
  temp_dir t;
  store s(t.state());
  const session_row before = make_row(sid_a);
  s.commit(before, {});
  raw_db(t.db()).exec(
      "CREATE TRIGGER boom BEFORE INSERT ON deliveries WHEN NEW.action = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  session_row after = before;
  after.status = matching_status::done;
  after.matched = 99;
  const std::vector<new_event> events = {make_event("e1", sid_a, 10, {"hook"}),
                                         make_event("e2", sid_a, 10, {"hook", "boom"})};
  try {
    s.commit(after, events);
    BOOST_FAIL("commit did not throw");
  } catch (const store_error& e) {
    BOOST_TEST(e.what() == t.db().string() + ": commit: injected failure");
  }
  check_same(*s.find_session(sid_a), before);
  BOOST_TEST(s.deliveries_of("e1").empty());
  BOOST_TEST(s.count_deliveries(delivery_state::pending) == 0);
  // The store is usable afterwards, and the row and the events land together.
  BOOST_TEST(s.commit(after, std::span(events.data(), 1)) == std::vector<std::string>{"e1"});
  check_same(*s.find_session(sid_a), after);
  BOOST_TEST(s.deliveries_of("e1").size() == 1u);
}

// Several sessions in one transaction: each commit's new events come back in order, and a
// failure in the last one leaves every row and event as it was.
BOOST_AUTO_TEST_CASE(commit_all_writes_every_session_or_none) {
  temp_dir t;
  store s(t.state());
  s.commit(make_row(sid_a), {});
  session_row a = make_row(sid_a), b = make_row(sid_b);
  a.status = matching_status::done;
  b.matched = 7;
  std::vector<session_commit> batch{
      {a, {make_event("e1", sid_a, 10, {"hook"})}},
      {b, {}},
      {b, {make_event("e1", sid_b, 10, {"hook"}), make_event("e2", sid_b, 10, {"hook"})}}};
  const auto fresh = s.commit_all(batch);
  BOOST_TEST(fresh.size() == 3u);
  BOOST_TEST(fresh[0] == std::vector<std::string>{"e1"});
  BOOST_TEST(fresh[1].empty());
  BOOST_TEST(fresh[2] == std::vector<std::string>{"e2"});  // e1 was recorded by the first
  check_same(*s.find_session(sid_a), a);
  check_same(*s.find_session(sid_b), b);

  raw_db(t.db()).exec(
      "CREATE TRIGGER boom BEFORE INSERT ON deliveries WHEN NEW.action = 'boom' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  session_row a2 = a, b2 = b;
  a2.matched = 50;
  b2.matched = 60;
  const std::vector<session_commit> failing{{a2, {make_event("e3", sid_a, 20, {"hook"})}},
                                            {b2, {make_event("e4", sid_b, 20, {"boom"})}}};
  BOOST_CHECK_THROW(s.commit_all(failing), store_error);
  check_same(*s.find_session(sid_a), a);
  check_same(*s.find_session(sid_b), b);
  BOOST_TEST(s.deliveries_of("e3").empty());
  BOOST_TEST(s.commit_all({}).empty());
}

BOOST_AUTO_TEST_CASE(due_deliveries_order_limit_and_time) {
  temp_dir t;
  store s(t.state());
  const std::vector<new_event> events = {
      make_event("late", sid_a, 300, {"hook"}), make_event("early", sid_a, 100, {"hook", "log"}),
      make_event("mid", sid_a, 200, {"hook"}), make_event("tie", sid_a, 100, {"hook"})};
  s.commit(make_row(sid_a), events);
  const attempt_record done{"mid", "hook", delivery_state::delivered, 0, "ok"};
  s.record_attempts(std::span(&done, 1));
  BOOST_TEST(keys(s.due_deliveries(99, 10)).empty());
  BOOST_TEST(keys(s.due_deliveries(100, 10)) ==
             (std::vector<std::string>{"early/hook", "early/log", "tie/hook"}));
  BOOST_TEST(keys(s.due_deliveries(250, 2)) ==
             (std::vector<std::string>{"early/hook", "early/log"}));
  BOOST_TEST(keys(s.due_deliveries(1000, 10)) ==
             (std::vector<std::string>{"early/hook", "early/log", "tie/hook", "late/hook"}));
  BOOST_TEST(s.due_deliveries(1000, 0).empty());
  auto first = s.due_deliveries(100, 1);
  BOOST_REQUIRE(first.size() == 1u);
  BOOST_TEST(first[0].session_id == sid_a);
  BOOST_TEST(first[0].payload == events[1].payload);
  BOOST_TEST(to_string(first[0].type) == "session.done");
}

BOOST_AUTO_TEST_CASE(due_deliveries_of_one_action) {
  temp_dir t;
  store s(t.state());
  s.commit(make_row(sid_a), std::vector<new_event>{make_event("a", sid_a, 100, {"hook", "log"}),
                                                   make_event("b", sid_a, 200, {"log"})});
  BOOST_TEST(keys(s.due_deliveries(1000, 10, "hook")) == (std::vector<std::string>{"a/hook"}));
  BOOST_TEST(keys(s.due_deliveries(1000, 10, "log")) ==
             (std::vector<std::string>{"a/log", "b/log"}));
  BOOST_TEST(keys(s.due_deliveries(150, 10, "log")) == (std::vector<std::string>{"a/log"}));
  BOOST_TEST(s.due_deliveries(1000, 10, "other").empty());
  BOOST_TEST((s.next_delivery_ms("log") == std::optional<std::int64_t>(100)));
  const attempt_record later{"a", "log", delivery_state::pending, 500, "HTTP 503"};
  s.record_attempts(std::span(&later, 1));
  BOOST_TEST((s.next_delivery_ms("log") == std::optional<std::int64_t>(200)));
  BOOST_TEST((s.next_delivery_ms("hook") == std::optional<std::int64_t>(100)));
  BOOST_TEST(!s.next_delivery_ms("other").has_value());
}

BOOST_AUTO_TEST_CASE(record_attempts_updates_rows) {
  temp_dir t;
  store s(t.state());
  const new_event e = make_event("e1", sid_a, 10, {"a", "b", "c"});
  s.commit(make_row(sid_a), std::span(&e, 1));
  const std::vector<attempt_record> first = {{"e1", "a", delivery_state::pending, 70, "HTTP 503"},
                                             {"e1", "b", delivery_state::failed, 80, "HTTP 410"}};
  s.record_attempts(first);
  const attempt_record second{"e1", "a", delivery_state::delivered, 90, "ok"};
  s.record_attempts(std::span(&second, 1));
  auto ds = s.deliveries_of("e1");
  BOOST_REQUIRE(ds.size() == 3u);
  const std::vector<std::tuple<std::string, int, std::int64_t, std::string>> want = {
      {"delivered", 2, 90, "ok"}, {"failed", 1, 80, "HTTP 410"}, {"pending", 0, 10, ""}};
  for (std::size_t i = 0; i < ds.size(); ++i) {
    BOOST_TEST_CONTEXT(ds[i].action) {
      BOOST_TEST(to_string(ds[i].state) == std::get<0>(want[i]));
      BOOST_TEST(ds[i].attempts == std::get<1>(want[i]));
      BOOST_TEST(ds[i].next_attempt_ms == std::get<2>(want[i]));
      BOOST_TEST(ds[i].last_result == std::get<3>(want[i]));
    }
  }
  BOOST_TEST(ds[0].updated_ms > 10);  // the store's clock, not the event's
  BOOST_TEST(s.count_deliveries(delivery_state::pending) == 1);
  BOOST_TEST(s.count_deliveries(delivery_state::delivered) == 1);
  BOOST_TEST(s.count_deliveries(delivery_state::failed) == 1);

  const std::vector<attempt_record> bad = {{"e1", "c", delivery_state::delivered, 0, "ok"},
                                           {"e1", "zz", delivery_state::delivered, 0, "ok"}};
  try {
    s.record_attempts(bad);
    BOOST_FAIL("record_attempts did not throw");
  } catch (const store_error& ex) {
    BOOST_TEST(ex.what() ==
               t.db().string() + ": record_attempts: no delivery of event 'e1' to action 'zz'");
  }
  BOOST_TEST(s.count_deliveries(delivery_state::pending) == 1);  // "c" was rolled back
}

BOOST_AUTO_TEST_CASE(next_delivery_ms_is_the_earliest_pending) {
  temp_dir t;
  store s(t.state());
  BOOST_TEST(!s.next_delivery_ms().has_value());
  const std::vector<new_event> events = {make_event("e1", sid_a, 300, {"a"}),
                                         make_event("e2", sid_a, 200, {"a"})};
  s.commit(make_row(sid_a), events);
  BOOST_TEST(s.next_delivery_ms().value_or(-1) == 200);
  const attempt_record failed{"e2", "a", delivery_state::failed, 0, "HTTP 410"};
  s.record_attempts(std::span(&failed, 1));
  BOOST_TEST(s.next_delivery_ms().value_or(-1) == 300);
  const attempt_record later{"e1", "a", delivery_state::pending, 5000, "timeout"};
  s.record_attempts(std::span(&later, 1));
  BOOST_TEST(s.next_delivery_ms().value_or(-1) == 5000);
  const attempt_record ok{"e1", "a", delivery_state::delivered, 0, "ok"};
  s.record_attempts(std::span(&ok, 1));
  BOOST_TEST(!s.next_delivery_ms().has_value());
}

BOOST_AUTO_TEST_CASE(list_deliveries_and_redeliver) {
  temp_dir t;
  store s(t.state());
  const std::vector<new_event> events = {make_event("e1", sid_a, 10, {"a", "b"}),
                                         make_event("e2", sid_a, 20, {"a"})};
  s.commit(make_row(sid_a), events);
  const std::vector<attempt_record> rs = {{"e1", "a", delivery_state::failed, 0, "HTTP 410"},
                                          {"e1", "b", delivery_state::delivered, 0, "ok"}};
  s.record_attempts(rs);
  BOOST_TEST(keys(s.list_deliveries(delivery_state::failed, 10)) ==
             std::vector<std::string>{"e1/a"});
  BOOST_TEST(keys(s.list_deliveries(std::nullopt, 10)) ==
             (std::vector<std::string>{"e1/b", "e1/a", "e2/a"}));  // most recently updated first
  BOOST_TEST(s.list_deliveries(std::nullopt, 1).size() == 1u);
  BOOST_TEST(s.redeliver("e1", 777) == 2u);
  BOOST_TEST(s.redeliver("e1", 778) == 0u);
  BOOST_TEST(s.redeliver("nope", 778) == 0u);
  auto ds = s.deliveries_of("e1");
  BOOST_REQUIRE(ds.size() == 2u);
  for (const delivery& d : ds) {
    BOOST_TEST_CONTEXT(d.action) {
      BOOST_TEST(to_string(d.state) == "pending");
      BOOST_TEST(d.attempts == 0);
      BOOST_TEST(d.next_attempt_ms == 777);
    }
  }
  BOOST_TEST(ds[0].last_result == "HTTP 410");
  BOOST_TEST(keys(s.due_deliveries(777, 10)) == (std::vector<std::string>{"e2/a", "e1/a", "e1/b"}));
}

BOOST_AUTO_TEST_CASE(two_stores_share_the_file) {
  temp_dir t;
  store daemon(t.state());
  store cli(t.state());
  const new_event e = make_event("e1", sid_a, 10, {"hook"});
  BOOST_TEST(daemon.commit(make_row(sid_a), std::span(&e, 1)).size() == 1u);
  BOOST_TEST(cli.find_session(sid_a).has_value());
  BOOST_TEST(keys(cli.due_deliveries(10, 10)) == std::vector<std::string>{"e1/hook"});
  const attempt_record failed{"e1", "hook", delivery_state::failed, 0, "HTTP 410"};
  daemon.record_attempts(std::span(&failed, 1));
  BOOST_TEST(cli.redeliver("e1", 50) == 1u);
  BOOST_TEST(daemon.next_delivery_ms().value_or(-1) == 50);
  BOOST_TEST(cli.commit(make_row(sid_a), std::span(&e, 1)).empty());
}

BOOST_AUTO_TEST_CASE(redeliver_one_action) {
  temp_dir t;
  store s(t.state());
  BOOST_TEST(store::file_in(t.state()) == t.db());
  const new_event e = make_event("e1", sid_a, 10, {"a", "b", "c"});
  s.commit(make_row(sid_a), std::span(&e, 1));
  const std::vector<attempt_record> rs = {{"e1", "a", delivery_state::failed, 0, "HTTP 410"},
                                          {"e1", "b", delivery_state::delivered, 0, "ok"}};
  s.record_attempts(rs);
  struct row {
    std::string name;
    std::string action;
    std::size_t requeued;
  };
  const std::vector<row> rows = {{"an unknown action", "zz", 0},
                                 {"a pending delivery", "c", 0},
                                 {"the failed one", "a", 1},
                                 {"the failed one again", "a", 0},
                                 {"the delivered one", "b", 1}};
  std::int64_t now = 500;
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(s.redeliver("e1", ++now, std::string_view(r.action)) == r.requeued);
    }
  }
  const auto ds = s.deliveries_of("e1");
  BOOST_REQUIRE(ds.size() == 3u);
  const std::vector<std::tuple<std::string, std::int64_t, std::string>> want = {
      {"pending", 503, "HTTP 410"}, {"pending", 505, "ok"}, {"pending", 10, ""}};
  for (std::size_t i = 0; i < ds.size(); ++i) {
    BOOST_TEST_CONTEXT(ds[i].action) {
      BOOST_TEST(to_string(ds[i].state) == std::get<0>(want[i]));
      BOOST_TEST(ds[i].next_attempt_ms == std::get<1>(want[i]));
      BOOST_TEST(ds[i].last_result == std::get<2>(want[i]));
      BOOST_TEST(ds[i].attempts == 0);
    }
  }
  BOOST_TEST(s.redeliver("nope", 600, std::string_view("a")) == 0u);
}

BOOST_AUTO_TEST_CASE(count_events_by_session_counts_one_type) {
  temp_dir t;
  store s(t.state());
  BOOST_TEST(s.count_events_by_session(event_type::done).empty());
  std::vector<new_event> a = {make_event("a0", sid_a, 10, {"j"}),
                              make_event("a1", sid_a, 20, {"j"})};
  new_event gone = make_event("b-gone", sid_b, 30, {"j"});
  gone.type = event_type::not_found;
  s.commit(make_row(sid_a), a);
  s.commit(make_row(sid_b), std::span(&gone, 1));
  const auto done = s.count_events_by_session(event_type::done);
  BOOST_TEST(done.size() == 1u);
  BOOST_TEST(done.at(sid_a) == 2);
  BOOST_TEST(s.count_events_by_session(event_type::not_found).at(sid_b) == 1);
}

// A disabled action is kept across a reopen, the first disable of it wins, and enabling it is
// reported once.
BOOST_AUTO_TEST_CASE(disabled_actions_are_kept_until_enabled) {
  temp_dir t;
  {
    store s(t.state());
    BOOST_TEST(s.disabled_actions().empty());
    s.disable_action({.action = "hook",
                      .since_ms = 100,
                      .reason = "HTTP 410 Gone",
                      .target = "https://a.example/h"});
    s.disable_action({.action = "hook", .since_ms = 200, .reason = "later", .target = "x"});
    s.disable_action({.action = "alerts",
                      .since_ms = 300,
                      .reason = "HTTP 410 Gone",
                      .target = "https://b.example/h"});
  }
  store s(t.state());
  const auto rows = s.disabled_actions();
  BOOST_TEST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].action == "alerts");
  BOOST_TEST(rows[1].action == "hook");
  BOOST_TEST(rows[1].since_ms == 100);
  BOOST_TEST(rows[1].reason == "HTTP 410 Gone");
  BOOST_TEST(rows[1].target == "https://a.example/h");
  BOOST_TEST(s.enable_action("hook"));
  BOOST_TEST(!s.enable_action("hook"));
  BOOST_TEST(!s.enable_action("never-disabled"));
  BOOST_TEST(s.disabled_actions().size() == 1u);
}
