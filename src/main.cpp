// fjwatch: turns argv into a command. Exit codes follow sysexits: 0 ok, 64 usage, 65 bad data,
// 69 unavailable, 75 try again (a lock is held: the watch list's, or for run the state
// directory's), 78 configuration error, 1 anything else.
#include "fjwatch/cli/outbox_commands.hpp"
#include "fjwatch/cli/watch_commands.hpp"
#include "fjwatch/cli/status_command.hpp"
#include "fjwatch/config/config.hpp"
#include "fjwatch/service/daemon.hpp"
#include "fjwatch/demo/demo.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/store/state_lock.hpp"
#include "fjwatch/watchlist/watch_list.hpp"

#include <boost/asio/io_context.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace fjwatch;

constexpr int exit_ok = 0;
constexpr int exit_usage = 64;
constexpr int exit_state_locked = 75;  // run: another daemon holds the state directory
constexpr int exit_config = 78;
constexpr int exit_failure = 1;

// Once a stop begins, the loop gets this long to wind down (systemd waits 10 s before SIGKILL).
// Aborted polls and deliveries leave nothing half-recorded, so running out of it is safe.
constexpr auto stop_grace = std::chrono::milliseconds(4500);

constexpr const char* usage_text =
    "usage: fjwatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  run   [-c FILE]   run the daemon in the foreground\n"
    "  check [-c FILE]   validate the config, the API key's presence and the watch list\n"
    "  add ID... [-c FILE] [--label TEXT] [--action NAME]... [--wait DURATION]\n"
    "                    add sessions to the watch list (comments and layout are kept)\n"
    "  remove ID... [-c FILE] [--wait DURATION]\n"
    "                    remove sessions from the watch list\n"
    "  list [-c FILE] [--json]\n"
    "                    the watch list with each session's last known state\n"
    "  status [-c FILE] [--json]\n"
    "                    ask the running daemon (its control endpoint) for health and sessions\n"
    "  deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]\n"
    "                    list the outbox, newest first (at most 100 rows unless --limit)\n"
    "  redeliver EVENT_ID [-c FILE] [--action NAME]\n"
    "                    re-queue an event's sent or failed deliveries (or only NAME's)\n"
    "  demo [--speed N]  watch simulated sessions finish, with no account and no network\n"
    "  version           print the version\n"
    "\n"
    "The config file is -c FILE, else $FJWATCH_CONFIG, else /etc/fjwatch/fjwatch.yaml.\n";

struct cli {
  std::string command;
  std::string config_path;
  int speed = 1;  // demo: how many times faster than real time
};

// Parses argv; nullopt (after printing why) on a usage error.
std::optional<cli> parse_args(int argc, char** argv) {
  cli out;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "-c" || a == "--config") {
      if (i + 1 == args.size()) {
        std::cerr << "fjwatch: " << a << " needs a file name\n";
        return std::nullopt;
      }
      out.config_path = args[++i];
    } else if (a == "--speed") {
      const int speed = i + 1 < args.size() ? std::atoi(args[i + 1].c_str()) : 0;
      if (speed < 1 || speed > 50) {
        std::cerr << "fjwatch: --speed needs a whole number from 1 to 50\n";
        return std::nullopt;
      }
      out.speed = speed;
      ++i;
    } else if (a == "-h" || a == "--help") {
      out.command = "help";
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "fjwatch: unknown option " << a << "\n" << usage_text;
      return std::nullopt;
    } else if (out.command.empty()) {
      out.command = a;
    } else {
      std::cerr << "fjwatch: unexpected argument " << a << "\n" << usage_text;
      return std::nullopt;
    }
  }
  out.config_path = config_path_or_default(std::move(out.config_path));
  return out;
}

void print_problems(const std::vector<diagnostic>& problems) {
  for (const auto& p : problems) {
    std::cerr << p.str() << (p.level == diagnostic::severity::warning ? " (warning)" : "") << "\n";
  }
}

int cmd_check(const cli& args) {
  config cfg;
  try {
    cfg = load_config(args.config_path);
  } catch (const config_error& e) {
    print_problems(e.problems());
    return exit_config;
  }
  int status = exit_ok;
  // Every secret `run` would load, loaded the same way; none of them is printed.
  const auto loaded = load_secrets(cfg);
  print_problems(loaded.problems);
  if (!loaded.problems.empty()) status = exit_config;
  if (!loaded.values.api_key.empty()) std::cout << "api key: found\n";
  const auto wl = load_watch_list(cfg.watchlist, action_names(cfg));
  print_problems(wl.problems);
  for (const auto& p : wl.problems) {
    if (p.level == diagnostic::severity::error) status = exit_config;
  }
  if (!wl.usable) status = exit_config;
  std::cout << args.config_path << ": " << (status == exit_ok ? "ok" : "problems found") << " ("
            << cfg.actions.size() << " actions, " << wl.list.entries.size() << " sessions in "
            << cfg.watchlist << ")\n";
  return status;
}

// Blocks the signals the daemon handles until release(): one that arrives while the config
// loads waits instead of killing the process, and reaches the daemon's handler once that is
// installed. Not released on destruction: a run that ends before the daemon exists (a config
// error) exits with its own status, not by a held SIGTERM.
class held_signals {
 public:
  held_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (const int signo : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, signo);
    ::pthread_sigmask(SIG_BLOCK, &set, &before_);
  }
  held_signals(const held_signals&) = delete;
  held_signals& operator=(const held_signals&) = delete;
  void release() { ::pthread_sigmask(SIG_SETMASK, &before_, nullptr); }

 private:
  sigset_t before_{};
};

int cmd_run(const cli& args) {
  held_signals held;
  // A closed stdout or stderr (`fjwatch run | head -1`) must not end the daemon: writes to it
  // fail with EPIPE instead, and polling and delivery go on.
  std::signal(SIGPIPE, SIG_IGN);
  config cfg;
  try {
    cfg = load_config(args.config_path);
    log::configure(cfg.log.level, cfg.log.format);
  } catch (const config_error& e) {
    print_problems(e.problems());
    return exit_config;
  }
  auto loaded = load_secrets(cfg);
  if (!loaded.problems.empty()) {
    print_problems(loaded.problems);
    return exit_config;
  }
  boost::asio::io_context ioc(1);
  const daemon_options opts{.unreachable_after = cfg.api.unreachable_after};
  fjwatch::daemon d(ioc, std::move(cfg), std::move(loaded.values), opts);
  held.release();  // the daemon's handlers are installed: a held signal is taken by them now
  try {
    d.start();
  } catch (const state_locked& e) {
    log::error("daemon.state_locked",
               {{"state_dir", e.dir().string()},
                {"pid", e.holder() ? std::to_string(*e.holder()) : std::string("unknown")},
                {"reason", e.what()}});
    return exit_state_locked;
  } catch (const config_error& e) {
    print_problems(e.problems());
    return exit_config;
  } catch (const std::exception& e) {
    log::error("daemon.start_failed", {{"reason", e.what()}});
    return exit_failure;
  }
  while (!d.stop_requested() && ioc.run_one() > 0) {
  }
  if (!ioc.stopped()) ioc.run_for(stop_grace);
  if (!ioc.stopped()) {
    // Something ignored the stop: leave as a crash would, the store is consistent at every commit.
    log::error("daemon.stop_forced",
               {{"grace_ms", static_cast<std::int64_t>(stop_grace.count())}});
    std::fflush(stderr);
    std::_Exit(exit_failure);
  }
  log::info("daemon.stopped", {{"exit_code", d.exit_code()}});
  return d.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  // Commands that parse their own options get every word after the command.
  const std::string first = argc > 1 ? argv[1] : "";
  const std::vector<std::string> rest(argc > 1 ? argv + 2 : argv + argc, argv + argc);
  if (first == "deliveries") return fjwatch::run_deliveries(rest, std::cout, std::cerr);
  if (first == "redeliver") return fjwatch::run_redeliver(rest, std::cout, std::cerr);
  if (first == "add") return fjwatch::run_add(rest, std::cout, std::cerr);
  if (first == "remove") return fjwatch::run_remove(rest, std::cout, std::cerr);
  if (first == "list") return fjwatch::run_list(rest, std::cout, std::cerr);
  if (first == "status") return fjwatch::run_status(rest, std::cout, std::cerr);
  const auto args = parse_args(argc, argv);
  if (!args) return exit_usage;
  if (args->command.empty() || args->command == "help") {
    (args->command.empty() ? std::cerr : std::cout) << usage_text;
    return args->command.empty() ? exit_usage : exit_ok;
  }
  if (args->command == "version") {
    std::cout << "fjwatch " << FJWATCH_VERSION << "\n";
    return exit_ok;
  }
  if (args->command == "check") return cmd_check(*args);
  if (args->command == "run") return cmd_run(*args);
  if (args->command == "demo") {
    return fjwatch::run_demo(std::cout,
                             fjwatch::demo_options{.time_scale = std::chrono::milliseconds(1000 / args->speed),
                                                   .live = isatty(STDOUT_FILENO) == 1});
  }
  std::cerr << "fjwatch: unknown command \"" << args->command << "\"\n" << usage_text;
  return exit_usage;
}
