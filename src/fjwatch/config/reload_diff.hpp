#pragma once
// What a reload (SIGHUP) may change in a running daemon: the running config compared with the one
// just read, key by key. Pure: no I/O, no logging.
//
// Live (taken over at once): log.level, log.format, poll.*, retry.*, api.rate,
// api.max_server_pause (for the next pause; one in force keeps its end).
// Restart only (the running value is kept, and the reload says so): api.base_url,
// api.api_key_file, api.ca_file, api.timeout, api.max_in_flight, api.pipeline,
// api.allow_insecure_http, api.unreachable_after, watchlist, state_dir, control,
// control_allow_remote, actions, defaults.actions. These are held by open connections,
// the database, the file watcher or the delivery lanes, which are built once at start.
// A key added to `config` must be added to the table in src/reload.cpp.
#include "fjwatch/config/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fjwatch {

// One key whose value differs between the running config and the new one.
struct config_change {
  std::string_view key;  // as written in the file: "poll.interval", "actions", ...
  bool live = false;     // true: applied by apply_live; false: needs a restart
  friend bool operator==(const config_change&, const config_change&) = default;
};

// Every key that differs between `running` and `next`, in the order of the example config.
// Empty when they are equal.
std::vector<config_change> diff_config(const config& running, const config& next);

// Copies every live key of `next` into `running`; restart-only keys keep their running values.
// Afterwards diff_config(running, next) holds restart-only keys only.
void apply_live(config& running, const config& next);

// The keys of `changes` with the given liveness, comma-separated ("" when none).
std::string join_keys(const std::vector<config_change>& changes, bool live);

}  // namespace fjwatch
