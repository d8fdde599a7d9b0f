#include "fjwatch/config/reload_diff.hpp"

#include <array>

namespace fjwatch {
namespace {

// Whether two configs agree on one top-level key, or on one key of a section.
template <auto Key>
bool same(const config& a, const config& b) {
  return a.*Key == b.*Key;
}
template <auto Section, auto Key>
bool same_in(const config& a, const config& b) {
  return (a.*Section).*Key == (b.*Section).*Key;
}

// One key: its name, whether it applies live, and whether two configs agree on it.
struct key_rule {
  std::string_view key;
  bool live;
  bool (*same)(const config&, const config&);
};

constexpr bool live = true;
constexpr bool restart = false;

constexpr std::array<key_rule, 27> rules{{
    {"api.base_url", restart, same_in<&config::api, &api_config::base_url>},
    {"api.api_key_file", restart, same_in<&config::api, &api_config::api_key_file>},
    {"api.ca_file", restart, same_in<&config::api, &api_config::ca_file>},
    {"api.timeout", restart, same_in<&config::api, &api_config::timeout>},
    {"api.max_in_flight", restart, same_in<&config::api, &api_config::max_in_flight>},
    {"api.pipeline", restart, same_in<&config::api, &api_config::pipeline>},
    {"api.rate", live, same_in<&config::api, &api_config::rate_limit>},
    {"api.allow_insecure_http", restart, same_in<&config::api, &api_config::allow_insecure_http>},
    {"api.unreachable_after", restart, same_in<&config::api, &api_config::unreachable_after>},
    {"api.max_server_pause", live, same_in<&config::api, &api_config::max_server_pause>},
    {"poll.interval", live, same_in<&config::poll, &poll_config::interval>},
    {"poll.max_interval", live, same_in<&config::poll, &poll_config::max_interval>},
    {"poll.max_blind_interval", live, same_in<&config::poll, &poll_config::max_blind_interval>},
    {"poll.multiplier", live, same_in<&config::poll, &poll_config::multiplier>},
    {"poll.jitter", live, same_in<&config::poll, &poll_config::jitter>},
    {"poll.give_up_after", live, same_in<&config::poll, &poll_config::give_up_after>},
    {"poll.after_done", live, same_in<&config::poll, &poll_config::after_done>},
    {"retry.initial", live, same_in<&config::retry, &retry_config::initial>},
    {"retry.max", live, same_in<&config::retry, &retry_config::max>},
    {"watchlist", restart, same<&config::watchlist>},
    {"state_dir", restart, same<&config::state_dir>},
    {"control", restart, same<&config::control>},
    {"control_allow_remote", restart, same<&config::control_allow_remote>},
    {"log.level", live, same_in<&config::log, &log_config::level>},
    {"log.format", live, same_in<&config::log, &log_config::format>},
    {"actions", restart, same<&config::actions>},
    {"defaults.actions", restart, same<&config::default_actions>},
}};

}  // namespace

std::vector<config_change> diff_config(const config& running, const config& next) {
  std::vector<config_change> out;
  for (const auto& r : rules) {
    if (!r.same(running, next)) out.push_back({r.key, r.live});
  }
  return out;
}

void apply_live(config& running, const config& next) {
  running.api.rate_limit = next.api.rate_limit;
  running.api.max_server_pause = next.api.max_server_pause;
  running.poll = next.poll;
  running.retry = next.retry;
  running.log = next.log;
}

std::string join_keys(const std::vector<config_change>& changes, bool live) {
  std::string out;
  for (const auto& c : changes) {
    if (c.live != live) continue;
    if (!out.empty()) out += ",";
    out += c.key;
  }
  return out;
}

}  // namespace fjwatch
