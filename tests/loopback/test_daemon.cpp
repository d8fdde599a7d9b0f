#include "support/daemon_env.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/domain/session_phase.hpp"

using namespace itest;

BOOST_AUTO_TEST_CASE(done_is_detected_and_logged_once) {
  env e;
  const auto id = sid(0x101);
  e.api->add_session(sim::done_at_poll(id, 3));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(id)) > 0; }, 10s));
  e.run_for(500ms);  // a second line, or a poll after done, would show up here

  BOOST_TEST(e.action_lines(done_id(id)) == 1u);
  const auto line = e.logs.matching({" action.log ", done_id(id)}).at(0);
  BOOST_TEST(ft::log_field(line, "text").value_or("") == "FJWTEST session.done " + id + " 25");
  BOOST_TEST(e.lines("session.done", id) == 1u);
  BOOST_TEST(e.api->polls_of(id) == 3);
  const auto v = e.view(id);
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST((v->phase == fjwatch::session_phase::done_stopped));
  BOOST_TEST(v->events == 1u);
  BOOST_TEST(v->next_poll_ms == 0);
  BOOST_TEST(e.d->delivered() == 1u);
  e.stop();

  fjwatch::store db(e.state_dir());
  const auto row = db.find_session(id);
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST((row->phase == fjwatch::session_phase::done_stopped));
  BOOST_TEST((row->status == fjwatch::matching_status::done));
  const auto ds = db.deliveries_of(done_id(id));
  BOOST_TEST_REQUIRE(ds.size() == 1u);
  BOOST_TEST(ds[0].action == "journal");
  BOOST_TEST((ds[0].state == fjwatch::delivery_state::delivered));
  BOOST_TEST(ds[0].attempts == 1);
}

// 120 sessions whose first answer is processing and second done: every row change is
// written, but polls that end close together share one transaction (group commit).
BOOST_AUTO_TEST_CASE(state_changes_are_committed_in_groups) {
  env e;
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 120; ++i) {
    ids.push_back(sid(0x1000 + i));
    e.api->add_session(sim::done_at_poll(ids.back(), 2));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return e.logs.count({" action.log "}) >= ids.size(); }, 30s));
  const auto s = e.d->stats();
  BOOST_TEST(s.events_recorded == ids.size());
  BOOST_TEST(s.state_rows_committed == 2 * ids.size());  // processing, then done
  BOOST_TEST_MESSAGE(s.state_commits << " transactions for " << s.state_rows_committed << " rows");
  BOOST_TEST(s.state_commits <= s.state_rows_committed / 2,
             s.state_commits << " transactions for " << s.state_rows_committed << " rows");
  e.stop();
  fjwatch::store db(e.state_dir());
  for (const auto& id : ids) {
    const auto row = db.find_session(id);
    BOOST_TEST_REQUIRE(row.has_value());
    BOOST_TEST((row->status == fjwatch::matching_status::done));
    BOOST_TEST(db.deliveries_of(done_id(id)).size() == 1u);
  }
}

// api.pipeline 4 on 2 connections: 40 sessions, each seen done once, their polls sent several at
// a time on the two connections.
BOOST_AUTO_TEST_CASE(pipelined_polls_fire_each_done_once) {
  env e({}, tuning{.workers = 2, .pipeline = 4});
  std::vector<std::string> ids;
  std::vector<int> done_at;
  for (unsigned i = 0; i < 40; ++i) {
    ids.push_back(sid(0x1800 + i));
    done_at.push_back(2 + static_cast<int>(i % 3));
    e.api->add_session(sim::done_at_poll(ids.back(), done_at.back()));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return e.logs.count({" action.log "}) >= ids.size(); }, 30s));
  e.run_for(300ms);  // a second line for any of them would show up here
  for (std::size_t i = 0; i < ids.size(); ++i) {
    BOOST_TEST_CONTEXT("session " << ids[i]) {
      BOOST_TEST(e.action_lines(done_id(ids[i])) == 1u);
      BOOST_TEST(e.api->polls_of(ids[i]) == done_at[i]);  // no poll after done, none lost
    }
  }
  const auto api = e.api->snapshot();
  BOOST_TEST(api.pipelined > 0);
  BOOST_TEST(api.connections == 2);
}

// An API that never answers a request sent behind another: the first set that shows it turns
// pipelining off for good (one warning), its polls fail and are retried one at a time, and every
// done still fires once.
BOOST_AUTO_TEST_CASE(an_api_that_ignores_pipelined_polls_gets_one_at_a_time) {
  env e({.pipelined_requests = sim::pipelining::ignore}, tuning{.workers = 2, .pipeline = 4});
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 20; ++i) {
    ids.push_back(sid(0x1900 + i));
    e.api->add_session(sim::done_at_poll(ids.back(), 2));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return e.logs.count({" action.log "}) >= ids.size(); }, 30s));
  e.run_for(300ms);  // a second line for any of them would show up here
  BOOST_TEST(e.logs.count({" api.pipelining_off ", "reason=\"no answer after"}) == 1u);
  for (const auto& id : ids) BOOST_TEST(e.action_lines(done_id(id)) == 1u);
  const auto pipelined = e.api->snapshot().pipelined;
  BOOST_TEST(pipelined >= 1);
  // From then on one request at a time: the server sees nothing more behind another.
  const auto more = sid(0x1999);
  e.api->add_session(sim::done_at_poll(more, 3));
  ids.push_back(more);
  e.watch(ids);
  e.d->reload_watch_list();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(more)) == 1u; }, 10s));
  BOOST_TEST(e.api->snapshot().pipelined == pipelined);
}

BOOST_AUTO_TEST_CASE(restart_does_not_fire_again) {
  env e;
  const auto first = sid(0x201), sentinel = sid(0x202);
  e.api->add_session(sim::done_at_poll(first, 1));
  e.watch({first});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(first)) > 0; }, 10s));
  e.stop();
  const auto polls_before = e.api->polls_of(first);
  BOOST_TEST(polls_before == 1);

  e.api->add_session(sim::done_at_poll(sentinel, 4));
  e.watch({first, sentinel});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(sentinel)) > 0; }, 10s));
  BOOST_TEST(e.action_lines(done_id(first)) == 1u);
  BOOST_TEST(e.lines("session.done", first) == 1u);
  BOOST_TEST(e.api->polls_of(first) == polls_before);
  const auto v = e.view(first);
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST((v->phase == fjwatch::session_phase::done_stopped));
  BOOST_TEST(v->polls == 0u);
  BOOST_TEST(e.api->polls_of(sentinel) == 4);
}

BOOST_AUTO_TEST_CASE(pending_delivery_is_sent_after_restart) {
  env e;
  const auto id = sid(0x301);
  const auto now = unix_ms_now();
  fjwatch::event_facts facts;
  facts.session_id = id;
  facts.status = fjwatch::matching_status::done;
  facts.title = "Crash test";
  facts.matched = 25;
  facts.total_for_matching = 25;
  const fjwatch::new_event ev{
      .id = fjwatch::event_id(fjwatch::event_type::done, facts),
      .type = fjwatch::event_type::done,
      .session_id = id,
      .created_ms = now,
      .payload = fjwatch::event_payload(fjwatch::event_type::done, facts, now),
      .fields = facts,
      .actions = {"journal"}};
  BOOST_TEST_REQUIRE(ev.id == done_id(id));
  {
    fjwatch::store db(e.state_dir());
    const fjwatch::session_row row{.id = id,
                                   .status = fjwatch::matching_status::done,
                                   .matched = 25,
                                   .total_for_matching = 25,
                                   .title = "Crash test",
                                   .first_seen_ms = now,
                                   .waiting_since_ms = now,
                                   .last_change_ms = now,
                                   .phase = fjwatch::session_phase::done_stopped};
    BOOST_TEST_REQUIRE(db.commit(row, std::span(&ev, 1)).size() == 1u);
  }
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(ev.id) > 0; }, 5s));
  e.run_for(400ms);
  BOOST_TEST(e.action_lines(ev.id) == 1u);
  BOOST_TEST(e.lines("session.done", id) == 0u);  // not recorded again
  BOOST_TEST(e.api->polls_of(id) == 0);           // done and stopped: never polled
  e.stop();
  fjwatch::store db(e.state_dir());
  const auto ds = db.deliveries_of(ev.id);
  BOOST_TEST_REQUIRE(ds.size() == 1u);
  BOOST_TEST((ds[0].state == fjwatch::delivery_state::delivered));
}

BOOST_AUTO_TEST_CASE(unauthorized_pauses_then_recovers) {
  env e;
  const std::vector<std::string> ids{sid(0x401), sid(0x402), sid(0x403)};
  for (const auto& id : ids) e.api->add_session(sim::done_at_poll(id, 1));
  e.watch(ids);
  const std::string daemon_key = "fjk_itest_other_key_0000";  // not the one the API expects
  e.start(daemon_key);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" api.unauthorized "}) > 0; }, 5s));
  // The three first polls were in flight together; then one probe after the 1 s pause.
  e.run_for(1500ms);
  BOOST_TEST(e.logs.count({" api.unauthorized "}) == 1u);
  BOOST_TEST(e.api->snapshot().unauthorized_401 == 4);
  BOOST_TEST(e.api->snapshot().requests == 4);
  BOOST_TEST(e.d->stats().auth_failing);
  BOOST_TEST(e.logs.count({" action.log "}) == 0u);
  for (const auto& v : e.d->sessions())
    BOOST_TEST(v.last_error == "unauthorized: API key rejected");

  e.api->set_api_key(daemon_key);  // the key is accepted from now on
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" api.authorized "}) > 0; }, 5s));
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" action.log "}) == 3; }, 5s));
  for (const auto& id : ids) BOOST_TEST(e.action_lines(done_id(id)) == 1u);
  BOOST_TEST(e.logs.count({" api.unauthorized "}) == 1u);
  BOOST_TEST(e.logs.count({" api.authorized "}) == 1u);
  BOOST_TEST(!e.d->stats().auth_failing);
  BOOST_TEST(e.api->snapshot().unauthorized_401 == 4);  // no 401 after the key was accepted
}

BOOST_AUTO_TEST_CASE(not_found_fires_once_and_stops_polling) {
  env e;
  const auto missing = sid(0x501), sentinel = sid(0x502);
  e.api->add_session(sim::done_at_poll(sentinel, 6));
  e.watch({missing, sentinel});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(sentinel)) > 0; }, 10s));
  BOOST_TEST(e.api->snapshot().not_found_404 == 1);
  BOOST_TEST(e.lines("session.not_found", missing) == 1u);
  BOOST_TEST(e.action_lines("fjw_" + missing + "_not_found") == 1u);
  const auto v = e.view(missing);
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST((v->phase == fjwatch::session_phase::not_found));
  BOOST_TEST(v->polls == 1u);
  BOOST_TEST(v->next_poll_ms == 0);
}

BOOST_AUTO_TEST_CASE(rate_limited_pauses_every_request) {
  env e({}, tuning{.workers = 1});
  const auto limited = sid(0x601), other = sid(0x602);
  auto s = with_fault(sim::done_at_poll(limited, 2), sim::fault::rate_limited, 1);
  s.retry_after = 1s;
  e.api->add_session(s);
  e.api->add_session(processing(other));
  e.watch({limited, other});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" api.rate_limited "}) > 0; }, 5s));
  const auto t0 = steady::now();
  const auto requests = e.api->snapshot().requests;
  const auto before = e.view(limited);
  BOOST_TEST_REQUIRE(before.has_value());
  BOOST_TEST(before->next_poll_ms - before->last_poll_ms >= 990);

  BOOST_TEST_REQUIRE(e.run_until([&] { return e.api->snapshot().requests > requests; }, 3s));
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count() >=
             950);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(limited)) > 0; }, 3s));
  const auto after = e.view(limited);
  BOOST_TEST(after->last_poll_ms - before->last_poll_ms >= 990);
  BOOST_TEST(e.api->snapshot().rate_limited_429 == 1);
  BOOST_TEST(e.logs.count({" api.rate_limited "}) == 1u);
}

// The server allows 8 requests per 2 s window and says so in RateLimit-Remaining/-Reset; 8
// sessions would like one every 100 ms. The requests left are spread over each window instead of
// spent in its first few milliseconds and then waited out.
BOOST_AUTO_TEST_CASE(the_servers_budget_is_spread_over_its_window) {
  sim::options so;
  so.rate_limit = 8;
  so.rate_window = 2s;
  env e(so);
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 8; ++i) ids.push_back(sid(0x680 + i));
  for (const auto& id : ids) e.api->add_session(processing(id));
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.api->snapshot().requests >= 8; }, 5s));
  // 20 slices of 200 ms: how many saw a request at all.
  int busy_slices = 0;
  auto seen = e.api->snapshot().requests;
  for (int slice = 0; slice < 20; ++slice) {
    e.run_for(200ms);
    const auto now = e.api->snapshot().requests;
    if (now > seen) ++busy_slices;
    seen = now;
  }
  const auto stats = e.api->snapshot();
  BOOST_TEST_MESSAGE(busy_slices << " of 20 slices had a request; " << stats.requests
                                 << " requests");
  BOOST_TEST(busy_slices >= 8);  // about 12 here; 2 when the budget is spent at once
  BOOST_TEST(stats.rate_limited_429 == 0);
  BOOST_TEST(stats.requests <= 8 * 4);  // at most 4 windows were open (2 s before, 4 s during)
}

BOOST_AUTO_TEST_CASE(server_errors_back_off_then_done) {
  env e;
  const auto id = sid(0x701);
  auto s = with_fault(sim::done_at_poll(id, 4), sim::fault::http_503, 3);
  s.retry_after = 0s;
  e.api->add_session(s);
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(id)) > 0; }, 10s));
  BOOST_TEST(e.api->snapshot().errors_5xx == 3);
  BOOST_TEST(e.api->polls_of(id) == 4);
  const auto failed = e.logs.matching({" poll.failed session=" + id + " "});
  BOOST_TEST_REQUIRE(failed.size() == 3u);
  for (const auto& l : failed) {
    BOOST_TEST_CONTEXT(l) {
      BOOST_TEST(ft::log_field(l, "outcome").value_or("") == "server_error");
      BOOST_TEST(ft::log_field(l, "http_status").value_or("") == "503");
      BOOST_TEST(ft::log_field(l, "request_id").value_or("").starts_with("sim-"));
    }
  }
  BOOST_TEST(e.action_lines(done_id(id)) == 1u);
}

BOOST_AUTO_TEST_CASE(bad_bodies_never_fire_and_sessions_recover) {
  env e;
  const std::vector<std::pair<sim::fault, std::string>> rows{
      {sim::fault::malformed_json, "bad_response"},
      {sim::fault::wrong_type, "bad_response"},
      {sim::fault::huge_body, "bad_response"},
      {sim::fault::endless_body, "network_error"}};
  std::vector<std::string> ids;
  for (unsigned i = 0; i < rows.size(); ++i) {
    ids.push_back(sid(0x801 + i));
    e.api->add_session(with_fault(sim::done_at_poll(ids.back(), 2), rows[i].first, 1));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return e.logs.count({" action.log "}) >= ids.size(); }, 15s));
  e.run_for(300ms);
  BOOST_TEST(e.logs.count({" action.log "}) == ids.size());
  BOOST_TEST(e.d->stats().events_recorded == ids.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    BOOST_TEST_CONTEXT(sim::to_string(rows[i].first)) {
      BOOST_TEST(e.action_lines(done_id(ids[i])) == 1u);
      const auto failed = e.logs.matching({" poll.failed session=" + ids[i] + " "});
      BOOST_TEST_REQUIRE(failed.size() == 1u);
      BOOST_TEST(ft::log_field(failed[0], "outcome").value_or("") == rows[i].second);
      BOOST_TEST(e.api->polls_of(ids[i]) == 2);
    }
  }
  const auto endless = e.logs.matching({" poll.failed session=" + ids[3] + " "}).at(0);
  BOOST_TEST(ft::log_field(endless, "reason").value_or("") == "timeout after 1s");
  BOOST_TEST(e.api->snapshot().endless_bodies == 1);
  BOOST_TEST(e.d->exit_code() == 0);
}

namespace {

// A daemon that cannot trust the server's certificate: every poll fails in the handshake, before
// the key is sent.
void expect_tls_refused(env& e) {
  const auto id = sid(0x901);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.lines("poll.failed", id) >= 2; }, 5s));
  const auto v = e.view(id);
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST(v->last_error.starts_with("network_error: TLS handshake: "));
  BOOST_TEST(contains(v->last_error, "certificate"));
  BOOST_TEST(e.api->snapshot().requests_with_key == 0);
  BOOST_TEST(e.api->snapshot().requests == 0);
  BOOST_TEST(e.logs.count({" action.log "}) == 0u);
}

}  // namespace

BOOST_AUTO_TEST_CASE(certificate_for_another_host_is_refused) {
  const auto ca = sim::make_ca("fjwatch itest CA");
  env e(sim::options{.cert = sim::issue_cert(ca, {"other.example"}), .ca_pem = ca.cert});
  expect_tls_refused(e);
}

BOOST_AUTO_TEST_CASE(unknown_ca_is_refused) {
  env e({}, tuning{.ca_pem = sim::make_ca("fjwatch stranger CA").cert});
  expect_tls_refused(e);
}

BOOST_AUTO_TEST_CASE(redirect_is_not_followed) {
  env e;
  const auto id = sid(0xa01);
  e.api->add_session(with_fault(sim::done_at_poll(id, 3), sim::fault::redirect, 2));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(id)) > 0; }, 10s));
  const auto failed = e.logs.matching({" poll.failed session=" + id + " "});
  BOOST_TEST_REQUIRE(failed.size() == 2u);
  for (const auto& l : failed) {
    BOOST_TEST(ft::log_field(l, "outcome").value_or("") == "bad_response");
    BOOST_TEST(ft::log_field(l, "reason").value_or("") ==
               "redirect to https://elsewhere.invalid/api/v1/wl/sourcing-session/" + id +
                   " not followed");
  }
  BOOST_TEST(e.api->snapshot().redirects_3xx == 2);
  BOOST_TEST(e.api->polls_of(id) == 3);
  BOOST_TEST(e.action_lines(done_id(id)) == 1u);
}

BOOST_AUTO_TEST_CASE(watch_list_edits_are_followed) {
  env e;
  const auto a = sid(0xb01), b = sid(0xb02), c = sid(0xb03);
  for (const auto& id : {a, b, c}) e.api->add_session(processing(id));
  e.watch({a});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.api->polls_of(a) > 0; }, 2s));
  auto picked_up_within_1s = [&](const std::string& id) {
    const auto t0 = steady::now();
    return e.run_until([&] { return e.api->polls_of(id) > 0; }, 2s) && steady::now() - t0 <= 1s;
  };

  e.dir.write("watchlist.yaml", env::watch_text({a, b}));  // in place
  BOOST_TEST(picked_up_within_1s(b));
  e.dir.replace("watchlist.yaml", env::watch_text({a, b, c}));  // editor-style rename
  BOOST_TEST(picked_up_within_1s(c));

  e.dir.replace("watchlist.yaml", env::watch_text({b, c}));
  BOOST_TEST_REQUIRE(e.run_until([&] { return !e.view(a); }, 2s));
  auto polls = [&] {
    return std::array{e.api->polls_of(a), e.api->polls_of(b), e.api->polls_of(c)};
  };
  auto before = polls();
  e.run_for(1s);  // max_interval 300ms: b and c are polled at least twice
  auto after = polls();
  BOOST_TEST(after[0] == before[0]);
  BOOST_TEST(after[1] >= before[1] + 2);
  BOOST_TEST(after[2] >= before[2] + 2);

  e.dir.write("watchlist.yaml", "sessions: [\n  - " + b + "\n");  // does not parse
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" watchlist.unusable "}) > 0; }, 2s));
  before = polls();
  e.run_for(1s);
  after = polls();
  BOOST_TEST(e.logs.count({" watchlist.unusable "}) == 1u);
  BOOST_TEST(after[1] >= before[1] + 2);
  BOOST_TEST(after[2] >= before[2] + 2);
  BOOST_TEST(e.d->sessions().size() == 2u);

  e.dir.replace("watchlist.yaml", env::watch_text({b}));  // good again: c goes
  BOOST_TEST(e.run_until([&] { return !e.view(c) && e.view(b); }, 2s));
  BOOST_TEST(e.d->sessions().size() == 1u);
}

BOOST_AUTO_TEST_CASE(missing_watch_list_then_created) {
  env e;
  const auto id = sid(0xc01);
  e.api->add_session(processing(id));
  e.start();
  BOOST_TEST(e.d->sessions().empty());
  BOOST_TEST(e.logs.count({"warn watchlist.problem ", "file not found"}) == 1u);
  e.run_for(300ms);
  BOOST_TEST(e.api->snapshot().requests == 0);
  e.watch({id});
  const auto t0 = steady::now();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.api->polls_of(id) > 0; }, 2s));
  BOOST_TEST((steady::now() - t0 <= 1s));
  BOOST_TEST(e.d->sessions().size() == 1u);
}

BOOST_AUTO_TEST_CASE(stop_aborts_polls_in_flight) {
  env e(sim::options{.latency = 5s});
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 4; ++i) {
    ids.push_back(sid(0xd01 + i));
    e.api->add_session(processing(ids.back()));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.api->snapshot().requests == 4; }, 3s));
  const auto t0 = steady::now();
  e.d->stop();
  BOOST_TEST(e.run_until([&] { return e.d->stopped(); }, 2s));
  BOOST_TEST(ft::run_to_idle(e.ioc, 2s));
  BOOST_TEST((steady::now() - t0 < 2s));
  BOOST_TEST(e.d->exit_code() == 0);
  for (const auto& v : e.d->sessions()) BOOST_TEST(v.polls == 0u);  // outcomes dropped
}
