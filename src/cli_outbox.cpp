#include "fjwatch/cli_outbox.hpp"

#include "fjwatch/config.hpp"
#include "fjwatch/store.hpp"
#include "fjwatch/units.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <time.h>  // localtime_r

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace fjwatch {

namespace {

namespace fs = std::filesystem;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 64;
constexpr int exit_config = 78;

constexpr std::size_t default_limit = 100;
constexpr std::size_t max_limit = 1'000'000;

constexpr std::string_view deliveries_usage =
    "usage: fjwatch deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]\n";
constexpr std::string_view redeliver_usage =
    "usage: fjwatch redeliver EVENT_ID [-c FILE] [--action NAME]\n";

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

// The word after args[i], moving i onto it; fails naming the option when there is none.
result<std::string> option_value(std::span<const std::string> args, std::size_t& i,
                                 std::string_view what) {
  if (i + 1 == args.size() || args[i + 1].empty()) {
    return fail(args[i] + " needs " + std::string(what));
  }
  return args[++i];
}

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

// True (and sets out) when args[i] is -c/--config with its file; the failure when it lacks one.
result<bool> config_option(std::span<const std::string> args, std::size_t& i, std::string& out) {
  if (args[i] != "-c" && args[i] != "--config") return false;
  auto v = option_value(args, i, "a file name");
  if (!v) return v.error();
  out = std::move(*v);
  return true;
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
  try {
    return fs::path(load_config(config_path).state_dir);
  } catch (const config_error& e) {
    for (const diagnostic& p : e.problems()) err << p.str() << "\n";
    return std::nullopt;
  }
}

// The store in state_dir when its database exists; nullptr (after a notice on err) when it does
// not, so that nothing is created. Throws store_error when the file cannot be looked at or used.
std::unique_ptr<store> open_existing(const fs::path& state_dir, std::ostream& err) {
  const fs::path file = store::file_in(state_dir);
  std::error_code ec;
  const bool there = fs::exists(file, ec);
  if (ec) throw store_error(file.string() + ": cannot look for the database: " + ec.message());
  if (!there) {
    err << "no database at " << file.string() << " yet: the daemon has not run\n";
    return nullptr;
  }
  return std::make_unique<store>(state_dir);
}

// The wall clock in unix ms, as the store keeps time.
std::int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// "2026-05-01 09:09:10" in the local time zone.
std::string local_time(std::int64_t unix_ms) {
  const auto secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  struct tm parts {};
  std::array<char, 32> buf{};
  if (localtime_r(&secs, &parts) == nullptr ||
      std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &parts) == 0) {
    return std::to_string(unix_ms) + "ms";
  }
  return buf.data();
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

// One object per row; next_attempt(_ms) is null unless the row is pending.
boost::json::array to_json(const std::vector<delivery>& rows) {
  boost::json::array out;
  for (const delivery& d : rows) {
    const bool waiting = d.state == delivery_state::pending;
    boost::json::object o;
    o["event_id"] = d.event_id;
    o["type"] = to_string(d.type);
    o["session_id"] = d.session_id;
    o["action"] = d.action;
    o["state"] = to_string(d.state);
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

// Columns padded to their widest cell, two spaces apart, no trailing blanks.
void print_table(const std::vector<delivery>& rows, std::ostream& out) {
  using line = std::array<std::string, 9>;
  std::vector<line> lines{{"EVENT", "TYPE", "SESSION", "ACTION", "STATE", "ATTEMPTS", "LAST RESULT",
                           "NEXT ATTEMPT", "UPDATED"}};
  for (const delivery& d : rows) {
    lines.push_back({d.event_id, std::string(to_string(d.type)), d.session_id, d.action,
                     std::string(to_string(d.state)), std::to_string(d.attempts),
                     d.last_result.empty() ? "-" : d.last_result,
                     d.state == delivery_state::pending ? local_time(d.next_attempt_ms) : "-",
                     local_time(d.updated_ms)});
  }
  std::array<std::size_t, 9> width{};
  for (const line& l : lines) {
    for (std::size_t c = 0; c < l.size(); ++c) width[c] = std::max(width[c], l[c].size());
  }
  for (const line& l : lines) {
    std::string text;
    for (std::size_t c = 0; c < l.size(); ++c) {
      text += l[c];
      if (c + 1 < l.size()) text.append(width[c] - l[c].size() + 2, ' ');
    }
    out << text << "\n";
  }
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
  const auto state_dir = state_dir_of(o.config_path, err);
  if (!state_dir) return exit_config;
  const auto db = open_existing(*state_dir, err);
  std::vector<delivery> rows = db ? select_rows(*db, o) : std::vector<delivery>{};
  if (rows.size() > o.limit) {
    rows.resize(o.limit);
    err << "(the newest " << o.limit << " shown; --limit N shows more)\n";
  }
  if (o.json) {
    out << boost::json::serialize(to_json(rows)) << "\n";
  } else if (rows.empty()) {
    if (db) out << nothing_to_show(o);
  } else {
    print_table(rows, out);
  }
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
  const std::size_t n = db->redeliver(o.event_id, now_unix_ms(), o.action);
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

// Runs body, turning a database failure (or any other exception) into its message and exit 1.
template <class Body>
int guarded(std::string_view command, std::ostream& err, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    err << "fjwatch " << command << ": " << e.what() << "\n";
    return exit_failure;
  }
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
