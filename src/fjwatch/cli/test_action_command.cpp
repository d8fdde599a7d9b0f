#include "fjwatch/cli/test_action_command.hpp"

#include "fjwatch/cli/detail/cli_common.hpp"

#include "fjwatch/config/config.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/domain/event_template.hpp"
#include "fjwatch/domain/test_event.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/outbox/single_attempt.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/util/exit_codes.hpp"
#include "fjwatch/util/text.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

namespace {

using namespace cli;

constexpr std::string_view usage = "usage: fjwatch test-action NAME [-c FILE]\n";

// Most of a receiver's answer shown after a failed attempt.
constexpr std::size_t shown_answer = 200;

struct test_action_options {
  std::string config_path;
  std::string action;
  bool help = false;
};

// The words after `test-action`; fails with the usage error to print.
result<test_action_options> parse_test_action(std::span<const std::string> args) {
  test_action_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto is_config = config_option(args, i, o.config_path);
    if (!is_config) return is_config.error();
    if (*is_config) continue;
    if (args[i] == "-h" || args[i] == "--help") {
      o.help = true;
    } else if (args[i].starts_with("-")) {
      return fail("unknown option " + args[i]);
    } else if (!o.action.empty() || args[i].empty()) {
      return fail("unexpected argument " + args[i]);
    } else {
      o.action = args[i];
    }
  }
  if (o.action.empty() && !o.help) return fail("needs an action NAME");
  o.config_path = config_path_or_default(std::move(o.config_path));
  return o;
}

// The position of action `name` in the config, if it has one.
std::optional<std::size_t> action_index(const config& cfg, std::string_view name) {
  for (std::size_t i = 0; i < cfg.actions.size(); ++i) {
    if (cfg.actions[i].name == name) return i;
  }
  return std::nullopt;
}

// The test event as a delivery row would carry it to `action`: a fresh id, the payload built by
// the code that builds every real event's.
delivery test_delivery(const std::string& action) {
  std::random_device random;
  const std::uint64_t nonce = (static_cast<std::uint64_t>(random()) << 32) | random();
  const std::int64_t now = unix_ms_now();
  const event_facts facts = test_event_facts();
  delivery d;
  d.event_id = test_event_id(now, nonce);
  d.action = action;
  d.updated_ms = now;
  d.type = event_type::test;
  d.session_id = facts.session_id;
  d.payload = event_payload(event_type::test, facts, now);
  d.fields = facts;  // as event_fields: without the raw session
  return d;
}

// What the action did with the event, for a person: "HTTP 204", "exit 0", `logged "..."`.
std::string success_text(const action_config& a, const delivery& d, const single_attempt& r) {
  switch (a.kind) {
    case action_kind::webhook:
      return r.result;
    case action_kind::command:
      return "exit 0";
    case action_kind::log: {
      const auto text = render_template(a.template_text, d.type, d.event_id, d.fields);
      const bool hidden = !log::enabled(log_level::info);
      return "logged " + quoted(text, 1000) +
             (hidden ? " (not written: log.level is above info)" : "");
    }
  }
  return r.result;
}

// Why the attempt failed: the runner's reason, the start of the answer the receiver sent.
std::string failure_text(const single_attempt& r) {
  std::string out = r.result;
  if (!r.answer.empty()) out += " " + quoted(r.answer, shown_answer);
  if (r.verdict == delivery_verdict::gone) {
    out += " (410 Gone: the daemon would disable this action until `fjwatch enable`)";
  }
  return out;
}

// The config loaded, the action found and its secrets read: the attempt and its line.
int send_test(const config& cfg, std::size_t index, const secrets& keys, std::ostream& out) {
  const action_config& a = cfg.actions[index];
  const delivery d = test_delivery(a.name);
  const single_attempt r = attempt_once(cfg, index, keys, d);
  const bool ok = r.verdict == delivery_verdict::delivered;
  out << "test-action " << escaped(a.name, escape_style::display) << ": "
      << (ok ? success_text(a, d, r) + " in " + std::to_string(r.took.count()) + " ms"
             : "failed after " + std::to_string(r.took.count()) + " ms: " + failure_text(r))
      << " (event " << d.event_id << ")\n";
  return ok ? exit_ok : exit_failure;
}

// The command after parsing.
int test_action(const test_action_options& o, std::ostream& out, std::ostream& err) {
  const auto cfg = load_config_reporting(o.config_path, err);
  if (!cfg) return exit_config;
  const auto index = action_index(*cfg, o.action);
  if (!index) {
    std::string known;
    for (const auto& a : cfg->actions) known += (known.empty() ? "" : ", ") + a.name;
    err << "fjwatch test-action: no action " << quoted(o.action, 100) << " in " << o.config_path
        << " (it has: " << (known.empty() ? "none" : known) << ")\n";
    return exit_data;
  }
  log::configure(cfg->log.level, cfg->log.format);
  const auto keys = load_action_secrets(*cfg, *index);
  for (const diagnostic& p : keys.problems) err << p.str() << "\n";
  if (!keys.problems.empty()) return exit_config;
  try {
    return send_test(*cfg, *index, keys.values, out);
  } catch (const config_error& e) {
    for (const diagnostic& p : e.problems()) err << p.str() << "\n";
    return exit_config;
  }
}

}  // namespace

int run_test_action(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const auto o = parse_test_action(args);
  if (!o) {
    err << "fjwatch test-action: " << o.error().what << "\n" << usage;
    return exit_usage;
  }
  if (o->help) {
    out << usage;
    return exit_ok;
  }
  return guarded("test-action", err, [&] { return test_action(*o, out, err); });
}

}  // namespace fjwatch
