#pragma once
// fjwatch.yaml as plain structs. Every key and its default is declared here, in one place.
#include "fjwatch/domain/event.hpp"
#include "fjwatch/log/log_level.hpp"
#include "fjwatch/policy/after_done.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

namespace fjwatch {

struct api_config {
  std::string base_url = "https://prod.api.futurejobs.ai";
  std::string api_key_file = "/etc/fjwatch/api-key";
  std::string ca_file;     // extra trust anchor; the system store is always used
  millis timeout{10'000};  // whole request, connect to last byte (100ms..10m)
  int max_in_flight = 8;   // workers = keep-alive connections (1..256)
  int pipeline = 8;        // requests sent at once on one connection (1..16)
  rate rate_limit{10.0};   // key "rate": token bucket over every request
  bool allow_insecure_http = false;
  millis unreachable_after{300'000};  // /healthz: every poll failing this long (1s..24h)
  // The longest pause of polling a server can ask for (Retry-After, RateLimit-Reset) (1s..24h).
  millis max_server_pause{15 * 60'000};
  // An HTTP proxy for the API (http://[user:pass@]host[:port], port 1080 unless given): "" takes
  // $HTTPS_PROXY / $https_proxy unless $NO_PROXY exempts the host; "none" never uses one.
  std::string proxy;
  std::string proxy_auth_file;  // "user:password" for the proxy's basic auth; "" for none
  friend bool operator==(const api_config&, const api_config&) = default;
};

struct poll_config {
  millis interval{5'000};               // first gap (100ms..1h)
  millis max_interval{60'000};          // gap ceiling (>= interval, <= 24h)
  millis max_blind_interval{25'000};    // gap ceiling while progress predicts nothing (100ms..24h)
  double multiplier = 3.5;              // 1.0..10.0
  double jitter = 0.1;                  // 0.0..0.5, fraction of the gap
  millis give_up_after{24 * 3600'000};  // then session.timeout (>= 1s)
  after_done_policy after_done = after_done_policy::stop;
  friend bool operator==(const poll_config&, const poll_config&) = default;
};

struct retry_config {
  millis initial{1'000};  // (10ms..1h)
  millis max{300'000};    // (>= initial, <= 24h)
  friend bool operator==(const retry_config&, const retry_config&) = default;
};

// What the database keeps (0: everything, for ever). Pruning runs in the daemon, in small
// transactions, a minute after start and every hour.
struct retention_config {
  // Events older than this whose every delivery has ended (delivered or failed) are deleted with
  // their deliveries; a pending delivery is never deleted (0, or 1h..100y).
  millis events{90LL * 24 * 3600'000};
  // Sessions no longer in the watch list whose row has not changed for this long are forgotten,
  // keeping only what they last reported (0, or 1h..100y).
  millis sessions{90LL * 24 * 3600'000};
  friend bool operator==(const retention_config&, const retention_config&) = default;
};

struct log_config {
  log_level level = log_level::info;
  log_format format = log_format::text;
  friend bool operator==(const log_config&, const log_config&) = default;
};

enum class action_kind { log, webhook, command };

struct action_config {
  std::string name;  // [A-Za-z0-9_.-]+, unique
  action_kind kind = action_kind::log;
  // Event types this action receives. Default: done, not_found, timeout (status_changed is opt-in).
  std::vector<event_type> on{event_type::done, event_type::not_found, event_type::timeout};
  // log
  std::string template_text = "{event} {session_id} {title}: {status}, {matched} profiles";
  // webhook
  std::string url;
  std::vector<std::string> secret_files;  // "secret_file": one path or a list of up to two
  std::string secret_env;                 // or the name of an environment variable
  std::map<std::string, std::string> headers;
  millis timeout{15'000};  // webhook 15s, command 30s (set by the parser)
  std::string ca_file;
  std::vector<millis> retry_schedule;  // empty: the default schedule
  bool allow_insecure_http = false;
  // webhook and command: attempts at once (webhook connections, command processes). An event
  // whose attempt was under way at a crash may be delivered again, so this bounds the repeats.
  int max_in_flight = 4;        // webhook 4, command 1 (set by the parser)
  std::string proxy;            // webhook: as api.proxy, for this action's url
  std::string proxy_auth_file;  // webhook: as api.proxy_auth_file
  // command
  std::vector<std::string> argv;
  friend bool operator==(const action_config&, const action_config&) = default;
};

// Where a value was written: 1-based line and column, 0 when unknown.
struct config_position {
  int line = 0;
  int column = 0;
};

struct config {
  std::string source;  // the path it was read from ("" for built-in defaults)
  api_config api;
  poll_config poll;
  retry_config retry;
  std::string watchlist = "/etc/fjwatch/watchlist.yaml";
  std::string state_dir;                   // default: $STATE_DIRECTORY, else /var/lib/fjwatch
  std::string control = "127.0.0.1:9470";  // "" turns it off
  bool control_allow_remote = false;       // a control address off loopback is refused without it
  log_config log;
  retention_config retention;
  std::vector<action_config> actions;
  // "defaults.actions": names from `actions`; nullopt when the file has no defaults.actions
  // (entries that name no actions then get every action: see action_routing.hpp).
  std::optional<std::vector<std::string>> default_actions;
  // Where each value was written, by its path ("api.timeout", "actions[1].secret_file[0]"): for
  // problems found after parsing (a secret that cannot be read). Not a setting: reloads ignore it.
  std::map<std::string, config_position, std::less<>> positions;

  const action_config* find_action(std::string_view name) const;
  // "<path>: <message>" at the position where `path` was written (unknown: none).
  diagnostic problem_at(std::string_view path, std::string message) const;
};

// Every problem in a config file; what() is all of them, one "file:line:col: message" per line.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<diagnostic> problems);
  const std::vector<diagnostic>& problems() const { return problems_; }

 private:
  std::vector<diagnostic> problems_;
};

// The config file a command reads: `given` (its -c FILE) when not empty, else $FJWATCH_CONFIG
// when set and not empty, else /etc/fjwatch/fjwatch.yaml.
std::string config_path_or_default(std::string given);

// Reads and validates a config file. Unknown keys, wrong types, out-of-range values, a non-https
// base_url (unless api.allow_insecure_http), duplicate action names, unknown action names in
// defaults.actions, unknown event types and bad templates are all collected and thrown together
// as one config_error (a missing or unreadable file too). Relative paths in the file
// (watchlist, state_dir, *_file) are resolved against the file's directory.
config load_config(const std::filesystem::path& path);

// The same, from text (tests); `name` is the file name used in messages.
config parse_config(std::string_view yaml_text, const std::string& name,
                    const std::filesystem::path& base_dir = {});

// The names of the configured actions (what a watch list entry's `actions` may name).
std::set<std::string, std::less<>> action_names(const config& cfg);

// The API key: $CREDENTIALS_DIRECTORY/fj-api-key, then api.api_key_file, then $FJ_API_KEY; the
// first that exists wins; surrounding whitespace trimmed. Throws config_error naming all three
// places when none has a key (an empty file counts as none). Never puts the key in a message.
std::string load_api_key(const config& cfg);

}  // namespace fjwatch
