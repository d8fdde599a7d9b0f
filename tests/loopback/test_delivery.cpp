// Webhook and command actions end to end: the daemon in-process, the simulated API and a webhook
// receiver on loopback over real TLS; the receiver checks signatures with code of its own.
#include "support/daemon_env.hpp"
#include "support/hook_config.hpp"
#include "support/receiver_thread.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <boost/json.hpp>

#include <fstream>

using namespace itest;

using fjwatch::testing::receiver_thread;
using namespace itest::hooks;
constexpr const char* secret = fjwatch::testing::webhook_secret;

BOOST_AUTO_TEST_CASE(webhook_delivers_a_signed_event) {
  receiver_thread rx;
  env e({}, tuning{.actions = hook_yaml("hook", rx), .defaults = "[journal, hook]"});
  hook_files("hook", rx, e.dir);
  const auto id = sid(0x201);
  e.api->add_session(sim::done_at_poll(id, 2));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 1 && e.d->delivered() >= 2; }, 10s));
  e.run_for(300ms);  // a second request would show here

  const auto got = rx->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  const auto& r = got[0];
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.target == "/hook");
  BOOST_TEST(r.id == done_id(id));
  BOOST_TEST(r.signature_ok, r.signature_problem);
  BOOST_TEST(r.content_type == "application/json");
  BOOST_TEST(r.user_agent == "fjwatch/" FJWATCH_VERSION);
  BOOST_TEST(r.headers.at("x-team") == "sourcing");
  const auto now_s = unix_ms_now() / 1000;
  BOOST_TEST(std::abs(std::stoll(r.timestamp) - now_s) <= 5);
  const auto body = boost::json::parse(r.body).as_object();
  BOOST_TEST(body.at("type").as_string() == "session.done");
  const auto& data = body.at("data").as_object();
  BOOST_TEST(data.at("session_id").as_string() == id);
  BOOST_TEST(data.at("matched").as_int64() == 25);
  BOOST_TEST(data.at("session").as_object().at("_id").as_string() == id);
  BOOST_TEST(data.at("session").as_object().at("profileMatchingStatus").as_string() == "done");

  e.stop();
  const auto rows = deliveries_of(e, done_id(id));
  BOOST_TEST_REQUIRE(rows.size() == 2u);  // hook and journal, by action name
  BOOST_TEST(rows[0].action == "hook");
  BOOST_TEST((rows[0].state == fjwatch::delivery_state::delivered));
  BOOST_TEST(rows[0].attempts == 1);
  BOOST_TEST(rows[0].last_result == "HTTP 200");
}

BOOST_AUTO_TEST_CASE(failures_are_retried_with_the_same_id_until_accepted) {
  receiver_thread rx;
  // 503, a redirect (never followed), 400, 500, a hang past the timeout, then the default 200.
  rx->script({{sim::reply_kind::status, 503, ""},
              {sim::reply_kind::redirect, 302, ""},
              {sim::reply_kind::status, 400, ""},
              {sim::reply_kind::status, 500, ""},
              {sim::reply_kind::hang, 200, ""}});
  env e({}, tuning{.actions = hook_yaml("hook", rx), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  const auto id = sid(0x202);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() >= 1; }, 15s));

  const auto got = rx->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 6u);
  for (const auto& r : got) {
    BOOST_TEST_CONTEXT(sim::to_string(r.kind) << " " << r.answered_status) {
      BOOST_TEST(r.id == done_id(id));
      BOOST_TEST(r.signature_ok, r.signature_problem);
      BOOST_TEST(r.target == "/hook");  // the redirect's Location was never requested
    }
  }
  // Each attempt is signed afresh: the timestamp may move, the body never does.
  BOOST_TEST(got.front().body == got.back().body);
  e.stop();
  const auto rows = deliveries_of(e, done_id(id));
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST((rows[0].state == fjwatch::delivery_state::delivered));
  BOOST_TEST(rows[0].attempts == 6);
}

// A 410 disables the action (Standard Webhooks): that delivery and every later one are held,
// nothing more is sent to it, across a restart too; enabling it (what `fjwatch enable` writes)
// sends what was held, each with its own webhook-id. Another action is not touched.
BOOST_AUTO_TEST_CASE(gone_disables_the_action_until_it_is_enabled) {
  receiver_thread rx;
  rx->set_default({sim::reply_kind::status, 410, ""});
  env e({}, tuning{.actions = hook_yaml("hook", rx), .defaults = "[journal, hook]"});
  hook_files("hook", rx, e.dir);
  const auto first = sid(0x203), later = sid(0x204);
  e.api->add_session(sim::done_at_poll(first, 1));
  e.watch({first});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" action.disabled "}) == 1u; }, 10s));
  BOOST_TEST(e.logs.count({" action.disabled ", "HTTP 410 Gone"}) == 1u);
  // A later event: recorded, journaled, held for the hook.
  e.api->add_session(sim::done_at_poll(later, 2));
  e.watch({first, later});
  e.d->reload_watch_list();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(later)) == 1u; }, 10s));
  e.run_for(600ms);  // the schedule's 100 ms retries would land here
  BOOST_TEST(rx->count() == 1u);
  // Still disabled after a restart; the held rows are pending, not failed.
  e.stop();
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" action.disabled "}) == 2u; }, 5s));
  e.run_for(300ms);
  BOOST_TEST(rx->count() == 1u);
  for (const auto& id : {first, later}) {
    const auto rows = deliveries_of(e, done_id(id));
    BOOST_TEST_REQUIRE(rows.size() == 2u);  // hook, journal
    BOOST_TEST((rows[0].state == fjwatch::delivery_state::pending));
    BOOST_TEST((rows[1].state == fjwatch::delivery_state::delivered));
  }
  // Enabled: what was held goes out, once each.
  rx->set_default({sim::reply_kind::status, 200, ""});
  BOOST_TEST(fjwatch::store(e.state_dir()).enable_action("hook"));
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 3u; }, 15s));
  e.run_for(300ms);
  BOOST_TEST(rx->count() == 3u);
  BOOST_TEST(e.logs.count({" action.enabled ", "action=hook"}) == 1u);
  std::vector<std::string> ids;
  for (const auto& r : rx->deliveries()) ids.push_back(r.id);
  BOOST_TEST((ids == std::vector<std::string>{done_id(first), done_id(first), done_id(later)}));
}

BOOST_AUTO_TEST_CASE(retry_after_on_429_is_honoured) {
  receiver_thread rx;
  rx->script({{sim::reply_kind::status, 429, "1"}});
  env e({}, tuning{.actions = hook_yaml("hook", rx), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  const auto id = sid(0x204);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return !rx->ids().empty(); }, 10s));
  const auto got = rx->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 2u);
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(got[1].at - got[0].at);
  BOOST_TEST(gap.count() >= 990, "second attempt after " << gap.count() << " ms");
}

BOOST_AUTO_TEST_CASE(a_receiver_down_and_back_gets_everything) {
  receiver_thread rx;
  rx->go_down();
  env e({}, tuning{.actions = hook_yaml("hook", rx), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  std::vector<std::string> ids;
  for (unsigned n = 0; n < 5; ++n) {
    ids.push_back(sid(0x210 + n));
    e.api->add_session(sim::done_at_poll(ids.back(), 1));
  }
  e.watch(ids);
  e.start();
  // Every delivery fails at least once while the receiver refuses connections.
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" delivery.retry "}) >= 5; }, 10s));
  BOOST_TEST(rx->count() == 0u);
  rx->go_up();
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == ids.size(); }, 15s));
  for (const auto& r : rx->deliveries()) BOOST_TEST(r.signature_ok, r.signature_problem);
}

BOOST_AUTO_TEST_CASE(a_hanging_target_does_not_hold_up_another) {
  receiver_thread slow;
  receiver_thread fast;
  slow->set_default({sim::reply_kind::hang, 200, ""});
  env e({}, tuning{.actions = hook_yaml("slow", slow) + hook_yaml("fast", fast),
                   .defaults = "[slow, fast]"});
  hook_files("slow", slow, e.dir);
  hook_files("fast", fast, e.dir);
  std::vector<std::string> ids;
  for (unsigned n = 0; n < 3; ++n) {
    ids.push_back(sid(0x220 + n));
    e.api->add_session(sim::done_at_poll(ids.back(), 1));
  }
  e.watch(ids);
  e.start();
  // The slow target holds its first request; meanwhile the fast one gets everything.
  BOOST_TEST_REQUIRE(e.run_until([&] { return slow->count() >= 1; }, 10s));
  BOOST_TEST_REQUIRE(e.run_until([&] { return fast->ids().size() == ids.size(); }, 10s));
  BOOST_TEST(slow->ids().empty());
}

BOOST_AUTO_TEST_CASE(command_gets_the_event_on_stdin_and_in_its_environment) {
  ft::temp_dir scripts{"fjwatch-cmd"};
  const auto script =
      scripts.write("record.sh",
                    "#!/bin/sh\n{ echo \"$FJWATCH_EVENT $FJWATCH_EVENT_ID $FJWATCH_SESSION_ID "
                    "${FJ_API_KEY:-nokey}\"; cat; } > \"$1\"\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const auto out = scripts / "out.txt";
  env e({}, tuning{.actions = "  - name: script\n    type: command\n    argv: [" + script.string() +
                              ", " + out.string() + "]\n    timeout: 5s\n",
                   .defaults = "[script]"});
  const auto id = sid(0x230);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  ::setenv("FJ_API_KEY", api_key, 1);  // must not reach the command
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() >= 1; }, 10s));
  ::unsetenv("FJ_API_KEY");
  std::ifstream in(out);
  std::string first;
  std::getline(in, first);
  BOOST_TEST(first == "session.done " + done_id(id) + " " + id + " nokey");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(boost::json::parse(json).as_object().at("type").as_string() == "session.done");
}

BOOST_AUTO_TEST_CASE(a_stop_ends_a_running_command_and_records_nothing) {
  ft::temp_dir scripts{"fjwatch-cmd"};
  const auto started = scripts / "started";
  const auto script = scripts.write("slow.sh", "#!/bin/sh\ntouch \"$1\"\nexec sleep 30\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  env e({}, tuning{.actions = "  - name: script\n    type: command\n    argv: [" + script.string() +
                              ", " + started.string() + "]\n    timeout: 1m\n",
                   .defaults = "[script]"});
  const auto id = sid(0x231);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return std::filesystem::exists(started); }, 10s));
  const auto t0 = steady::now();
  e.stop();  // asserts the daemon's tasks end within its bound
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count() <
             2000);
  const auto rows = deliveries_of(e, done_id(id));
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST((rows[0].state == fjwatch::delivery_state::pending));
  BOOST_TEST(rows[0].attempts == 0);  // the cut-short attempt was not recorded
}

// Milliseconds since midnight of a log line's timestamp (2026-12-07T04:42:27.699Z ...).
std::int64_t log_ms(std::string_view line) {
  const auto at = line.find('T');
  BOOST_TEST_REQUIRE(at != std::string_view::npos);
  const auto field = [&](std::size_t pos, std::size_t len) {
    return std::stoll(std::string(line.substr(at + pos, len)));
  };
  return ((field(1, 2) * 60 + field(4, 2)) * 60 + field(7, 2)) * 1000 + field(10, 3);
}

BOOST_AUTO_TEST_CASE(a_failing_target_is_paused_then_resumed) {
  receiver_thread rx;
  rx->set_default({sim::reply_kind::status, 500, ""});
  // One attempt at a time. The target fails five times in a row and keeps failing for the
  // schedule's first step (1 s): the breaker opens for the longest step not longer than that.
  const hook_settings one_at_a_time{
      .timeout = "2s", .retry_schedule = "[1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s]", .max_in_flight = 1};
  env e({}, tuning{.actions = hook_yaml("hook", rx, one_at_a_time), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  std::vector<std::string> ids;
  for (unsigned n = 0; n < 8; ++n) {
    ids.push_back(sid(0x240 + n));
    e.api->add_session(sim::done_at_poll(ids.back(), 1));
  }
  e.watch(ids);
  e.start();
  BOOST_TEST_REQUIRE(e.run_until(
      [&] {
        return e.logs.count({" delivery.target_paused ", "action=hook"}) >= 1;
      },
      10s));
  BOOST_TEST_REQUIRE(rx->count() >= 5u);
  rx->set_default({});
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == ids.size(); }, 15s));
  BOOST_TEST(e.logs.count({" delivery.target_resumed ", "action=hook"}) == 1u);
  // While the circuit was open nothing was sent: the first attempt to end after the pause began
  // (the probe) ended a pause (1 s) later.
  std::optional<std::int64_t> paused_at;
  std::optional<std::int64_t> next_at;
  for (const auto& l : e.logs.lines()) {
    if (!paused_at && contains(l, " delivery.target_paused ")) {
      paused_at = log_ms(l);
    } else if (paused_at && !next_at &&
               (contains(l, " delivery.retry ") || contains(l, " delivery.ok "))) {
      next_at = log_ms(l);
    }
  }
  BOOST_TEST_REQUIRE((paused_at && next_at));
  constexpr std::int64_t day_ms = 24 * 3600 * 1000;
  const auto apart = (*next_at - *paused_at + day_ms) % day_ms;  // a pause across midnight too
  BOOST_TEST(apart >= 950, "the probe ended " << apart << " ms after the pause began");
}

BOOST_AUTO_TEST_CASE(two_secrets_sign_every_request_while_keys_rotate) {
  constexpr const char* old_secret = "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
  // Each receiver verifies with one key only, so each accepted request carried a good signature
  // under that key.
  receiver_thread on_new;                // already moved to the new key
  receiver_thread on_old({old_secret});  // still on the old one
  const hook_settings both_keys{.secret_file = "[new.secret, old.secret]"};
  env e({}, tuning{.actions = hook_yaml("a", on_new, both_keys) + hook_yaml("b", on_old, both_keys),
                   .defaults = "[a, b]"});
  e.dir.write("new.secret", std::string(secret) + "\n");
  e.dir.write("old.secret", std::string(old_secret) + "\n");
  e.dir.write("a-ca.pem", on_new->ca_pem());
  e.dir.write("b-ca.pem", on_old->ca_pem());
  const auto id = sid(0x250);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return on_new->count() >= 1 && on_old->count() >= 1; }, 10s));
  for (auto* rx : {&on_new, &on_old}) {
    const auto r = (*rx)->deliveries().at(0);
    BOOST_TEST(r.signature_ok, r.signature_problem);
    BOOST_TEST(r.answered_status == 200);
    // Two space-separated v1 signatures, the new key's first.
    const auto space = r.signature.find(' ');
    BOOST_TEST_REQUIRE(space != std::string::npos);
    BOOST_TEST(r.signature.substr(0, 3) == "v1,");
    BOOST_TEST(r.signature.substr(space + 1, 3) == "v1,");
    BOOST_TEST(r.signature.find(' ', space + 1) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_query_in_the_url_is_sent_and_never_logged) {
  receiver_thread rx;
  const hook_settings with_query{.path = "/hook?token=s3cr3t%2Fx&team=a"};
  env e({}, tuning{.actions = hook_yaml("hook", rx, with_query), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  const auto id = sid(0x260);
  e.api->add_session(sim::done_at_poll(id, 1));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == 1; }, 10s));
  BOOST_TEST(rx->deliveries().at(0).target == "/hook?token=s3cr3t%2Fx&team=a");
  BOOST_TEST(e.logs.count({"s3cr3t"}) == 0u);
}

BOOST_AUTO_TEST_CASE(a_lane_makes_max_in_flight_attempts_at_once) {
  receiver_thread rx;
  rx->set_default({sim::reply_kind::hang, 200, ""});
  // Held requests end at the 1 s timeout; the next wave starts only then.
  const hook_settings three_at_once{.timeout = "1s", .max_in_flight = 3};
  env e({}, tuning{.actions = hook_yaml("hook", rx, three_at_once), .defaults = "[hook]"});
  hook_files("hook", rx, e.dir);
  std::vector<std::string> ids;
  for (unsigned n = 0; n < 6; ++n) {
    ids.push_back(sid(0x270 + n));
    e.api->add_session(sim::done_at_poll(ids.back(), 1));
  }
  e.watch(ids);
  e.start();
  // A wave ends when all of its attempts have, so by the sixth request at least one full wave of
  // three has been sent.
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 6; }, 15s));
  rx->set_default({});
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == ids.size(); }, 15s));
  // Requests that arrived less than 700 ms apart were held open together (waves are 1 s apart;
  // a TLS handshake under a sanitizer may shift an arrival by a little).
  const auto got = rx->deliveries();
  std::size_t most = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    std::size_t open = 0;
    for (std::size_t j = 0; j <= i; ++j) open += got[i].at - got[j].at < 700ms ? 1 : 0;
    most = std::max(most, open);
  }
  BOOST_TEST(most == 3u);
}
