#include "fjwatch/cli/outbox_commands.hpp"

#include "fjwatch/cli/detail/cli_common.hpp"

#include "fjwatch/config/config.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/util/exit_codes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

namespace {

namespace fs = std::filesystem;

using namespace cli;

constexpr std::size_t default_limit = 100;
constexpr std::size_t max_limit = 1'000'000;

constexpr std::string_view deliveries_usage =
    "usage: fjwatch deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]\n";
constexpr std::string_view redeliver_usage =
    "usage: fjwatch redeliver EVENT_ID [-c FILE] [--action NAME]\n";

constexpr std::string_view enable_usage = "usage: fjwatch enable ACTION [-c FILE]\n";

// What `fjwatch deliveries` was asked for.
struct deliveries_options {
  std::string config_path;
  bool help = false;
  bool failed = false;
  bool pending = false;
  bool json = false;
  std::size_t limit = default_limit;
};

// What `fjwatch redeliver` was asked for.
struct redeliver_options {
  std::string config_path;
  bool help = false;
  std::string event_id;
  std::optional<std::string> action;
};

// A whole number from 1 to max_limit; fails on anything else.
result<std::size_t> parse_limit(std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > max_limit) {
    return fail("--limit needs a whole number from 1 to " + std::to_string(max_limit) + ", got \"" +
                std::string(text) + "\"");
  }
  return n;
}

// The words after `deliveries`; fails with the usage error to print.
result<deliveries_options> parse_deliveries(std::span<const std::string> args) {
  deliveries_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto is_config = config_option(args, i, o.config_path);
    if (!is_config) return is_config.error();
    if (*is_config) continue;
    if (a == "--failed") {
      o.failed = true;
    } else if (a == "--pending") {
      o.pending = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--limit") {
      auto v = option_value(args, i, "a number");
      if (!v) return v.error();
      auto n = parse_limit(*v);
      if (!n) return n.error();
      o.limit = *n;
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a.starts_with("-")) {
      return fail("unknown option " + a);
    } else {
      return fail("unexpected argument " + a);
    }
  }
  o.config_path = config_path_or_default(std::move(o.config_path));
  return o;
}

// The words after `redeliver`; fails with the usage error to print.
result<redeliver_options> parse_redeliver(std::span<const std::string> args) {
  redeliver_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto is_config = config_option(args, i, o.config_path);
    if (!is_config) return is_config.error();
    if (*is_config) continue;
    if (a == "--action") {
      auto v = option_value(args, i, "an action name");
      if (!v) return v.error();
      o.action = std::move(*v);
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a.starts_with("-")) {
      return fail("unknown option " + a);
    } else if (o.event_id.empty() && !a.empty()) {
      o.event_id = a;
    } else {
      return fail("unexpected argument " + a);
    }
  }
  if (o.event_id.empty() && !o.help) return fail("needs an EVENT_ID");
  o.config_path = config_path_or_default(std::move(o.config_path));
  return o;
}

// The config's state_dir; nullopt after printing the config's problems on err.
std::optional<fs::path> state_dir_of(const std::string& config_path, std::ostream& err) {
  auto cfg = load_config_reporting(config_path, err);
  if (!cfg) return std::nullopt;
  return fs::path(cfg->state_dir);
}

// The rows to show, newest first, at most limit + 1 (one more than asked tells that more exist).
std::vector<delivery> select_rows(store& db, const deliveries_options& o) {
  const std::size_t want = o.limit + 1;
  if (!o.failed && !o.pending) return db.list_deliveries(std::nullopt, want);
  if (o.failed != o.pending) {
    return db.list_deliveries(o.failed ? delivery_state::failed : delivery_state::pending, want);
  }
  const auto failed = db.list_deliveries(delivery_state::failed, want);
  const auto pending = db.list_deliveries(delivery_state::pending, want);
  std::vector<delivery> rows;
  std::merge(failed.begin(), failed.end(), pending.begin(), pending.end(), std::back_inserter(rows),
             [](const delivery& a, const delivery& b) { return a.updated_ms > b.updated_ms; });
  if (rows.size() > want) rows.resize(want);
  return rows;
}

// What a pending row waits on besides its time: its action disabled (410 Gone), or gone from the
// config.
struct action_facts {
  std::set<std::string, std::less<>> disabled;    // by their receivers (410 Gone)
  std::set<std::string, std::less<>> configured;  // the config's actions
};

action_facts facts_of(store& db, const config& cfg) {
  action_facts out{.configured = action_names(cfg)};
  for (auto& a : db.disabled_actions()) out.disabled.insert(std::move(a.action));
  return out;
}

// A row's state as shown: "held" for a pending delivery of a disabled action, "unconfigured" for
// one of an action the config no longer has (it goes out once the action is configured again).
std::string state_text(const delivery& d, const action_facts& f) {
  if (d.state == delivery_state::pending && !f.configured.contains(d.action)) return "unconfigured";
  if (d.state == delivery_state::pending && f.disabled.contains(d.action)) return "held";
  return std::string(to_string(d.state));
}

// One object per row; next_attempt(_ms) is null unless the row is pending.
boost::json::array to_json(const std::vector<delivery>& rows, const action_facts& facts) {
  boost::json::array out;
  for (const delivery& d : rows) {
    const bool waiting = d.state == delivery_state::pending;
    boost::json::object o;
    o["event_id"] = d.event_id;
    o["type"] = to_string(d.type);
    o["session_id"] = d.session_id;
    o["action"] = d.action;
    o["state"] = state_text(d, facts);
    o["attempts"] = d.attempts;
    o["last_result"] = d.last_result;
    o["next_attempt_ms"] = waiting ? boost::json::value(d.next_attempt_ms) : nullptr;
    o["next_attempt"] = waiting ? boost::json::value(format_rfc3339(d.next_attempt_ms)) : nullptr;
    o["updated_ms"] = d.updated_ms;
    o["updated"] = format_rfc3339(d.updated_ms);
    out.push_back(std::move(o));
  }
  return out;
}

// The deliveries as an aligned table under a header row.
void print_deliveries(const std::vector<delivery>& rows, const action_facts& facts,
                      std::ostream& out) {
  std::vector<std::vector<std::string>> lines{{"EVENT", "TYPE", "SESSION", "ACTION", "STATE",
                                               "ATTEMPTS", "LAST RESULT", "NEXT ATTEMPT",
                                               "UPDATED"}};
  for (const delivery& d : rows) {
    lines.push_back({d.event_id, std::string(to_string(d.type)), d.session_id, d.action,
                     state_text(d, facts), std::to_string(d.attempts),
                     d.last_result.empty() ? "-" : d.last_result,
                     d.state == delivery_state::pending ? local_time(d.next_attempt_ms) : "-",
                     local_time(d.updated_ms)});
  }
  print_table(lines, out);
}

// "no deliveries", "no failed deliveries", "no failed or pending deliveries"...
std::string nothing_to_show(const deliveries_options& o) {
  std::string which = o.failed && o.pending ? "failed or pending "
                      : o.failed            ? "failed "
                      : o.pending           ? "pending "
                                            : "";
  return "no " + which + "deliveries\n";
}

// The deliveries command after parsing; throws store_error when the database cannot be read.
int list(const deliveries_options& o, std::ostream& out, std::ostream& err) {
  const auto cfg = load_config_reporting(o.config_path, err);
  if (!cfg) return exit_config;
  const auto db = open_existing(cfg->state_dir, err);
  std::vector<delivery> rows = db ? select_rows(*db, o) : std::vector<delivery>{};
  if (rows.size() > o.limit) {
    rows.resize(o.limit);
    err << "(the newest " << o.limit << " shown; --limit N shows more)\n";
  }
  const auto facts = db ? facts_of(*db, *cfg) : action_facts{};
  if (o.json) {
    out << boost::json::serialize(to_json(rows, facts)) << "\n";
  } else if (rows.empty()) {
    if (db) out << nothing_to_show(o);
  } else {
    print_deliveries(rows, facts, out);
  }
  for (const auto& name : facts.disabled) {
    err << "action " << name << " is disabled (its receiver answered 410 Gone): its deliveries "
        << "are held; `fjwatch enable " << name << "` sends them\n";
  }
  std::set<std::string, std::less<>> unconfigured;
  for (const auto& d : rows) {
    if (state_text(d, facts) == "unconfigured") unconfigured.insert(d.action);
  }
  for (const auto& name : unconfigured) {
    err << "action " << name << " is not in the config: its pending deliveries wait, and go out "
        << "once an action of that name is configured again\n";
  }
  return exit_ok;
}

// `fjwatch enable ACTION`: the running daemon finds the action enabled within a few seconds and
// sends what was held.
int enable(const std::string& config_path, const std::string& action, std::ostream& out,
           std::ostream& err) {
  const auto state_dir = state_dir_of(config_path, err);
  if (!state_dir) return exit_config;
  const auto db = open_existing(*state_dir, err);
  if (!db) return exit_failure;
  if (!db->enable_action(action)) {
    out << "action " << action << " is not disabled: nothing to do\n";
    return exit_ok;
  }
  out << "enabled " << action << ": the daemon sends its held deliveries within a few seconds\n";
  return exit_ok;
}

// The action names of an event's deliveries, comma-separated.
std::string action_names(const std::vector<delivery>& ds) {
  std::string out;
  for (const delivery& d : ds) out += (out.empty() ? "" : ", ") + d.action;
  return out;
}

// The redeliver command after parsing; throws store_error when the database cannot be written.
int requeue(const redeliver_options& o, std::ostream& out, std::ostream& err) {
  const auto state_dir = state_dir_of(o.config_path, err);
  if (!state_dir) return exit_config;
  const auto db = open_existing(*state_dir, err);
  if (!db) return exit_failure;
  const auto ds = db->deliveries_of(o.event_id);
  if (ds.empty()) {
    err << "fjwatch redeliver: no event " << o.event_id << "\n";
    return exit_failure;
  }
  if (o.action && std::none_of(ds.begin(), ds.end(),
                               [&](const delivery& d) { return d.action == *o.action; })) {
    err << "fjwatch redeliver: event " << o.event_id << " has no delivery to action \"" << *o.action
        << "\" (it has: " << action_names(ds) << ")\n";
    return exit_failure;
  }
  const std::size_t n = db->redeliver(o.event_id, unix_ms_now(), o.action);
  const std::string target = o.action ? " to " + *o.action : "";
  if (n == 0) {
    out << "nothing to re-queue: " << (o.action ? "the delivery" : "every delivery") << " of "
        << o.event_id << target << " is already pending\n";
  } else {
    out << "re-queued " << n << (n == 1 ? " delivery" : " deliveries") << " of " << o.event_id
        << target << ", due now\n";
  }
  return exit_ok;
}

}  // namespace

int run_deliveries(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const auto o = parse_deliveries(args);
  if (!o) {
    err << "fjwatch deliveries: " << o.error().what << "\n" << deliveries_usage;
    return exit_usage;
  }
  if (o->help) {
    out << deliveries_usage;
    return exit_ok;
  }
  return guarded("deliveries", err, [&] { return list(*o, out, err); });
}

int run_enable(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  std::string config_path;
  std::string action;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto is_config = config_option(args, i, config_path);
    if (!is_config) {
      err << "fjwatch enable: " << is_config.error().what << "\n" << enable_usage;
      return exit_usage;
    }
    if (*is_config) continue;
    if (args[i] == "-h" || args[i] == "--help") {
      out << enable_usage;
      return exit_ok;
    }
    if (!action.empty() || args[i].empty() || args[i].starts_with("-")) {
      err << "fjwatch enable: unexpected argument " << args[i] << "\n" << enable_usage;
      return exit_usage;
    }
    action = args[i];
  }
  if (action.empty()) {
    err << "fjwatch enable: needs an ACTION\n" << enable_usage;
    return exit_usage;
  }
  config_path = config_path_or_default(std::move(config_path));
  return guarded("enable", err, [&] { return enable(config_path, action, out, err); });
}

int run_redeliver(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const auto o = parse_redeliver(args);
  if (!o) {
    err << "fjwatch redeliver: " << o.error().what << "\n" << redeliver_usage;
    return exit_usage;
  }
  if (o->help) {
    out << redeliver_usage;
    return exit_ok;
  }
  return guarded("redeliver", err, [&] { return requeue(*o, out, err); });
}

}  // namespace fjwatch
