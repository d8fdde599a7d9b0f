#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fjwatch/config/config.hpp"
#include "fjwatch/config/policies.hpp"
#include "fjwatch/config/reload_diff.hpp"
#include "fjwatch/config/secrets.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using fjwatch::config_error;
using fjwatch::event_type;
using fjwatch::millis;

namespace {

// Sets and unsets environment variables for one test; restores them all on destruction.
class env_guard {
 public:
  explicit env_guard(std::vector<std::string> names) {
    for (auto& name : names) {
      const char* value = ::getenv(name.c_str());
      saved_.emplace_back(std::move(name),
                          value ? std::optional<std::string>(value) : std::nullopt);
    }
  }
  ~env_guard() {
    for (const auto& [name, value] : saved_) value ? set(name, *value) : unset(name);
  }
  void set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) { ::unsetenv(name.c_str()); }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

using fjwatch::testing::temp_dir;

std::string error_of(std::string_view yaml, const fs::path& base_dir = {}) {
  try {
    fjwatch::parse_config(yaml, "fjwatch.yaml", base_dir);
  } catch (const config_error& e) {
    return e.what();
  }
  return "<no error>";
}

std::string key_error(const fjwatch::config& cfg) {
  try {
    return "<key " + std::to_string(fjwatch::load_api_key(cfg).size()) + " bytes>";
  } catch (const config_error& e) {
    return e.what();
  }
}

const std::vector<event_type> default_events{event_type::done, event_type::not_found,
                                             event_type::timeout};

// The documented defaults (README, config/fjwatch.example.yaml), spelled out (not read from the structs they check).
void check_defaults(const fjwatch::config& c) {
  BOOST_TEST(c.api.base_url == "https://prod.api.futurejobs.ai");
  BOOST_TEST(c.api.api_key_file == "/etc/fjwatch/api-key");
  BOOST_TEST(c.api.ca_file == "");
  BOOST_TEST(c.api.timeout.count() == 10'000);
  BOOST_TEST(c.api.max_in_flight == 8);
  BOOST_TEST(c.api.pipeline == 8);
  BOOST_TEST(c.api.rate_limit.per_second == 10.0);
  BOOST_TEST(!c.api.allow_insecure_http);
  BOOST_TEST(c.api.unreachable_after.count() == 300'000);
  BOOST_TEST(c.poll.interval.count() == 5'000);
  BOOST_TEST(c.poll.max_interval.count() == 60'000);
  BOOST_TEST(c.poll.max_blind_interval.count() == 25'000);
  BOOST_TEST(c.poll.multiplier == 3.5);
  BOOST_TEST(c.poll.jitter == 0.1);
  BOOST_TEST(c.poll.give_up_after.count() == 86'400'000);
  BOOST_TEST((c.poll.after_done == fjwatch::after_done_policy::stop));
  BOOST_TEST(c.retry.initial.count() == 1'000);
  BOOST_TEST(c.retry.max.count() == 300'000);
  BOOST_TEST(c.watchlist == "/etc/fjwatch/watchlist.yaml");
  BOOST_TEST(c.control == "127.0.0.1:9470");
  BOOST_TEST(!c.control_allow_remote);
  BOOST_TEST((c.log.level == fjwatch::log_level::info));
  BOOST_TEST((c.log.format == fjwatch::log_format::text));
  BOOST_TEST(c.retention.events.count() == 90LL * 86'400'000);
  BOOST_TEST(c.retention.sessions.count() == 90LL * 86'400'000);
}

}  // namespace

// A truncated or emptied file must not start a daemon on built-in defaults; {} asks for them.
BOOST_AUTO_TEST_CASE(a_file_with_no_settings_is_an_error) {
  for (const std::string text : {"", "\n\n  \n", "# only a comment\n# and another\n", "---\n",
                                 "--- # a comment\n...\n", "~\n"}) {
    BOOST_TEST_CONTEXT("file \"" << text << "\"") {
      BOOST_TEST(error_of(text) ==
                 "fjwatch.yaml:1:1: no settings: the file is empty or holds "
                 "only comments (write {} to run on every default)");
    }
  }
}

BOOST_AUTO_TEST_CASE(an_empty_map_gives_every_default) {
  env_guard env({"STATE_DIRECTORY"});
  env.unset("STATE_DIRECTORY");
  for (const std::string text : {"{}", "# every default\n{}\n", "api:\npoll:\n"}) {
    BOOST_TEST_CONTEXT("file \"" << text << "\"") {
      const auto c = fjwatch::parse_config(text, "fjwatch.yaml");
      check_defaults(c);
      BOOST_TEST(c.source == "fjwatch.yaml");
      BOOST_TEST(c.state_dir == "/var/lib/fjwatch");
      BOOST_TEST(c.actions.empty());
      BOOST_TEST(!c.default_actions.has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(state_dir_defaults_to_state_directory) {
  env_guard env({"STATE_DIRECTORY"});
  env.set("STATE_DIRECTORY", "/var/lib/fjwatch-test");
  BOOST_TEST(fjwatch::parse_config("{}", "f").state_dir == "/var/lib/fjwatch-test");
  env.set("STATE_DIRECTORY", "/var/lib/first:/var/lib/second");
  BOOST_TEST(fjwatch::parse_config("{}", "f").state_dir == "/var/lib/first");
  BOOST_TEST(fjwatch::parse_config("state_dir: /srv/x", "f").state_dir == "/srv/x");
}

BOOST_AUTO_TEST_CASE(every_key_set) {
  const auto c = fjwatch::parse_config(R"(
api: {base_url: "http://127.0.0.1:8443/prefix/", api_key_file: /k, ca_file: /ca.pem, timeout: 2s,
      max_in_flight: 3, pipeline: 4, rate: 600/min, allow_insecure_http: true,
      unreachable_after: 30s}
poll: {interval: 250ms, max_interval: 2m, max_blind_interval: 30s, multiplier: 2, jitter: 0,
       give_up_after: 1h30m, after_done: watch}
retry: {initial: 500ms, max: 1m}
watchlist: /w.yaml
state_dir: /s
control: unix:/run/fjwatch/control.sock
control_allow_remote: true
log: {level: debug, format: json}
actions:
  - {name: j, type: log, template: "{{x}} {event_id}", on: [session.status_changed, session.done]}
  - name: hook.1
    type: webhook
    url: http://127.0.0.1:9000/in?team=a%20b
    allow_insecure_http: true
    max_in_flight: 6
    secret_file: [/new.secret, /old.secret]
    headers: {X-Team: sourcing, Authorization: "Bearer t"}
    timeout: 3s
    ca_file: /hook-ca.pem
    retry_schedule: [1s, 1m]
  - {name: env-hook, type: webhook, url: "https://h.example/x", secret_env: HOOK_SECRET}
  - {name: cmd_1, type: command, argv: [/bin/echo, hi]}
defaults: {actions: [cmd_1, j, cmd_1]}
)",
                                       "fjwatch.yaml");
  BOOST_TEST(c.api.base_url == "http://127.0.0.1:8443/prefix/");
  BOOST_TEST(c.api.api_key_file == "/k");
  BOOST_TEST(c.api.ca_file == "/ca.pem");
  BOOST_TEST(c.api.timeout.count() == 2'000);
  BOOST_TEST(c.api.max_in_flight == 3);
  BOOST_TEST(c.api.pipeline == 4);
  BOOST_TEST(c.api.rate_limit.per_second == 10.0);
  BOOST_TEST(c.api.allow_insecure_http);
  BOOST_TEST(c.api.unreachable_after.count() == 30'000);
  BOOST_TEST(c.poll.interval.count() == 250);
  BOOST_TEST(c.poll.max_interval.count() == 120'000);
  BOOST_TEST(c.poll.max_blind_interval.count() == 30'000);
  BOOST_TEST(c.poll.multiplier == 2.0);
  BOOST_TEST(c.poll.jitter == 0.0);
  BOOST_TEST(c.poll.give_up_after.count() == 5'400'000);
  BOOST_TEST((c.poll.after_done == fjwatch::after_done_policy::watch));
  BOOST_TEST(c.retry.initial.count() == 500);
  BOOST_TEST(c.retry.max.count() == 60'000);
  BOOST_TEST(c.watchlist == "/w.yaml");
  BOOST_TEST(c.state_dir == "/s");
  BOOST_TEST(c.control == "unix:/run/fjwatch/control.sock");
  BOOST_TEST(c.control_allow_remote);
  BOOST_TEST((c.log.level == fjwatch::log_level::debug));
  BOOST_TEST((c.log.format == fjwatch::log_format::json));
  BOOST_TEST_REQUIRE(c.actions.size() == 4u);
  const auto& log = c.actions[0];
  BOOST_TEST((log.kind == fjwatch::action_kind::log));
  BOOST_TEST(log.template_text == "{{x}} {event_id}");
  BOOST_TEST((log.on == std::vector{event_type::status_changed, event_type::done}));
  const auto& hook = *c.find_action("hook.1");
  BOOST_TEST((hook.kind == fjwatch::action_kind::webhook));
  BOOST_TEST(hook.url == "http://127.0.0.1:9000/in?team=a%20b");
  BOOST_TEST(hook.max_in_flight == 6);
  BOOST_TEST(hook.allow_insecure_http);
  BOOST_TEST((hook.secret_files == std::vector<std::string>{"/new.secret", "/old.secret"}));
  BOOST_TEST(hook.headers.at("X-Team") == "sourcing");
  BOOST_TEST(hook.headers.at("Authorization") == "Bearer t");
  BOOST_TEST(hook.timeout.count() == 3'000);
  BOOST_TEST(hook.ca_file == "/hook-ca.pem");
  BOOST_TEST((hook.retry_schedule == std::vector<millis>{millis(1'000), millis(60'000)}));
  BOOST_TEST((hook.on == default_events));
  const auto& env_hook = *c.find_action("env-hook");
  BOOST_TEST(env_hook.secret_env == "HOOK_SECRET");
  BOOST_TEST(env_hook.secret_files.empty());
  BOOST_TEST(env_hook.timeout.count() == 15'000);
  BOOST_TEST(env_hook.max_in_flight == 4);
  const auto& cmd = *c.find_action("cmd_1");
  BOOST_TEST((cmd.kind == fjwatch::action_kind::command));
  BOOST_TEST((cmd.argv == std::vector<std::string>{"/bin/echo", "hi"}));
  BOOST_TEST(cmd.timeout.count() == 30'000);
  BOOST_TEST(cmd.max_in_flight == 1);
  BOOST_TEST(c.find_action("nope") == nullptr);
  BOOST_TEST((c.default_actions == std::vector<std::string>{"cmd_1", "j"}));
}

BOOST_AUTO_TEST_CASE(example_config_loads_with_the_defaults) {
  env_guard env({"STATE_DIRECTORY"});
  env.unset("STATE_DIRECTORY");
  const std::string path = FJWATCH_TEST_DATA "/../../config/fjwatch.example.yaml";
  const auto c = fjwatch::load_config(path);
  check_defaults(c);
  BOOST_TEST(c.state_dir == "/var/lib/fjwatch");
  BOOST_TEST_REQUIRE(c.actions.size() == 1u);
  BOOST_TEST(c.actions[0].name == "journal");
  BOOST_TEST((c.actions[0].kind == fjwatch::action_kind::log));
  BOOST_TEST((c.actions[0].on == default_events));
  BOOST_TEST(c.actions[0].template_text == "{title} ({session_id}) is ready: {matched} profiles");
  BOOST_TEST((c.default_actions == std::vector<std::string>{"journal"}));
  // The example states each default as the structs have it (one source, checked here).
  BOOST_TEST((c.api == fjwatch::api_config{}));
  BOOST_TEST((c.poll == fjwatch::poll_config{}));
  BOOST_TEST((c.retry == fjwatch::retry_config{}));
  BOOST_TEST((c.log == fjwatch::log_config{}));
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  // Every key of the config (the reload table has them all) and every key of an action.
  auto keys = fjwatch::reload_keys(true);
  for (const auto k : fjwatch::reload_keys(false)) keys.push_back(k);
  for (const std::string_view k : {"name", "type", "on", "template", "url", "secret_file",
                                   "secret_env", "headers", "retry_schedule", "argv"}) {
    keys.push_back(k);
  }
  for (const auto k : keys) {
    const std::string key = std::string(k.substr(k.rfind('.') + 1)) + ':';
    BOOST_TEST_CONTEXT("key " << key) { BOOST_TEST(text.find(key) != std::string::npos); }
  }
}

// The decisions' own defaults are the config's: a policy made from a default config is the
// policy's default.
BOOST_AUTO_TEST_CASE(the_policies_defaults_are_the_configs) {
  const auto cadence = fjwatch::cadence_of(fjwatch::config{});
  const fjwatch::cadence_policy plain;
  BOOST_TEST(cadence.interval.count() == plain.interval.count());
  BOOST_TEST(cadence.max_interval.count() == plain.max_interval.count());
  BOOST_TEST(cadence.max_blind_interval.count() == plain.max_blind_interval.count());
  BOOST_TEST(cadence.multiplier == plain.multiplier);
  BOOST_TEST(cadence.jitter == plain.jitter);
  BOOST_TEST(cadence.retry_initial.count() == plain.retry_initial.count());
  BOOST_TEST(cadence.retry_max.count() == plain.retry_max.count());
  const auto tracker = fjwatch::tracker_of(fjwatch::config{}, false);
  const fjwatch::tracker_policy plain_tracker;
  BOOST_TEST(tracker.give_up_after.count() == plain_tracker.give_up_after.count());
  BOOST_TEST((tracker.after_done == plain_tracker.after_done));
}

BOOST_AUTO_TEST_CASE(each_error_class_names_key_and_position) {
  const std::string one_of_events =
      "expected one of session.done, session.not_found, session.timeout, session.status_changed";
  const std::vector<std::pair<std::string, std::string>> rows{
      // unknown keys
      {"pol:\n  interval: 5s\n", "1:1: pol: unknown key (did you mean \"poll\"?)"},
      {"api:\n  zzzzzz: 1\n", "2:3: api.zzzzzz: unknown key"},
      {"poll:\n  max_intervall: 5s\n",
       "2:3: poll.max_intervall: unknown key (did you mean \"max_interval\"?)"},
      {"watchlist: a\nwatchlist: b\n", "2:1: watchlist: duplicate key"},
      // wrong types
      {"poll:\n  interval: fast\n",
       "2:13: poll.interval: expected a duration like 5s, got \"fast\""},
      {"poll:\n  interval: \"5\"\n", "2:13: poll.interval: expected a duration like 5s, got \"5\""},
      {"api:\n  timeout:\n", "2:3: api.timeout: expected a duration like 5s, got nothing"},
      {"poll:\n  interval: {a: 1}\n",
       "2:13: poll.interval: expected a duration like 5s, got a map"},
      {"api: {rate: 10/day}", "1:13: api.rate: expected a rate like 10/s, got \"10/day\""},
      {"poll: {multiplier: big}", "1:20: poll.multiplier: expected a number, got \"big\""},
      {"poll: {jitter: .nan}", "1:16: poll.jitter: expected a number, got \".nan\""},
      {"api: {max_in_flight: 8.5}", "1:22: api.max_in_flight: expected an integer, got \"8.5\""},
      {"api: {allow_insecure_http: yes}",
       "1:28: api.allow_insecure_http: expected true or false, got \"yes\""},
      {"watchlist: [a]", "1:12: watchlist: expected a string, got a list"},
      {"api: 5", "1:6: api: expected a map, got \"5\""},
      {"- a\n- b\n", "1:1: expected a map, got a list"},
      {"actions: {a: 1}", "1:10: actions: expected a list, got a map"},
      {"poll: {after_done: forever}",
       "1:20: poll.after_done: expected one of stop, watch, got \"forever\""},
      {"log: {level: loud}",
       "1:14: log.level: expected one of trace, debug, info, warn, error, got \"loud\""},
      {"log: {format: xml}", "1:15: log.format: expected one of text, json, got \"xml\""},
      {"watchlist: \"a\\nb\\\"c\"", "<no error>"},
      {"poll: {after_done: \"a\\nb\\\"c\"}",
       "1:20: poll.after_done: expected one of stop, watch, got \"a\\nb\\\"c\""},
      // out of range
      {"poll:\n  interval: 50ms\n", "2:13: poll.interval: 50ms is out of range (100ms..1h)"},
      {"api: {max_in_flight: 0}", "1:22: api.max_in_flight: 0 is out of range (1..256)"},
      {"api: {pipeline: 17}", "1:17: api.pipeline: 17 is out of range (1..16)"},
      {"api: {max_in_flight: 99999999999999999999}",
       "1:22: api.max_in_flight: 99999999999999999999 is out of range (1..256)"},
      {"api: {timeout: 11m}", "1:16: api.timeout: 11m is out of range (100ms..10m)"},
      {"poll: {jitter: 0.75}", "1:16: poll.jitter: 0.75 is out of range (0.0..0.5)"},
      {"poll: {multiplier: 0.5}", "1:20: poll.multiplier: 0.5 is out of range (1.0..10.0)"},
      {"poll: {give_up_after: 500ms}", "1:23: poll.give_up_after: 500ms is out of range (1s..)"},
      {"poll: {interval: 10s, max_interval: 5s}",
       "1:37: poll.max_interval: 5s is out of range (10s..1d)"},
      {"poll: {max_interval: 25h}", "1:22: poll.max_interval: 25h is out of range (100ms..1d)"},
      {"poll: {max_blind_interval: 50ms}",
       "1:28: poll.max_blind_interval: 50ms is out of range (100ms..1d)"},
      {"poll: {interval: 2m}",
       "1:18: poll.interval: 2m is more than poll.max_interval (1m); set poll.max_interval too"},
      {"retry: {initial: 1h}",
       "1:18: retry.initial: 1h is more than retry.max (5m); set retry.max too"},
      {"retry: {initial: 2s, max: 1s}", "1:27: retry.max: 1s is out of range (2s..1d)"},
      // URLs, paths and the control endpoint
      {"api:\n  base_url: http://localhost:8080\n",
       "2:13: api.base_url: must be https (set api.allow_insecure_http: true to allow http)"},
      {"api: {base_url: \"ftp://h\"}",
       "1:17: api.base_url: not a valid URL: the scheme must be http or https"},
      {"api: {base_url: \"https://h/v?key=1\"}",
       "1:17: api.base_url: not a valid URL: a query is not allowed here"},
      {"watchlist: \"\"", "1:12: watchlist: must not be empty"},
      {"control: localhost",
       "1:10: control: expected host:port, unix:/path or \"\", got \"localhost\""},
      {"control: \"127.0.0.1:80/x\"",
       "1:10: control: expected host:port, unix:/path or \"\", got \"127.0.0.1:80/x\""},
      {"control: unix:/" + std::string(107, 'a'),
       "1:10: control: a unix socket path is at most 107 bytes"},
      {"control: 0.0.0.0:9470",
       "1:10: control: \"0.0.0.0:9470\" is not a loopback address; set control_allow_remote: "
       "true to listen there"},
      {"control: \"[::]:9470\"",
       "1:10: control: \"[::]:9470\" is not a loopback address; set control_allow_remote: true "
       "to listen there"},
      {"control: fjwatch.example:9470",
       "1:10: control: \"fjwatch.example:9470\" is not a loopback address; set "
       "control_allow_remote: true to listen there"},
      {"control: 0.0.0.0:9470\ncontrol_allow_remote: true", "<no error>"},
      {"control_allow_remote: true\ncontrol: \"[::]:9470\"", "<no error>"},
      {"control: localhost:9470", "<no error>"},
      {"control: 127.1.2.3:9470", "<no error>"},
      {"control: \"[::1]:9470\"", "<no error>"},
      {"control: \"[::ffff:127.0.0.1]:9470\"", "<no error>"},
      {"control_allow_remote: maybe",
       "1:23: control_allow_remote: expected true or false, got \"maybe\""},
      // actions
      {"actions:\n  - name: j\n    type: log\n    url: https://x\n",
       "4:5: actions[0].url: unknown key"},
      {"actions:\n  - {name: j, type: log, template: \"{nope}\"}\n",
       "2:36: actions[0].template: unknown placeholder {nope}"},
      {"actions:\n  - {type: log}\n", "2:5: actions[0]: missing key \"name\""},
      {"actions:\n  - {name: j}\n", "2:5: actions[0]: missing key \"type\""},
      {"actions: [{name: j, type: sms}]",
       "1:27: actions[0].type: expected one of log, webhook, command, got \"sms\""},
      {"actions: [{name: my hook, type: log}]",
       "1:18: actions[0].name: expected a name of letters, digits, '_', '.' and '-', got \"my "
       "hook\""},
      {"actions: [{name: j, type: log}, {name: j, type: log}]",
       "1:40: actions[1].name: duplicate action name \"j\""},
      {"actions: [{name: j, type: log, on: [session.finished]}]",
       "1:37: actions[0].on[0]: " + one_of_events + ", got \"session.finished\""},
      // test-action's event is sent on request only, never subscribed to
      {"actions: [{name: j, type: log, on: [fjwatch.test]}]",
       "1:37: actions[0].on[0]: " + one_of_events + ", got \"fjwatch.test\""},
      {"actions: [{name: h, type: webhook, url: \"http://h/x\", secret_env: S}]",
       "1:41: actions[0].url: must be https (set actions[0].allow_insecure_http: true to allow "
       "http)"},
      {"actions: [{name: h, type: webhook, secret_env: S}]",
       "1:11: actions[0]: missing key \"url\""},
      {"actions: [{name: h, type: webhook, url: \"https://h\"}]",
       "1:11: actions[0]: a webhook needs secret_file or secret_env"},
      {"actions: [{name: h, type: webhook, url: \"https://h\", secret_file: /s, secret_env: S}]",
       "1:83: actions[0].secret_env: set secret_file or secret_env, not both"},
      {"actions: [{name: h, type: webhook, url: \"https://h\", secret_file: [/a, /b, /c]}]",
       "1:67: actions[0].secret_file: expected one or two paths"},
      {"actions: [{name: h, type: webhook, url: \"https://h\", secret_env: S, headers: {Host: x}}]",
       "1:79: actions[0].headers.Host: set by fjwatch; cannot be overridden"},
      {"actions: [{name: h, type: webhook, url: \"https://h\", secret_env: S, retry_schedule: [1s, "
       "soon]}]",
       "1:90: actions[0].retry_schedule[1]: expected a duration like 5s, got \"soon\""},
      {"actions: [{name: h, type: webhook, url: \"https://h\", secret_env: S, max_in_flight: 0}]",
       "1:84: actions[0].max_in_flight: 0 is out of range (1..64)"},
      {"actions: [{name: c, type: command, argv: []}]", "1:42: actions[0].argv: must not be empty"},
      {"actions: [{name: c, type: command}]", "1:11: actions[0]: missing key \"argv\""},
      {"actions: [{name: c, type: command, argv: [ls], timeout: 2h}]",
       "1:57: actions[0].timeout: 2h is out of range (100ms..1h)"},
      {"defaults: {actions: [nope]}", "1:22: defaults.actions[0]: no action named \"nope\""},
      // the YAML itself
      {"api: [1\n", "2:1: end of sequence flow not found"},
      {"a: 1\n---\nb: 2\n", "2:1: expected one YAML document, found more"},
      {", 2]\nb: {}\n", "1:1: YAML syntax error: unexpected character"},
  };
  for (const auto& [yaml, want] : rows) {
    BOOST_TEST_CONTEXT("yaml \"" << yaml << "\"") {
      BOOST_TEST(error_of(yaml) == (want == "<no error>" ? want : "fjwatch.yaml:" + want));
    }
  }
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_before_parsing) {
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  std::string deep_map;
  for (int i = 0; i < 100; ++i) deep_map += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  const std::vector<std::pair<std::string, std::string>> rows{
      {"a: " + repeat("[", 100000), "1:67: nested deeper than 64 levels"},
      {"a: " + repeat("{b: ", 100), "1:256: nested deeper than 64 levels"},
      {repeat("- ", 100000) + "x", "1:129: nested deeper than 64 levels"},
      {deep_map, "65:65: nested deeper than 64 levels"},
      {"a: &x [*x]", "1:4: nested deeper than 64 levels"},
      {"a: b 'c\nd: " + repeat("[", 100000), "2:67: nested deeper than 64 levels"},
      {"a: \"b'\"\nd: " + repeat("[", 100000), "2:67: nested deeper than 64 levels"},
      {"a: |\n  [[[[\n   x\n    y\nb: " + repeat("[", 100000),
       "5:67: nested deeper than 64 levels"},
      {"a: " + repeat("[", 40) + repeat("]", 40) + "\nb: " + repeat("[", 40) + repeat("]", 40),
       "1:1: a: unknown key (did you mean \"api\"?)\nfjwatch.yaml:2:1: b: unknown key"},
  };
  for (const auto& [yaml, want] : rows) {
    BOOST_TEST_CONTEXT("yaml \"" << yaml.substr(0, 40) << "...\"") {
      BOOST_TEST(error_of(yaml) == "fjwatch.yaml:" + want);
    }
  }
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" +
              repeat("*a" + std::to_string(i - 1) + ", ", 9) + "*a" + std::to_string(i - 1) + "]\n";
  }
  BOOST_TEST(error_of(laughs) == "fjwatch.yaml:5:1: more than 100000 values");
}

BOOST_AUTO_TEST_CASE(every_error_in_the_file_is_reported) {
  const std::string yaml =
      "api:\n"
      "  timeout: soon\n"
      "  base_url: http://h\n"
      "poll: {jitter: 2}\n"
      "colour: red\n"
      "actions:\n"
      "  - {name: j, type: log, url: https://x}\n"
      "defaults: {actions: [j, k]}\n";
  try {
    fjwatch::parse_config(yaml, "conf/fjwatch.yaml");
    BOOST_FAIL("no config_error");
  } catch (const config_error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "conf/fjwatch.yaml:2:12: api.timeout: expected a duration like 5s, got \"soon\"\n"
               "conf/fjwatch.yaml:3:13: api.base_url: must be https (set api.allow_insecure_http: "
               "true to allow http)\n"
               "conf/fjwatch.yaml:4:16: poll.jitter: 2 is out of range (0.0..0.5)\n"
               "conf/fjwatch.yaml:5:1: colour: unknown key\n"
               "conf/fjwatch.yaml:7:26: actions[0].url: unknown key\n"
               "conf/fjwatch.yaml:8:25: defaults.actions[1]: no action named \"k\"");
    BOOST_TEST_REQUIRE(e.problems().size() == 6u);
    BOOST_TEST(e.problems()[0].file == "conf/fjwatch.yaml");
    BOOST_TEST(e.problems()[0].line == 2);
    BOOST_TEST(e.problems()[0].column == 12);
    BOOST_TEST(e.problems()[0].message == "api.timeout: expected a duration like 5s, got \"soon\"");
  }
}

BOOST_AUTO_TEST_CASE(relative_paths_resolve_against_the_file) {
  const std::string yaml =
      "api: {api_key_file: ./key, ca_file: ca.pem}\nwatchlist: lists/w.yaml\nstate_dir: ../state\n"
      "actions: [{name: h, type: webhook, url: \"https://h\", secret_file: [a.secret, "
      "/abs/b.secret],"
      " ca_file: hook-ca.pem}]\n";
  const auto c = fjwatch::parse_config(yaml, "fjwatch.yaml", "/etc/fjwatch");
  BOOST_TEST(c.api.api_key_file == "/etc/fjwatch/key");
  BOOST_TEST(c.api.ca_file == "/etc/fjwatch/ca.pem");
  BOOST_TEST(c.watchlist == "/etc/fjwatch/lists/w.yaml");
  BOOST_TEST(c.state_dir == "/etc/state");
  BOOST_TEST((c.actions.at(0).secret_files ==
              std::vector<std::string>{"/etc/fjwatch/a.secret", "/abs/b.secret"}));
  BOOST_TEST(c.actions.at(0).ca_file == "/etc/fjwatch/hook-ca.pem");
  BOOST_TEST(fjwatch::parse_config(yaml, "fjwatch.yaml").watchlist == "lists/w.yaml");

  const std::string dir = FJWATCH_TEST_DATA "/config";
  const auto loaded = fjwatch::load_config(dir + "/relative.yaml");
  BOOST_TEST(loaded.source == dir + "/relative.yaml");
  BOOST_TEST(loaded.api.api_key_file == dir + "/secrets/api-key");
  BOOST_TEST(loaded.api.ca_file == FJWATCH_TEST_DATA "/ca/extra.pem");
  BOOST_TEST(loaded.watchlist == dir + "/watchlist.yaml");
  BOOST_TEST(loaded.state_dir == dir + "/state");
  BOOST_TEST((loaded.actions.at(0).secret_files ==
              std::vector<std::string>{dir + "/hook.secret", "/etc/fjwatch/old.secret"}));
  BOOST_TEST(loaded.actions.at(0).ca_file == dir + "/hook-ca.pem");
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_a_config_error) {
  const temp_dir tmp;
  const std::string missing = (tmp.path() / "nope.yaml").string();
  const std::vector<std::pair<std::string, std::string>> rows{
      {missing, missing + ": cannot read: No such file or directory"},
      {tmp.path().string(), tmp.path().string() + ": cannot read: Is a directory"},
  };
  for (const auto& [path, want] : rows) {
    BOOST_TEST_CONTEXT("path " << path) {
      try {
        fjwatch::load_config(path);
        BOOST_FAIL("no config_error");
      } catch (const config_error& e) {
        BOOST_TEST(std::string(e.what()) == want);
        BOOST_TEST(e.problems().at(0).line == 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(api_key_sources_in_order) {
  env_guard env({"CREDENTIALS_DIRECTORY", "FJ_API_KEY"});
  const temp_dir tmp;
  fs::create_directory(tmp.path() / "creds");
  const std::string cred_file = tmp.write("creds/fj-api-key", "  fjk_from_credential\n");
  auto cfg = fjwatch::parse_config("{}", "fjwatch.yaml");
  cfg.api.api_key_file = tmp.write("api-key", "fjk_from_file\n");
  env.set("CREDENTIALS_DIRECTORY", (tmp.path() / "creds").string());
  env.set("FJ_API_KEY", " fjk_from_env ");
  BOOST_TEST(fjwatch::load_api_key(cfg) == "fjk_from_credential");
  fs::remove(cred_file);
  BOOST_TEST(fjwatch::load_api_key(cfg) == "fjk_from_file");
  tmp.write("api-key", " \n\t\n");
  BOOST_TEST(fjwatch::load_api_key(cfg) == "fjk_from_env");
  env.set("FJ_API_KEY", "  ");
  BOOST_TEST(key_error(cfg) == "fjwatch.yaml: no API key: looked in " + cred_file +
                                   " (No such file or directory), " + cfg.api.api_key_file +
                                   " (empty), $FJ_API_KEY (empty)");
  cfg.api.api_key_file = tmp.path().string();
  env.unset("CREDENTIALS_DIRECTORY");
  env.unset("FJ_API_KEY");
  BOOST_TEST(key_error(cfg) ==
             "fjwatch.yaml: no API key: looked in $CREDENTIALS_DIRECTORY/fj-api-key (not set), " +
                 tmp.path().string() + " (Is a directory), $FJ_API_KEY (not set)");
  cfg.api.api_key_file = "";
  BOOST_TEST(key_error(cfg) ==
             "fjwatch.yaml: no API key: looked in $CREDENTIALS_DIRECTORY/fj-api-key (not set), "
             "api.api_key_file (not set), $FJ_API_KEY (not set)");
}

BOOST_AUTO_TEST_CASE(no_api_key_names_all_three_places) {
  env_guard env({"CREDENTIALS_DIRECTORY", "FJ_API_KEY"});
  env.unset("CREDENTIALS_DIRECTORY");
  env.unset("FJ_API_KEY");
  auto cfg = fjwatch::parse_config("{}", "fjwatch.yaml");
  cfg.api.api_key_file = "/nonexistent-fjwatch/api-key";
  BOOST_TEST(key_error(cfg) ==
             "fjwatch.yaml: no API key: looked in $CREDENTIALS_DIRECTORY/fj-api-key (not set), "
             "/nonexistent-fjwatch/api-key (No such file or directory), $FJ_API_KEY (not set)");
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_messages) {
  env_guard env({"CREDENTIALS_DIRECTORY", "FJ_API_KEY"});
  env.unset("CREDENTIALS_DIRECTORY");
  const temp_dir tmp;
  auto cfg = fjwatch::parse_config("{}", "fjwatch.yaml");
  cfg.api.api_key_file = tmp.write("api-key", "fjk_SECRET1 fjk_SECRET2\n");
  env.set("FJ_API_KEY", "fjk_SECRET3");
  std::vector<std::string> messages{key_error(cfg)};
  BOOST_TEST(messages.back() == "fjwatch.yaml: the API key in " + cfg.api.api_key_file +
                                    " contains whitespace or control characters");
  cfg.api.api_key_file = "";
  env.set("FJ_API_KEY", "fjk_SECRET4\r\nX-Injected: 1");
  messages.push_back(key_error(cfg));
  BOOST_TEST(messages.back() ==
             "fjwatch.yaml: the API key in $FJ_API_KEY contains whitespace or control characters");
  cfg.api.api_key_file = "/etc/fjwatch/fjk_SECRET7";
  env.unset("FJ_API_KEY");
  messages.push_back(key_error(cfg));
  BOOST_TEST(
      messages.back() ==
      "fjwatch.yaml: no API key: looked in $CREDENTIALS_DIRECTORY/fj-api-key (not set), "
      "api.api_key_file (it holds what looks like a key, not a path), $FJ_API_KEY (not set)");
  messages.push_back(error_of("api: {rate: fjk_SECRET8}\nlog: {level: whsec_SECRET9}"));
  BOOST_TEST(messages.back() ==
             "fjwatch.yaml:1:13: api.rate: expected a rate like 10/s, got \"fjk_...\"\n"
             "fjwatch.yaml:2:14: log.level: expected one of trace, debug, info, warn, error, "
             "got \"whsec_...\"");
  const std::string hook = "actions: [{name: h, type: webhook, url: \"https://h\", ";
  messages.push_back(error_of(hook + "secret_env: \"whsec_SECRET5 x\"}]"));
  BOOST_TEST(
      messages.back() ==
      "fjwatch.yaml:1:66: actions[0].secret_env: expected the name of an environment variable");
  messages.push_back(
      error_of(hook + "secret_env: S, headers: {Authorization: \"Bearer SECRET6\\r\\nX: 1\"}}]"));
  BOOST_TEST(messages.back() ==
             "fjwatch.yaml:1:94: actions[0].headers.Authorization: a header value cannot contain "
             "control characters");
  for (const auto& m : messages) {
    BOOST_TEST_CONTEXT("message " << m) { BOOST_TEST(m.find("SECRET") == std::string::npos); }
  }
}

// Values and keys are quoted as written but escaped: a NUL reads \0, and no raw control byte or
// bidi control from the file reaches a terminal through a message.
BOOST_AUTO_TEST_CASE(control_bytes_in_messages_are_escaped) {
  using namespace std::string_literals;
  const std::string raw_nul = "poll:\n  max_interval: \"6\0s\"\n"s;
  BOOST_TEST(error_of("poll:\n  interval: \"5\\0s\"\n") ==
             R"(fjwatch.yaml:2:13: poll.interval: expected a duration like 5s, got "5\0s")");
  BOOST_TEST(error_of(raw_nul) ==
             R"(fjwatch.yaml:2:17: poll.max_interval: expected a duration like 5s, got "6\0s")");
  BOOST_TEST(error_of("\"\x1b[31mevil\xe2\x80\xae\": 1\n") ==
             R"(fjwatch.yaml:1:1: \x1b[31mevil\u202e: unknown key)");
  BOOST_TEST(
      error_of("log: {level: \"a\x07\x9b"
               "b\"}\n") ==
      R"(fjwatch.yaml:1:14: log.level: expected one of trace, debug, info, warn, error, got "a\x07\x9bb")");
}

// Retention keeps everything (0) or at least an hour; anything else names the key.
BOOST_AUTO_TEST_CASE(retention_is_zero_or_at_least_an_hour) {
  const auto c = fjwatch::parse_config("retention: { events: 0, sessions: 30d }\n", "fjwatch.yaml");
  BOOST_TEST(c.retention.events.count() == 0);
  BOOST_TEST(c.retention.sessions.count() == 30LL * 86'400'000);
  BOOST_TEST(
      error_of("retention:\n  events: 30m\n") ==
      "fjwatch.yaml:2:11: retention.events: 30m is less than 1h; write 0 to keep everything");
  BOOST_TEST(error_of("retention: { kept: 1d }\n").find("retention.kept") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(proxy_keys_are_read_and_checked) {
  const auto c = fjwatch::parse_config(R"(
api: {proxy: "http://proxy.corp:3128", proxy_auth_file: proxy.auth}
actions:
  - {name: h, type: webhook, url: "https://h.example/x", secret_env: H, proxy: none}
)",
                                       "fjwatch.yaml", "/etc/fjwatch");
  BOOST_TEST(c.api.proxy == "http://proxy.corp:3128");
  BOOST_TEST(c.api.proxy_auth_file == "/etc/fjwatch/proxy.auth");
  BOOST_TEST(c.actions.at(0).proxy == "none");
  BOOST_TEST(c.actions.at(0).proxy_auth_file == "");
  const std::vector<std::pair<std::string, std::string>> rows{
      {"api: {proxy: \"socks5://u:hunter2@h:1\"}",
       "1:14: api.proxy: not a valid proxy URL: only http:// proxies are supported"},
      {"api: {proxy: \"https://h:1\"}",
       "1:14: api.proxy: not a valid proxy URL: an https:// proxy (TLS to the proxy itself) is "
       "not supported; use http://"},
      {"api: {proxy: \"http://u:hunter2@h:99999\"}",
       "1:14: api.proxy: not a valid proxy URL: bad proxy URL: the port must be a number 1..65535"},
      {"api: {base_url: \"http://127.0.0.1:1\", allow_insecure_http: true, proxy: \"h:1\"}",
       "1:73: api.proxy: a proxy is used only for https URLs"},
      {"api: {proxy: none, proxy_auth_file: a}",
       "1:37: api.proxy_auth_file: set, but proxy is \"none\""},
      {"api: {proxy: [a]}", "1:14: api.proxy: expected a string, got a list"},
      {"api: {proxyy: a}", "1:7: api.proxyy: unknown key (did you mean \"proxy\"?)"},
      {"actions:\n  - {name: h, type: webhook, url: \"https://h/x\", secret_env: H, proxy: "
       "\"ftp://h\"}",
       "2:72: actions[0].proxy: not a valid proxy URL: only http:// proxies are supported"},
      {"actions:\n  - {name: l, type: log, proxy: \"http://h:1\"}",
       "2:26: actions[0].proxy: unknown key"},
  };
  for (const auto& [yaml, want] : rows) {
    BOOST_TEST_CONTEXT(yaml) {
      const auto got = error_of(yaml);
      BOOST_TEST(got == "fjwatch.yaml:" + want);
      BOOST_TEST(got.find("hunter2") == std::string::npos);
    }
  }
}

// The proxies `run` would use, chosen when the secrets are loaded: `check` reports what `run`
// would meet, the credentials file and the environment's proxy included.
BOOST_AUTO_TEST_CASE(proxies_are_chosen_with_the_secrets) {
  temp_dir dir;
  dir.write("proxy.auth", "fjw:hunter2\n");
  dir.write("bad.auth", "hunter2\n");
  const std::string yaml = R"(
api: {proxy_auth_file: proxy.auth}
actions:
  - {name: a, type: webhook, url: "https://a.example/x", secret_env: H}
  - {name: b, type: webhook, url: "https://b.internal/x", secret_env: H}
  - {name: c, type: webhook, url: "https://c.example/x", secret_env: H, proxy: "http://c:1",
     proxy_auth_file: bad.auth}
  - {name: d, type: webhook, url: "https://d.example/x", secret_env: H, proxy: "http://d:1",
     proxy_auth_file: missing.auth}
)";
  const auto cfg = fjwatch::parse_config(yaml, "fjwatch.yaml", dir.path());
  const fjwatch::proxy_environment env{
      .https_proxy = "http://env:3128", .https_proxy_name = "HTTPS_PROXY", .no_proxy = ".internal"};
  const auto loaded = fjwatch::load_secrets(cfg, &env);
  const auto& api = loaded.values.api_proxy;
  BOOST_TEST_REQUIRE(api.has_value());
  BOOST_TEST(api->address() == "env:3128");
  BOOST_TEST(api->authorization == fjwatch::basic_proxy_authorization("fjw", "hunter2"));
  const auto& hooks = loaded.values.webhook_proxies;
  BOOST_TEST(hooks.at("a").value().address() == "env:3128");
  BOOST_TEST(hooks.at("a")->authorization == "");
  BOOST_TEST(!hooks.at("b").has_value());  // NO_PROXY
  BOOST_TEST(!hooks.at("c").has_value());
  std::string problems;
  for (const auto& p : loaded.problems) {
    if (p.message.find("proxy") != std::string::npos) problems += p.str() + "\n";
  }
  BOOST_TEST(problems.find("hunter2") == std::string::npos);
  BOOST_TEST(problems ==
             "fjwatch.yaml:7:23: actions[2].proxy_auth_file: " + (dir / "bad.auth").string() +
                 ": expected user:password\n"
                 "fjwatch.yaml:9:23: actions[3].proxy_auth_file: " +
                 (dir / "missing.auth").string() + ": cannot read: No such file or directory\n");

  // A proxy in the environment that does not parse is a problem of every target it would take.
  const fjwatch::proxy_environment bad{.https_proxy = "socks5://u:hunter2@h",
                                       .https_proxy_name = "https_proxy"};
  const auto direct = fjwatch::parse_config("api: {}\n", "fjwatch.yaml");
  const auto failed = fjwatch::load_secrets(direct, &bad);
  BOOST_TEST_REQUIRE(!failed.problems.empty());
  BOOST_TEST(failed.problems.back().str() ==
             "fjwatch.yaml: api.proxy: $https_proxy: only http:// proxies are supported");
}
