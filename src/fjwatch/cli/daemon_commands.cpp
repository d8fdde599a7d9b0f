#include "fjwatch/cli/daemon_commands.hpp"

#include "fjwatch/config/config.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/service/daemon.hpp"
#include "fjwatch/store/state_lock.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/util/exit_codes.hpp"
#include "fjwatch/watchlist/watch_list.hpp"

#include <boost/asio/io_context.hpp>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace fjwatch {
namespace {

// Once a stop begins, the loop gets this long to wind down (systemd waits 10 s before SIGKILL).
// Aborted polls and deliveries leave nothing half-recorded, so running out of it is safe.
constexpr auto stop_grace = std::chrono::milliseconds(4500);

void print_problems(const std::vector<diagnostic>& problems, std::ostream& err) {
  for (const auto& p : problems) {
    err << p.str() << (p.level == diagnostic::severity::warning ? " (warning)" : "") << "\n";
  }
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

}  // namespace

int run_check(const std::string& config_path, std::ostream& out, std::ostream& err) {
  config cfg;
  try {
    cfg = load_config(config_path);
  } catch (const config_error& e) {
    print_problems(e.problems(), err);
    return exit_config;
  }
  int status = exit_ok;
  // Every secret `run` would load, loaded the same way; none of them is printed.
  const auto loaded = load_secrets(cfg);
  print_problems(loaded.problems, err);
  if (!loaded.problems.empty()) status = exit_config;
  if (!loaded.values.api_key.empty()) out << "api key: found\n";
  // The proxies `run` would go through (from the config or the environment), never credentials.
  if (const auto& p = loaded.values.api_proxy) out << "api proxy: " << p->address() << "\n";
  for (const auto& [name, p] : loaded.values.webhook_proxies) {
    if (p) out << "action " << name << " proxy: " << p->address() << "\n";
  }
  const auto wl = load_watch_list(cfg.watchlist, action_names(cfg));
  print_problems(wl.problems, err);
  for (const auto& p : wl.problems) {
    if (p.level == diagnostic::severity::error) status = exit_config;
  }
  if (!wl.usable) status = exit_config;
  out << config_path << ": " << (status == exit_ok ? "ok" : "problems found") << " ("
      << cfg.actions.size() << " actions, " << wl.list.entries.size() << " sessions in "
      << cfg.watchlist << ")\n";
  return status;
}

int run_daemon(const std::string& config_path) {
  held_signals held;
  // A closed stdout or stderr (`fjwatch run | head -1`) must not end the daemon: writes to it
  // fail with EPIPE instead, and polling and delivery go on.
  std::signal(SIGPIPE, SIG_IGN);
  config cfg;
  try {
    cfg = load_config(config_path);
    log::configure(cfg.log.level, cfg.log.format);
  } catch (const config_error& e) {
    print_problems(e.problems(), std::cerr);
    return exit_config;
  }
  auto loaded = load_secrets(cfg);
  if (!loaded.problems.empty()) {
    print_problems(loaded.problems, std::cerr);
    return exit_config;
  }
  boost::asio::io_context ioc(1);
  // One run() for the daemon's life, not a run_one() per handler: the loop's per-thread cache of
  // handler and coroutine-frame memory lives as long as run() does.
  const daemon_options opts{.unreachable_after = cfg.api.unreachable_after,
                            .on_stop = [&ioc] { ioc.stop(); }};
  fjwatch::daemon d(ioc, std::move(cfg), std::move(loaded.values), opts);
  held.release();  // the daemon's handlers are installed: a held signal is taken by them now
  try {
    d.start();
  } catch (const state_locked& e) {
    log::error("daemon.state_locked",
               {{"state_dir", e.dir().string()},
                {"pid", e.holder() ? std::to_string(*e.holder()) : std::string("unknown")},
                {"reason", e.what()}});
    return exit_temporary;
  } catch (const config_error& e) {
    print_problems(e.problems(), std::cerr);
    return exit_config;
  } catch (const std::exception& e) {
    log::error("daemon.start_failed", {{"reason", e.what()}});
    return exit_failure;
  }
  ioc.run();  // until stop() begins, or nothing is left to do
  if (d.stop_requested()) {
    ioc.restart();
    ioc.run_for(stop_grace);
  }
  if (!ioc.stopped()) {
    // Something ignored the stop: leave as a crash would, the store is consistent at every commit.
    log::error("daemon.stop_forced", {{"grace_ms", static_cast<std::int64_t>(stop_grace.count())}});
    std::fflush(stderr);
    std::_Exit(exit_failure);
  }
  log::info("daemon.stopped", {{"exit_code", d.exit_code()}});
  return d.exit_code();
}

}  // namespace fjwatch
