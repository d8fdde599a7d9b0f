#pragma once
// What a reload (SIGHUP) may change in a running daemon: the running config compared with the one
// just read, key by key. Pure: no I/O, no logging.
//
// Which keys apply at once and which keep their running value until a restart is one table, in
// reload_diff.cpp; reload_keys() lists it (README and systemd/README.md are tested against it).
// Restart-only keys are held by open connections, the database or the file watcher, which are
// built once at start. The API key and the webhooks' secrets are read again by every reload,
// whether or not a key of the file changed.
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

// Every key a reload applies at once (`live`) or only after a restart (!`live`), as written in the
// file, in the order of the example config.
std::vector<std::string_view> reload_keys(bool live);

// The keys of `changes` with the given liveness, comma-separated ("" when none).
std::string join_keys(const std::vector<config_change>& changes, bool live);

}  // namespace fjwatch
