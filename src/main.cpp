// fjwatch: turns argv into a command; exit statuses as util/exit_codes.hpp lists them.
#include "fjwatch/cli/daemon_commands.hpp"
#include "fjwatch/cli/outbox_commands.hpp"
#include "fjwatch/cli/status_command.hpp"
#include "fjwatch/cli/test_action_command.hpp"
#include "fjwatch/cli/watch_commands.hpp"
#include "fjwatch/config/config.hpp"
#include "fjwatch/demo/demo.hpp"
#include "fjwatch/util/exit_codes.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace fjwatch;

constexpr const char* usage_text =
    "usage: fjwatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  run   [-c FILE]   run the daemon in the foreground\n"
    "  check [-c FILE]   validate the config, every secret run needs and the watch list\n"
    "  add ID... [-c FILE] [--label TEXT] [--action NAME]... [--wait DURATION]\n"
    "                    add sessions to the watch list (comments and layout are kept)\n"
    "  remove ID... [-c FILE] [--wait DURATION]\n"
    "                    remove sessions from the watch list\n"
    "  prune [-c FILE] [--older-than DURATION]\n"
    "                    remove the sessions that ended more than DURATION (7d) ago\n"
    "  list [-c FILE] [--json]\n"
    "                    the watch list with each session's last known state\n"
    "  status [-c FILE] [--json]\n"
    "                    ask the running daemon (its control endpoint) for health and sessions\n"
    "  deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]\n"
    "                    list the outbox, newest first (at most 100 rows unless --limit)\n"
    "  redeliver EVENT_ID [-c FILE] [--action NAME]\n"
    "                    re-queue an event's sent or failed deliveries (or only NAME's)\n"
    "  enable ACTION [-c FILE]\n"
    "                    enable an action its receiver disabled (410 Gone): send what was held\n"
    "  test-action NAME [-c FILE]\n"
    "                    send one test event (fjwatch.test) through action NAME, print the "
    "outcome\n"
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

}  // namespace

int main(int argc, char** argv) {
  // Commands that parse their own options get every word after the command.
  const std::string first = argc > 1 ? argv[1] : "";
  const std::vector<std::string> rest(argc > 1 ? argv + 2 : argv + argc, argv + argc);
  if (first == "deliveries") return fjwatch::run_deliveries(rest, std::cout, std::cerr);
  if (first == "redeliver") return fjwatch::run_redeliver(rest, std::cout, std::cerr);
  if (first == "prune") return fjwatch::run_prune(rest, std::cout, std::cerr);
  if (first == "enable") return fjwatch::run_enable(rest, std::cout, std::cerr);
  if (first == "add") return fjwatch::run_add(rest, std::cout, std::cerr);
  if (first == "remove") return fjwatch::run_remove(rest, std::cout, std::cerr);
  if (first == "list") return fjwatch::run_list(rest, std::cout, std::cerr);
  if (first == "status") return fjwatch::run_status(rest, std::cout, std::cerr);
  if (first == "test-action") return fjwatch::run_test_action(rest, std::cout, std::cerr);
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
  if (args->command == "check") return fjwatch::run_check(args->config_path, std::cout, std::cerr);
  if (args->command == "run") return fjwatch::run_daemon(args->config_path);
  if (args->command == "demo") {
    return fjwatch::run_demo(
        std::cout,
        fjwatch::demo_options{.time_scale = std::chrono::milliseconds(1000 / args->speed),
                              .live = isatty(STDOUT_FILENO) == 1});
  }
  std::cerr << "fjwatch: unknown command \"" << args->command << "\"\n" << usage_text;
  return exit_usage;
}
