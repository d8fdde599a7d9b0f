#include "fjwatch/config/config.hpp"
#include "fjwatch/config/control_address.hpp"
#include "fjwatch/util/read_file.hpp"
#include "fjwatch/util/text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "fjwatch/config/detail/config_reader.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/util/diagnostic.hpp"

namespace fjwatch {
using namespace std::chrono_literals;
namespace {

constexpr std::size_t max_config_bytes = 1 << 20;
constexpr std::size_t max_key_bytes = 64 << 10;

constexpr std::array<std::string_view, 11> top_keys{
    "api", "poll",      "retry",   "watchlist", "state_dir", "control", "control_allow_remote",
    "log", "retention", "actions", "defaults"};
constexpr std::array<std::string_view, 12> api_keys{
    "base_url",          "api_key_file",     "ca_file", "timeout",
    "max_in_flight",     "pipeline",         "rate",    "allow_insecure_http",
    "unreachable_after", "max_server_pause", "proxy",   "proxy_auth_file"};
constexpr std::array<std::string_view, 7> poll_keys{
    "interval", "max_interval",  "max_blind_interval", "multiplier",
    "jitter",   "give_up_after", "after_done"};
constexpr std::array<std::string_view, 2> retry_keys{"initial", "max"};
constexpr std::array<std::string_view, 2> log_keys{"level", "format"};
constexpr std::array<std::string_view, 2> retention_keys{"events", "sessions"};
constexpr std::array<std::string_view, 1> defaults_keys{"actions"};

constexpr std::array<std::pair<std::string_view, after_done_policy>, 2> after_done_names{
    {{"stop", after_done_policy::stop}, {"watch", after_done_policy::watch}}};
constexpr std::array<std::pair<std::string_view, log_level>, 5> level_names{
    {{"trace", log_level::trace},
     {"debug", log_level::debug},
     {"info", log_level::info},
     {"warn", log_level::warn},
     {"error", log_level::error}}};
constexpr std::array<std::pair<std::string_view, log_format>, 2> format_names{
    {{"text", log_format::text}, {"json", log_format::json}}};

// "<lo_key>: 2m is more than <hi_key> (1m); set <hi_key> too", for a pair whose ceiling is a
// default.
void check_below_default(config_map& m, std::string_view lo_key, millis lo, std::string_view hi_key,
                         millis hi) {
  const config_entry* e = m.find(lo_key);
  if (e == nullptr || m.find(hi_key) != nullptr || lo <= hi) return;
  const std::string hi_path = m.self().path + "." + std::string(hi_key);
  m.reader().report(*e, e->value.Scalar() + " is more than " + hi_path + " (" +
                            format_duration(hi) + "); set " + hi_path + " too");
}

void read_api(config_reader& r, const config_entry& e, api_config& api) {
  config_map m(r, e, api_keys);
  const bool url_set = m.get_text("base_url", api.base_url);
  m.get_path("api_key_file", api.api_key_file);
  m.get_path("ca_file", api.ca_file);
  m.get_duration("timeout", api.timeout, 100ms, 10min);
  m.get_int("max_in_flight", api.max_in_flight, 1, 256);
  m.get_int("pipeline", api.pipeline, 1, 16);
  m.get_rate("rate", api.rate_limit);
  m.get_bool("allow_insecure_http", api.allow_insecure_http);
  m.get_duration("unreachable_after", api.unreachable_after, 1s, 24h);
  m.get_duration("max_server_pause", api.max_server_pause, 1s, 24h);
  if (url_set) {
    check_http_url(r, *m.find("base_url"), api.base_url, api.allow_insecure_http,
                   "api.allow_insecure_http", false);
  }
  read_proxy_keys(m, api.base_url, api.proxy, api.proxy_auth_file);
}

void read_poll(config_reader& r, const config_entry& e, poll_config& poll) {
  config_map m(r, e, poll_keys);
  const bool interval_set = m.get_duration("interval", poll.interval, 100ms, 1h);
  m.get_duration("max_interval", poll.max_interval, interval_set ? poll.interval : 100ms, 24h);
  m.get_duration("max_blind_interval", poll.max_blind_interval, 100ms, 24h);
  m.get_number("multiplier", poll.multiplier, 1.0, 10.0);
  m.get_number("jitter", poll.jitter, 0.0, 0.5);
  m.get_duration("give_up_after", poll.give_up_after, 1s);
  m.get_choice<after_done_policy>("after_done", poll.after_done, after_done_names);
  if (interval_set) {
    check_below_default(m, "interval", poll.interval, "max_interval", poll.max_interval);
  }
}

void read_retry(config_reader& r, const config_entry& e, retry_config& retry) {
  config_map m(r, e, retry_keys);
  const bool initial_set = m.get_duration("initial", retry.initial, 10ms, 1h);
  m.get_duration("max", retry.max, initial_set ? retry.initial : 10ms, 24h);
  if (initial_set) check_below_default(m, "initial", retry.initial, "max", retry.max);
}

void read_log(config_reader& r, const config_entry& e, log_config& log) {
  config_map m(r, e, log_keys);
  m.get_choice<log_level>("level", log.level, level_names);
  m.get_choice<log_format>("format", log.format, format_names);
}

// 0 (keep everything) or 1h..100y.
void read_keep(config_map& m, std::string_view key, millis& out) {
  constexpr millis century{100LL * 365 * 24 * 3600'000};
  const config_entry* e = m.find(key);
  if (e != nullptr && e->value.IsScalar() && e->value.Scalar() == "0") {
    out = millis{0};
    return;
  }
  if (!m.get_duration(key, out, 0ms, century) || out.count() == 0 || out >= 1h) return;
  m.reader().report(*e, e->value.Scalar() + " is less than 1h; write 0 to keep everything");
}

void read_retention(config_reader& r, const config_entry& e, retention_config& retention) {
  config_map m(r, e, retention_keys);
  read_keep(m, "events", retention.events);
  read_keep(m, "sessions", retention.sessions);
}

// "", "host:port" (host a name, an IPv4 or a bracketed IPv6 address) or "unix:/absolute/path";
// a host off loopback only with control_allow_remote: true.
void check_control(config_reader& r, const config_entry& e, const std::string& control,
                   bool allow_remote) {
  if (control.empty()) return;
  const auto address = parse_control_address(control);
  if (!address) {
    if (address.error().what.starts_with("expected ")) {
      r.expected(e, "host:port, unix:/path or \"\"");
    } else {
      r.report(e, address.error().what);
    }
  } else if (!allow_remote && !address->local()) {
    r.report(e, "\"" + control +
                    "\" is not a loopback address; set control_allow_remote: true to listen there");
  }
}

void read_defaults(config_reader& r, const config_entry& e, config& c) {
  config_map m(r, e, defaults_keys);
  const config_entry* list = m.find("actions");
  if (list == nullptr) return;
  auto& names = c.default_actions.emplace();
  for (const config_entry& item : r.list(*list)) {
    const auto name = r.text(item);
    if (!name) continue;
    if (c.find_action(*name) == nullptr) {
      r.report(item, "no action named \"" + *name + "\"");
    } else if (std::find(names.begin(), names.end(), *name) == names.end()) {
      names.push_back(*name);
    }
  }
}

// $STATE_DIRECTORY (its first entry when systemd lists several), else /var/lib/fjwatch.
std::string default_state_dir() {
  const char* env = std::getenv("STATE_DIRECTORY");
  const std::string_view dirs = env != nullptr ? env : "";
  const std::string_view first = dirs.substr(0, dirs.find(':'));
  return first.empty() ? "/var/lib/fjwatch" : std::string(first);
}

void read_required_path(config_map& top, std::string_view key, std::string& out) {
  if (top.get_path(key, out) && out.empty()) {
    top.reader().report(*top.find(key), "must not be empty");
  }
}

config read_document(config_reader& r, const YAML::Node& root, const std::string& source) {
  config c;
  c.source = source;
  c.state_dir = default_state_dir();
  // A truncated or emptied file must not start a daemon on built-in defaults.
  if (root.IsNull()) {
    r.report_at(1, 1,
                "no settings: the file is empty or holds only comments (write {} to run "
                "on every default)");
    return c;
  }
  config_map top(r, root_entry(root), top_keys);
  if (const config_entry* e = top.find("api")) read_api(r, *e, c.api);
  if (const config_entry* e = top.find("poll")) read_poll(r, *e, c.poll);
  if (const config_entry* e = top.find("retry")) read_retry(r, *e, c.retry);
  read_required_path(top, "watchlist", c.watchlist);
  read_required_path(top, "state_dir", c.state_dir);
  top.get_bool("control_allow_remote", c.control_allow_remote);
  if (top.get_text("control", c.control)) {
    check_control(r, *top.find("control"), c.control, c.control_allow_remote);
  }
  if (const config_entry* e = top.find("log")) read_log(r, *e, c.log);
  if (const config_entry* e = top.find("retention")) read_retention(r, *e, c.retention);
  if (const config_entry* e = top.find("actions")) c.actions = read_actions(r, *e);
  if (const config_entry* e = top.find("defaults")) read_defaults(r, *e, c);
  return c;
}

std::string join_problems(const std::vector<diagnostic>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p.str();
  return out;
}

[[noreturn]] void throw_key_problem(const config& cfg, std::string message) {
  throw config_error({diagnostic{.file = cfg.source, .message = std::move(message)}});
}

// The trimmed key from `text`, or nullopt (with why in `looked`) when there is none.
std::optional<std::string> key_from(const config& cfg, std::string_view place,
                                    std::string_view text, std::vector<std::string>& looked) {
  const std::string_view key = trim(text);
  if (key.empty()) {
    looked.push_back(std::string(place) + " (empty)");
    return std::nullopt;
  }
  for (const char c : key) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      throw_key_problem(cfg, "the API key in " + std::string(place) +
                                 " contains whitespace or control characters");
    }
  }
  return std::string(key);
}

std::optional<std::string> key_from_file(const config& cfg, const std::string& path,
                                         std::vector<std::string>& looked) {
  const auto text = read_file(path, max_key_bytes);
  if (!text) {
    looked.push_back(path + " (" + text.error().what + ")");
    return std::nullopt;
  }
  return key_from(cfg, path, *text, looked);
}

}  // namespace

diagnostic config::problem_at(std::string_view path, std::string message) const {
  auto it = positions.find(path);
  const config_position at = it != positions.end() ? it->second : config_position{};
  return diagnostic{.file = source,
                    .line = at.line,
                    .column = at.column,
                    .message = std::string(path) + ": " + std::move(message)};
}

const action_config* config::find_action(std::string_view name) const {
  for (const auto& a : actions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

config_error::config_error(std::vector<diagnostic> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

config parse_config(std::string_view yaml_text, const std::string& name,
                    const std::filesystem::path& base_dir) {
  config_reader reader(name, base_dir);
  config c;
  if (const auto root = parse_yaml(yaml_text, reader)) c = read_document(reader, *root, name);
  if (reader.has_errors()) throw config_error(reader.take());
  c.positions = reader.take_positions();
  return c;
}

std::string config_path_or_default(std::string given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("FJWATCH_CONFIG");
  return env != nullptr && *env != '\0' ? env : "/etc/fjwatch/fjwatch.yaml";
}

config load_config(const std::filesystem::path& path) {
  const auto text = read_file(path, max_config_bytes);
  if (!text) {
    throw config_error(
        {diagnostic{.file = path.string(), .message = "cannot read: " + text.error().what}});
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return parse_config(*text, path.string(), (ec ? path : absolute).parent_path());
}

std::string load_api_key(const config& cfg) {
  std::vector<std::string> looked;
  const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
  if (credentials == nullptr || *credentials == '\0') {
    looked.push_back("$CREDENTIALS_DIRECTORY/fj-api-key (not set)");
  } else if (auto key = key_from_file(
                 cfg, (std::filesystem::path(credentials) / "fj-api-key").string(), looked)) {
    return *key;
  }
  if (cfg.api.api_key_file.empty()) {
    looked.push_back("api.api_key_file (not set)");
  } else if (cfg.api.api_key_file.find("fjk_") != std::string::npos) {
    looked.push_back("api.api_key_file (it holds what looks like a key, not a path)");
  } else if (auto key = key_from_file(cfg, cfg.api.api_key_file, looked)) {
    return *key;
  }
  const char* env = std::getenv("FJ_API_KEY");
  if (env == nullptr) {
    looked.push_back("$FJ_API_KEY (not set)");
  } else if (auto key = key_from(cfg, "$FJ_API_KEY", env, looked)) {
    return *key;
  }
  std::string message = "no API key: looked in ";
  for (std::size_t i = 0; i < looked.size(); ++i) message += (i == 0 ? "" : ", ") + looked[i];
  throw_key_problem(cfg, std::move(message));
}

std::set<std::string, std::less<>> action_names(const config& cfg) {
  std::set<std::string, std::less<>> names;
  for (const auto& a : cfg.actions) names.insert(a.name);
  return names;
}

}  // namespace fjwatch
