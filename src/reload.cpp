#include "fjwatch/reload.hpp"

#include <array>

namespace fjwatch {
namespace {

// One key: its name, whether it applies live, and whether two configs agree on it.
struct key_rule {
  std::string_view key;
  bool live;
  bool (*same)(const config&, const config&);
};

constexpr std::array<key_rule, 22> rules{{
    {"api.base_url", false, [](const config& a, const config& b) { return a.api.base_url == b.api.base_url; }},
    {"api.api_key_file", false, [](const config& a, const config& b) { return a.api.api_key_file == b.api.api_key_file; }},
    {"api.ca_file", false, [](const config& a, const config& b) { return a.api.ca_file == b.api.ca_file; }},
    {"api.timeout", false, [](const config& a, const config& b) { return a.api.timeout == b.api.timeout; }},
    {"api.max_in_flight", false, [](const config& a, const config& b) { return a.api.max_in_flight == b.api.max_in_flight; }},
    {"api.rate", true, [](const config& a, const config& b) { return a.api.rate_limit == b.api.rate_limit; }},
    {"api.allow_insecure_http", false, [](const config& a, const config& b) { return a.api.allow_insecure_http == b.api.allow_insecure_http; }},
    {"poll.interval", true, [](const config& a, const config& b) { return a.poll.interval == b.poll.interval; }},
    {"poll.max_interval", true, [](const config& a, const config& b) { return a.poll.max_interval == b.poll.max_interval; }},
    {"poll.multiplier", true, [](const config& a, const config& b) { return a.poll.multiplier == b.poll.multiplier; }},
    {"poll.jitter", true, [](const config& a, const config& b) { return a.poll.jitter == b.poll.jitter; }},
    {"poll.give_up_after", true, [](const config& a, const config& b) { return a.poll.give_up_after == b.poll.give_up_after; }},
    {"poll.after_done", true, [](const config& a, const config& b) { return a.poll.after_done == b.poll.after_done; }},
    {"retry.initial", true, [](const config& a, const config& b) { return a.retry.initial == b.retry.initial; }},
    {"retry.max", true, [](const config& a, const config& b) { return a.retry.max == b.retry.max; }},
    {"watchlist", false, [](const config& a, const config& b) { return a.watchlist == b.watchlist; }},
    {"state_dir", false, [](const config& a, const config& b) { return a.state_dir == b.state_dir; }},
    {"control", false, [](const config& a, const config& b) { return a.control == b.control; }},
    {"log.level", true, [](const config& a, const config& b) { return a.log.level == b.log.level; }},
    {"log.format", true, [](const config& a, const config& b) { return a.log.format == b.log.format; }},
    {"actions", false, [](const config& a, const config& b) { return a.actions == b.actions; }},
    {"defaults.actions", false, [](const config& a, const config& b) { return a.default_actions == b.default_actions; }},
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
