// The `actions` list of fjwatch.yaml: log, webhook and command actions.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "fjwatch/config/detail/config_reader.hpp"
#include "fjwatch/http/token.hpp"
#include "fjwatch/domain/event_template.hpp"

namespace fjwatch {
using namespace std::chrono_literals;
namespace {

// clang-format off
constexpr std::array<std::string_view, 4> log_keys{"name", "type", "on", "template"};
constexpr std::array<std::string_view, 14> webhook_keys{
    "name", "type", "on", "url", "secret_file", "secret_env", "headers", "timeout", "ca_file",
    "retry_schedule", "allow_insecure_http", "max_in_flight", "proxy", "proxy_auth_file"};
constexpr std::array<std::string_view, 6> command_keys{
    "name", "type", "on", "argv", "timeout", "max_in_flight"};
constexpr std::array<std::string_view, 16> any_kind_keys{
    "name", "type", "on", "template", "url", "secret_file", "secret_env", "headers", "timeout",
    "ca_file", "retry_schedule", "allow_insecure_http", "argv", "max_in_flight", "proxy",
    "proxy_auth_file"};
// clang-format on

constexpr std::array<std::pair<std::string_view, action_kind>, 3> kind_names{
    {{"log", action_kind::log},
     {"webhook", action_kind::webhook},
     {"command", action_kind::command}}};

// Headers fjwatch writes itself (Standard Webhooks and HTTP framing), compared in lower case.
constexpr std::array<std::string_view, 8> reserved_headers{
    "content-type",      "content-length",   "host",
    "transfer-encoding", "connection",       "webhook-id",
    "webhook-timestamp", "webhook-signature"};

constexpr millis min_action_timeout = 100ms;
constexpr millis max_action_timeout = 1h;
constexpr int max_action_in_flight = 64;

// The action's type when the map states a valid one, so its keys can be checked before reading.
std::optional<action_kind> peek_kind(const YAML::Node& action) {
  if (!action.IsMap()) return std::nullopt;
  for (auto it = action.begin(); it != action.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "type" || !it->second.IsScalar()) continue;
    for (const auto& [name, kind] : kind_names) {
      if (it->second.Scalar() == name) return kind;
    }
  }
  return std::nullopt;
}

std::span<const std::string_view> keys_for(std::optional<action_kind> kind) {
  if (!kind) return any_kind_keys;
  switch (*kind) {
    case action_kind::log:
      return log_keys;
    case action_kind::webhook:
      return webhook_keys;
    case action_kind::command:
      return command_keys;
  }
  return any_kind_keys;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool is_env_name(std::string_view s) {
  return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `on`: a list of event types, duplicates dropped; replaces the default list.
void read_on(config_map& m, action_config& a) {
  const config_entry* on = m.find("on");
  if (on == nullptr) return;
  std::array<std::pair<std::string_view, event_type>, 4> names{};
  std::size_t i = 0;
  for (const auto t :
       {event_type::done, event_type::not_found, event_type::timeout, event_type::status_changed}) {
    names[i++] = {to_string(t), t};
  }
  a.on.clear();
  for (const config_entry& item : m.reader().list(*on)) {
    const auto t = m.reader().choice<event_type>(item, names);
    if (t && std::find(a.on.begin(), a.on.end(), *t) == a.on.end()) a.on.push_back(*t);
  }
}

void read_log_action(config_map& m, action_config& a) {
  if (!m.get_text("template", a.template_text)) return;
  if (const auto checked = check_template(a.template_text); !checked) {
    m.reader().report(*m.find("template"), checked.error().what);
  }
}

// Adds one secret_file path; an empty one is reported.
void add_secret_file(config_reader& r, const config_entry& e, action_config& a) {
  const auto path = r.path(e);
  if (!path) return;
  if (path->empty()) {
    r.report(e, "must not be empty");
  } else {
    a.secret_files.push_back(*path);
  }
}

// secret_file (a path or a list of one or two) or secret_env, exactly one of them.
void read_secrets(config_map& m, action_config& a) {
  config_reader& r = m.reader();
  const config_entry* file = m.find("secret_file");
  const config_entry* env = m.find("secret_env");
  if (file != nullptr && file->value.IsSequence()) {
    const auto items = r.list(*file);
    if (items.empty() || items.size() > 2) r.report(*file, "expected one or two paths");
    for (const config_entry& item : items) add_secret_file(r, item, a);
  } else if (file != nullptr) {
    add_secret_file(r, *file, a);
  }
  if (env != nullptr) {
    const auto name = r.text(*env);
    if (name && is_env_name(*name)) {
      a.secret_env = *name;
    } else if (name) {
      // Not echoed: it may be the secret itself, pasted in the wrong place.
      r.report(*env, "expected the name of an environment variable");
    }
  }
  if (file != nullptr && env != nullptr) {
    r.report(*env, "set secret_file or secret_env, not both");
  } else if (file == nullptr && env == nullptr) {
    r.report(m.self(), "a webhook needs secret_file or secret_env");
  }
}

// Free-form name: value pairs; names are HTTP tokens, unique in any case, not ones fjwatch sets.
void read_headers(config_map& m, action_config& a) {
  const config_entry* e = m.find("headers");
  if (e == nullptr) return;
  config_reader& r = m.reader();
  const config_map headers(r, *e, {});
  std::set<std::string> seen;
  for (const auto& [name, key, value] : headers.entries()) {
    const std::string folded = lower(name);
    if (!is_http_token(name)) {
      r.report(key, "not a valid header name");
    } else if (std::find(reserved_headers.begin(), reserved_headers.end(), folded) !=
               reserved_headers.end()) {
      r.report(key, "set by fjwatch; cannot be overridden");
    } else if (!seen.insert(folded).second) {
      r.report(key, "duplicate header");
    } else if (const auto text = r.text(value)) {
      if (sendable_field_value(*text)) {
        a.headers[name] = *text;
      } else {
        r.report(value, "a header value cannot contain control characters");  // not echoed
      }
    }
  }
}

void read_webhook_action(config_map& m, action_config& a) {
  config_reader& r = m.reader();
  m.get_bool("allow_insecure_http", a.allow_insecure_http);
  if (m.find("url") == nullptr) {
    r.report(m.self(), "missing key \"url\"");
  } else if (m.get_text("url", a.url)) {
    check_http_url(r, *m.find("url"), a.url, a.allow_insecure_http,
                   m.self().path + ".allow_insecure_http", true);
  }
  read_secrets(m, a);
  read_headers(m, a);
  m.get_duration("timeout", a.timeout, min_action_timeout, max_action_timeout);
  m.get_int("max_in_flight", a.max_in_flight, 1, max_action_in_flight);
  m.get_path("ca_file", a.ca_file);
  read_proxy_keys(m, a.url, a.proxy, a.proxy_auth_file);
  if (const config_entry* schedule = m.find("retry_schedule")) {
    for (const config_entry& item : r.list(*schedule)) {
      if (const auto d = r.duration(item, 10ms, 24h)) a.retry_schedule.push_back(*d);
    }
  }
}

// argv (a non-empty list, argv[0] non-empty) and timeout, which defaults to 30s for commands.
void read_command_action(config_map& m, action_config& a) {
  config_reader& r = m.reader();
  a.timeout = 30s;
  a.max_in_flight = 1;
  m.get_duration("timeout", a.timeout, min_action_timeout, max_action_timeout);
  m.get_int("max_in_flight", a.max_in_flight, 1, max_action_in_flight);
  const config_entry* argv = m.find("argv");
  if (argv == nullptr) {
    r.report(m.self(), "missing key \"argv\"");
    return;
  }
  const auto items = r.list(*argv);
  if (items.empty() && (argv->value.IsSequence() || argv->value.IsNull())) {
    r.report(*argv, "must not be empty");
  }
  for (const config_entry& item : items) {
    const auto arg = r.text(item);
    if (arg && a.argv.empty() && arg->empty()) r.report(item, "must not be empty");
    if (arg) a.argv.push_back(*arg);
  }
}

// Reads and checks the name; `named` when it is valid and not taken by an earlier action.
void read_name(config_map& m, action_config& a, const std::vector<action_config>& earlier,
               bool& named) {
  config_reader& r = m.reader();
  const config_entry* name = m.find("name");
  named = false;
  if (name == nullptr) {
    r.report(m.self(), "missing key \"name\"");
  } else if (m.get_text("name", a.name)) {
    if (a.name.empty() || !std::all_of(a.name.begin(), a.name.end(), is_name_char)) {
      r.expected(*name, "a name of letters, digits, '_', '.' and '-'");
    } else if (std::any_of(earlier.begin(), earlier.end(),
                           [&](const action_config& o) { return o.name == a.name; })) {
      r.report(*name, "duplicate action name \"" + a.name + "\"");
    } else {
      named = true;
    }
  }
}

// One action; it joins `out` when its name is valid and new, even if other keys are bad, so that
// defaults.actions does not report it a second time.
void read_action(config_reader& r, const config_entry& e, std::vector<action_config>& out) {
  config_map m(r, e, keys_for(peek_kind(e.value)));
  if (!m.is_map()) return;
  action_config a;
  bool named = false;
  read_name(m, a, out, named);
  const bool typed =
      m.find("type") != nullptr && m.get_choice<action_kind>("type", a.kind, kind_names);
  if (m.find("type") == nullptr) r.report(e, "missing key \"type\"");
  read_on(m, a);
  if (typed) {
    switch (a.kind) {
      case action_kind::log:
        read_log_action(m, a);
        break;
      case action_kind::webhook:
        read_webhook_action(m, a);
        break;
      case action_kind::command:
        read_command_action(m, a);
        break;
    }
  }
  if (named) out.push_back(std::move(a));
}

}  // namespace

std::vector<action_config> read_actions(config_reader& reader, const config_entry& list) {
  std::vector<action_config> out;
  for (const config_entry& item : reader.list(list)) read_action(reader, item, out);
  return out;
}

}  // namespace fjwatch
