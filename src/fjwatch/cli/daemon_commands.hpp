#pragma once
// The commands that start from the config file itself: `fjwatch check` and `fjwatch run`.
#include <ostream>
#include <string>

namespace fjwatch {

// fjwatch check: loads the config, every secret run needs (printing none) and the watch list,
// prints every problem as file:line:col: message on `err`, then a summary on `out`. Returns
// exit_ok or exit_config.
int run_check(const std::string& config_path, std::ostream& out, std::ostream& err);

// fjwatch run: the daemon in the foreground until SIGTERM or SIGINT (or a fatal error). Returns
// the exit status: exit_ok after a clean stop, exit_config for a config or secret problem,
// exit_temporary when another daemon holds the state directory, exit_failure otherwise.
int run_daemon(const std::string& config_path);

}  // namespace fjwatch
