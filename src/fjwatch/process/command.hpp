#pragma once
// The `command` action's runner: one program per event, run without a shell, the event JSON on
// its stdin, its stderr in the log, bounded by a timeout, always reaped. Linux only (pidfd).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace fjwatch {

using env_vars = std::vector<std::pair<std::string, std::string>>;

// What to run for one event.
struct command_spec {
  std::string action_name;        // logged with each stderr line as `action`
  std::vector<std::string> argv;  // [program, args...]; a program without '/' is looked up in PATH
  std::string stdin_data;         // written whole, then stdin is closed
  // Added to (or replacing) the daemon's environment, e.g. event_environment(...). The value of
  // FJWATCH_EVENT_ID here is logged with each stderr line as `event_id`.
  env_vars extra_env;
  // Variables the child must not inherit because they hold secrets (secret_variables()).
  std::vector<std::string> hidden_env;
  std::chrono::milliseconds timeout{30'000};  // then SIGTERM to its process group, SIGKILL 2s later
};

// How one run ended. ok only for exit status 0 before the timeout.
struct command_result {
  bool ok = false;
  int exit_code = -1;  // the exit status, -1 when it did not exit (signal, could not start)
  // "" when ok, else e.g. "exit 3", "killed by SIGSEGV", "killed by SIGKILL after timeout 30s",
  // "exit 0 after timeout 30s", "cannot run: No such file or directory".
  std::string reason;
  std::chrono::milliseconds duration{0};  // from start until reaped and its stderr drained
};

// Runs spec.argv to completion on `ex` without blocking the loop. The child starts in its own
// process group with only fds 0/1/2 (stdin a pipe, stdout /dev/null, stderr a pipe), default
// signal dispositions and the environment from child_environment(environ, spec.extra_env,
// spec.hidden_env).
// Stderr goes to log::warn("action.command.stderr") one line per line (empty lines skipped), at
// most 64 lines / 16 KiB per run, then one "action.command.stderr_dropped" line with the count.
// A child that stops reading stdin is not an error here and never raises SIGPIPE in the daemon.
// The child's failures are values in the result; it throws only std::invalid_argument for a bad
// extra_env name. On cancellation (terminal) or destruction of the coroutine, the process group
// is SIGKILLed and the child reaped; a cancelled run ends with reason "cancelled" or throws
// operation_aborted. `spec` is taken by value: the coroutine may outlive the caller's copy.
boost::asio::awaitable<command_result> run_command(boost::asio::any_io_executor ex,
                                                   command_spec spec);

// The child's environment as NAME=VALUE entries: `parent` (a null-terminated environ-style array,
// entries without '=' skipped) minus FJ_API_KEY, CREDENTIALS_DIRECTORY, NOTIFY_SOCKET,
// WATCHDOG_*, LISTEN_*, minus every name in `hidden` and every name in `extra`, then `extra` in
// order. Throws std::invalid_argument for an extra name that is empty or holds '=' (a caller's
// bug).
std::vector<std::string> child_environment(const char* const* parent, const env_vars& extra,
                                           const std::vector<std::string>& hidden = {});

// FJWATCH_EVENT, FJWATCH_EVENT_ID and FJWATCH_SESSION_ID for extra_env.
env_vars event_environment(std::string event_type, std::string event_id, std::string session_id);

}  // namespace fjwatch
