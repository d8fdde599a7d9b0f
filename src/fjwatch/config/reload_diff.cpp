#include "fjwatch/config/reload_diff.hpp"

#include <array>

namespace fjwatch {
namespace {

// Whether two configs agree on one top-level key, or on one key of a section; and taking one key
// over from `next`.
template <auto Key>
bool same(const config& a, const config& b) {
  return a.*Key == b.*Key;
}
template <auto Section, auto Key>
bool same_in(const config& a, const config& b) {
  return (a.*Section).*Key == (b.*Section).*Key;
}
template <auto Key>
void take(config& running, const config& next) {
  running.*Key = next.*Key;
}
template <auto Section, auto Key>
void take_in(config& running, const config& next) {
  (running.*Section).*Key = (next.*Section).*Key;
}

// One key: its name, whether two configs agree on it, and for a live key how it is taken over.
struct key_rule {
  std::string_view key;
  bool (*same)(const config&, const config&);
  void (*take)(config&, const config&) = nullptr;  // nullptr: restart only
};

// A key of a section that a reload applies at once, or one that keeps its running value.
template <auto Section, auto Key>
constexpr key_rule live(std::string_view key) {
  return {key, same_in<Section, Key>, take_in<Section, Key>};
}
template <auto Key>
constexpr key_rule live(std::string_view key) {
  return {key, same<Key>, take<Key>};
}
template <auto Section, auto Key>
constexpr key_rule restart(std::string_view key) {
  return {key, same_in<Section, Key>};
}
template <auto Key>
constexpr key_rule restart(std::string_view key) {
  return {key, same<Key>};
}

// Every key of the config, in the order of the example config. A key added to `config` must be
// added here; reload_keys() gives the docs their lists.
constexpr std::array<key_rule, 31> rules{{
    restart<&config::api, &api_config::base_url>("api.base_url"),
    live<&config::api, &api_config::api_key_file>("api.api_key_file"),
    restart<&config::api, &api_config::ca_file>("api.ca_file"),
    restart<&config::api, &api_config::timeout>("api.timeout"),
    restart<&config::api, &api_config::max_in_flight>("api.max_in_flight"),
    restart<&config::api, &api_config::pipeline>("api.pipeline"),
    live<&config::api, &api_config::rate_limit>("api.rate"),
    restart<&config::api, &api_config::allow_insecure_http>("api.allow_insecure_http"),
    restart<&config::api, &api_config::unreachable_after>("api.unreachable_after"),
    live<&config::api, &api_config::max_server_pause>("api.max_server_pause"),
    restart<&config::api, &api_config::proxy>("api.proxy"),
    restart<&config::api, &api_config::proxy_auth_file>("api.proxy_auth_file"),
    live<&config::poll, &poll_config::interval>("poll.interval"),
    live<&config::poll, &poll_config::max_interval>("poll.max_interval"),
    live<&config::poll, &poll_config::max_blind_interval>("poll.max_blind_interval"),
    live<&config::poll, &poll_config::multiplier>("poll.multiplier"),
    live<&config::poll, &poll_config::jitter>("poll.jitter"),
    live<&config::poll, &poll_config::give_up_after>("poll.give_up_after"),
    live<&config::poll, &poll_config::after_done>("poll.after_done"),
    live<&config::retry, &retry_config::initial>("retry.initial"),
    live<&config::retry, &retry_config::max>("retry.max"),
    restart<&config::watchlist>("watchlist"),
    restart<&config::state_dir>("state_dir"),
    restart<&config::control>("control"),
    restart<&config::control_allow_remote>("control_allow_remote"),
    live<&config::log, &log_config::level>("log.level"),
    live<&config::log, &log_config::format>("log.format"),
    live<&config::retention, &retention_config::events>("retention.events"),
    live<&config::retention, &retention_config::sessions>("retention.sessions"),
    live<&config::actions>("actions"),
    live<&config::default_actions>("defaults.actions"),
}};

}  // namespace

std::vector<config_change> diff_config(const config& running, const config& next) {
  std::vector<config_change> out;
  for (const auto& r : rules) {
    if (!r.same(running, next)) out.push_back({r.key, r.take != nullptr});
  }
  return out;
}

void apply_live(config& running, const config& next) {
  for (const auto& r : rules) {
    if (r.take != nullptr) r.take(running, next);
  }
}

std::vector<std::string_view> reload_keys(bool live) {
  std::vector<std::string_view> out;
  for (const auto& r : rules) {
    if ((r.take != nullptr) == live) out.push_back(r.key);
  }
  return out;
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
