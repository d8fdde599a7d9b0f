// A reload (SIGHUP) with the daemon in-process: new webhook secrets, added, changed and removed
// actions, a new API key; the simulated API and webhook receivers on loopback over real TLS.
#include "fjwatch/cli/outbox_commands.hpp"
#include "support/daemon_env.hpp"
#include "support/hook_config.hpp"
#include "support/receiver_thread.hpp"

#include <sstream>

using namespace itest;
using namespace itest::hooks;

namespace {

constexpr const char* old_secret = "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
const std::string new_secret = fjwatch::testing::webhook_secret;

// A session that turns done at its first poll, watched from now on (with those already watched).
void finish_soon(env& e, std::vector<std::string>& watched, const std::string& id) {
  e.api->add_session(sim::done_at_poll(id, 1));
  watched.push_back(id);
  e.watch(watched);
  e.d->reload_watch_list();
}

// `fjwatch deliveries` against the env's config: what it prints, and what it says on stderr.
std::pair<std::string, std::string> deliveries_cli(env& e) {
  std::ostringstream out, err;
  const std::vector<std::string> args{"-c", (e.dir / "fjwatch.yaml").string()};
  BOOST_TEST(fjwatch::run_deliveries(args, out, err) == 0);
  return {out.str(), err.str()};
}

}  // namespace

// The secret is rotated as Standard Webhooks expects: the file lists the new secret beside the
// old, a reload takes both, and the receiver (which knows only the new one) verifies from then
// on. An action added by the same reload gets the later events.
BOOST_AUTO_TEST_CASE(a_reload_takes_new_secrets_and_new_actions) {
  receiver_thread rx;  // verifies with the new secret only
  receiver_thread rx2;
  tuning t{.actions = hook_yaml("hook", rx, {.secret_file = "old.secret"}),
           .defaults = "[hook]",
           .api_key_file = "api-key"};
  env e({}, t);
  e.dir.write("old.secret", std::string(old_secret) + "\n");
  e.dir.write("new.secret", new_secret + "\n");
  hook_files("hook2", rx2, e.dir);
  e.dir.write("hook-ca.pem", rx->ca_pem());
  std::vector<std::string> watched;
  e.start();
  finish_soon(e, watched, sid(0x301));
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 1; }, 10s));
  BOOST_TEST(!rx->deliveries().at(0).signature_ok);  // signed with the old secret alone

  t.actions =
      hook_yaml("hook", rx, {.secret_file = "[new.secret, old.secret]"}) + hook_yaml("hook2", rx2);
  t.defaults = "[hook, hook2]";
  e.configure(t);
  e.d->reload();
  BOOST_TEST(e.logs.count({" action.changed ", "action=hook"}) == 1u);
  BOOST_TEST(e.logs.count({" action.added ", "action=hook2"}) == 1u);
  BOOST_TEST(e.logs.count({" config.reloaded ", "actions"}) == 1u);
  finish_soon(e, watched, sid(0x302));
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 2 && rx2->count() >= 1; }, 10s));
  const auto r = rx->deliveries().at(1);
  BOOST_TEST(r.id == done_id(sid(0x302)));
  BOOST_TEST(r.signature_ok, r.signature_problem);
  BOOST_TEST(r.signature.find(' ') != std::string::npos);  // both secrets sign
  BOOST_TEST(rx2->deliveries().at(0).id == done_id(sid(0x302)));
  BOOST_TEST(rx2->deliveries().at(0).signature_ok);
}

// A reload while an attempt is under way: the attempt keeps the target it started with (here it
// runs into its timeout), and the retry goes to the new one.
BOOST_AUTO_TEST_CASE(an_attempt_under_way_finishes_with_the_settings_it_started_with) {
  receiver_thread rx;
  rx->script({{sim::reply_kind::hang, 200, ""}});
  tuning t{.actions = hook_yaml("hook", rx, {.timeout = "1500ms"}),
           .defaults = "[hook]",
           .api_key_file = "api-key"};
  env e({}, t);
  hook_files("hook", rx, e.dir);
  std::vector<std::string> watched;
  e.start();
  finish_soon(e, watched, sid(0x311));
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 1; }, 10s));
  t.actions = hook_yaml("hook", rx, {.path = "/moved", .timeout = "1500ms"});
  e.configure(t);
  e.d->reload();
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == 1u; }, 10s));
  const auto got = rx->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].target == "/hook");
  BOOST_TEST(got[1].target == "/moved");
  BOOST_TEST(got[1].id == got[0].id);
  // The first attempt ended at its own timeout: the reload did not cut it short.
  BOOST_TEST(e.logs.count({" delivery.retry ", "timeout after 1500ms"}) == 1u);
  BOOST_TEST((got[1].at - got[0].at >= 1400ms));
}

// A removed action's pending deliveries stay in the store, shown as `unconfigured`, and go out
// when an action of that name is configured again.
BOOST_AUTO_TEST_CASE(a_removed_action_keeps_its_deliveries_until_it_comes_back) {
  receiver_thread rx;
  rx->set_default({sim::reply_kind::status, 503, ""});
  const hook_settings slow_retries{.retry_schedule = "[300ms, 300ms, 300ms, 300ms, 300ms]"};
  tuning t{.actions = hook_yaml("hook", rx, slow_retries),
           .defaults = "[journal, hook]",
           .api_key_file = "api-key"};
  env e({}, t);
  hook_files("hook", rx, e.dir);
  std::vector<std::string> watched;
  e.start();
  const auto id = sid(0x321);
  finish_soon(e, watched, id);
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() >= 1; }, 10s));

  const auto without = tuning{.actions = "", .defaults = "[journal]", .api_key_file = "api-key"};
  e.configure(without);
  e.d->reload();
  BOOST_TEST(e.logs.count({" action.removed ", "action=hook"}) == 1u);
  // Its lane ends after the attempt under way, if any (every request answered is recorded):
  // then nothing more is sent.
  BOOST_TEST_REQUIRE(
      e.run_until([&] { return e.logs.count({" delivery.retry "}) == rx->count(); }, 5s));
  const auto sent = rx->count();
  e.run_for(1000ms);  // three retries would land here
  BOOST_TEST(rx->count() == sent);
  const auto rows = deliveries_of(e, done_id(id));
  BOOST_TEST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].action == "hook");
  BOOST_TEST((rows[0].state == fjwatch::delivery_state::pending));
  const auto [out, err] = deliveries_cli(e);
  BOOST_TEST(out.find("unconfigured") != std::string::npos, out);
  BOOST_TEST(err.find("action hook is not in the config") != std::string::npos, err);

  rx->set_default({});
  e.configure(t);
  e.d->reload();
  BOOST_TEST(e.logs.count({" action.added ", "action=hook"}) == 1u);
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == 1u; }, 10s));
  e.run_for(300ms);
  BOOST_TEST(rx->ids().count(done_id(id)) == 1u);
  BOOST_TEST((deliveries_of(e, done_id(id))[0].state == fjwatch::delivery_state::delivered));
}

// A reload that changes an action its receiver disabled (410 Gone) enables it: what was held
// goes out to the new target.
BOOST_AUTO_TEST_CASE(a_reload_that_changes_a_disabled_action_enables_it) {
  receiver_thread rx;
  rx->set_default({sim::reply_kind::status, 410, ""});
  tuning t{.actions = hook_yaml("hook", rx), .defaults = "[hook]", .api_key_file = "api-key"};
  env e({}, t);
  hook_files("hook", rx, e.dir);
  std::vector<std::string> watched;
  e.start();
  finish_soon(e, watched, sid(0x331));
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" action.disabled "}) == 1u; }, 10s));
  // Reloading the same settings changes nothing: still held.
  e.d->reload();
  e.run_for(300ms);
  BOOST_TEST(e.logs.count({" action.enabled "}) == 0u);
  BOOST_TEST(rx->count() == 1u);

  rx->set_default({});
  t.actions = hook_yaml("hook", rx, {.path = "/v2"});
  e.configure(t);
  e.d->reload();
  BOOST_TEST(e.logs.count({" action.enabled ", "the config changed it"}) == 1u);
  BOOST_TEST_REQUIRE(e.run_until([&] { return rx->ids().size() == 1u; }, 10s));
  BOOST_TEST(rx->deliveries().back().target == "/v2");
  BOOST_TEST(fjwatch::store(e.state_dir()).disabled_actions().empty());
}

// A reload that cannot be applied changes nothing, and the daemon goes on delivering with the
// running actions: a secret that cannot be read, or a new action whose runner cannot be built (a
// ca_file that is not a certificate).
BOOST_AUTO_TEST_CASE(a_reload_that_cannot_be_applied_changes_nothing) {
  struct row {
    std::string name;
    std::string extra_action;  // appended to the changed hook
    std::string secret_file;   // of the changed hook ("": its own)
    std::string logged;        // in the config.reload_rejected or config.problem line
  };
  receiver_thread rx;
  const std::string bad_ca = "  - name: other\n    type: webhook\n    url: " + rx->url("/other") +
                             "\n    secret_file: hook.secret\n    ca_file: bad-ca.pem\n";
  const std::vector<row> rows{{"a missing secret", "", "missing.secret", "missing.secret"},
                              {"a bad ca_file", bad_ca, "", "bad-ca.pem"}};
  unsigned n = 0;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      tuning t{.actions = hook_yaml("hook", rx), .defaults = "[hook]", .api_key_file = "api-key"};
      env e({}, t);
      hook_files("hook", rx, e.dir);
      e.dir.write("bad-ca.pem", "not a certificate\n");
      std::vector<std::string> watched;
      e.start();
      t.actions =
          hook_yaml("hook", rx, {.path = "/v2", .secret_file = r.secret_file}) + r.extra_action;
      e.configure(t);
      e.d->reload();
      BOOST_TEST(e.logs.count({" config.reload_rejected "}) == 1u);
      BOOST_TEST(e.logs.count({" config.", r.logged}) >= 1u);
      const auto before = rx->count();
      finish_soon(e, watched, sid(0x341 + n++));
      BOOST_TEST_REQUIRE(e.run_until([&] { return rx->count() == before + 1; }, 10s));
      BOOST_TEST(rx->deliveries().back().target == "/hook");
      BOOST_TEST(!e.d->stop_requested());
    }
  }
}

// The API key is read again: a rejected key is replaced without a restart, polling resumes with
// the new one, and a new key that is rejected pauses as the first did. No key is ever logged.
BOOST_AUTO_TEST_CASE(a_reload_reads_a_new_api_key) {
  const std::string bad_key = "fjk_itest_revoked_key_0000";
  const std::string other_bad = "fjk_itest_mistyped_key_000";
  env e({}, tuning{.api_key_file = "api-key"});
  e.dir.write("api-key", bad_key + "\n");
  std::vector<std::string> watched{sid(0x351)};
  e.api->add_session(sim::done_at_poll(watched[0], 1));
  e.watch(watched);
  e.start(bad_key);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" api.unauthorized "}) == 1u; }, 10s));

  e.dir.write("api-key", std::string(api_key) + "\n");
  e.d->reload();
  BOOST_TEST(e.logs.count({" api.key_reloaded "}) == 1u);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.action_lines(done_id(watched[0])) == 1u; }, 10s));
  BOOST_TEST(!e.d->stats().auth_failing);

  e.dir.write("api-key", other_bad + "\n");
  e.d->reload();
  BOOST_TEST(e.logs.count({" api.key_reloaded "}) == 2u);
  watched.push_back(sid(0x352));
  e.api->add_session(processing(watched[1]));
  e.watch(watched);
  e.d->reload_watch_list();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({" api.unauthorized "}) == 2u; }, 10s));
  for (const auto& key : {bad_key, other_bad, std::string(api_key)}) {
    BOOST_TEST(e.logs.count({key}) == 0u, key);
  }
}
