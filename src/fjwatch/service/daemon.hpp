#pragma once
// The daemon: wires config, store, watch list, scheduler and outbox on one io_context, and
// handles signals (SIGTERM/SIGINT stop, SIGHUP reloads the config and the watch list,
// SIGUSR1/SIGUSR2 are ignored) and systemd notification.
#include "fjwatch/outbox/outbox.hpp"
#include "fjwatch/config/config.hpp"
#include "fjwatch/service/control_server.hpp"
#include "fjwatch/service/pruner.hpp"
#include "fjwatch/files/file_watch.hpp"
#include "fjwatch/poll/scheduler.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/status/service_status.hpp"
#include "fjwatch/store/state_lock.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/systemd/notify.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/watchlist/watch_diff.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <functional>
#include <string>

namespace fjwatch {

struct daemon_options {
  bool handle_signals = true;  // false when embedded (demo, tests that drive stop() themselves)
  bool notify_systemd =
      true;  // sd_notify READY/STATUS/WATCHDOG/RELOADING/STOPPING ($NOTIFY_SOCKET)
  millis unreachable_after = default_unreachable_after;  // /healthz: API failing this long
                                                         // (fjwatch run: api.unreachable_after)
  prune_pacing pruning;  // when retention runs (tests and benchmarks start it sooner)
  // Called once when stop() begins, after the daemon's parts were told to stop: `fjwatch run`
  // leaves its run loop there and gives the stop a bounded grace.
  std::function<void()> on_stop;
};

class daemon {
 public:
  // `keys`: load_secrets(cfg)'s values (the API key and the webhooks' signing secrets). With
  // opts.handle_signals, SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 are claimed from here on:
  // one that arrives before start() is handled once the loop runs.
  daemon(boost::asio::io_context& ioc, config cfg, secrets keys, daemon_options opts = {});
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Takes the state directory's lock, opens the store, loads the watch list and starts every
  // task. Throws state_locked (another daemon uses the state directory), store_error (a database
  // that cannot be used), config_error (an action kind this build cannot run) or
  // std::runtime_error (e.g. an unreadable ca_file, a control address that cannot be bound).
  // Announces READY=1 (with STATUS=) once done, then keeps STATUS= current and pings the
  // systemd watchdog when it is on.
  void start();
  // Begins a clean stop: in-flight polls are aborted and their outcomes dropped; pending
  // deliveries stay in the store for the next start. The io_context runs out of work soon after.
  void stop();
  // stop() was called (by a signal, a fatal error or the owner).
  bool stop_requested() const { return stopping_; }
  // Everything started has finished.
  bool stopped() const;
  // Re-reads the watch list now: added ids start polling, removed ids stop, others undisturbed.
  void reload_watch_list();
  // SIGHUP: RELOADING=1, re-reads the config file (cfg().source) with the API key and the
  // webhooks' secrets, and applies its live keys, actions included (see config/reload_diff.hpp
  // and outbox::reconfigure; a changed restart-only key is logged and keeps its running value; a
  // config or secret with problems is logged, problem by problem, and changes nothing), re-reads
  // the watch list, READY=1.
  void reload();
  // The STATUS= line for systemd, e.g. "watching 3: 2 processing, 1 done; 0 deliveries pending;
  // API ok". Judges the API's health from the polls since the previous call.
  std::string status_text();

  // 0, or 1 after a failure that stopped the daemon (store error, worker failure).
  int exit_code() const { return exit_code_; }
  std::vector<session_view> sessions() const;
  scheduler_stats stats() const;
  std::uint64_t delivered() const;
  const config& cfg() const { return cfg_; }

 private:
  void fatal(std::string what);
  void retry_watch_list(const std::string& what);
  void wait_for_signal();
  void reload_config();
  void take_api_key(std::string key);
  void start_control();
  database_totals database_totals_now();
  // One line for the API's proxy ("none": direct) and one per webhook going through one: the
  // proxy's host:port only, never its credentials.
  void log_proxies() const;

  boost::asio::io_context& ioc_;
  config cfg_;
  daemon_options opts_;
  std::unique_ptr<state_lock> lock_;  // declared before db_: released after the store is closed
  std::unique_ptr<store> db_;
  std::unique_ptr<scheduler> scheduler_;
  std::unique_ptr<outbox> outbox_;
  std::unique_ptr<pruner> pruner_;
  std::unique_ptr<file_watch> watcher_;
  std::unique_ptr<control_server> control_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watch_list_retry_;  // a watch list the full disk kept out
  int watch_list_failures_ = 0;
  systemd_notifier notifier_;
  api_health api_health_ = api_health::unknown;
  poll_tally polls_seen_{};  // the poll counters at the last status_text()
  secrets keys_;
  store_size size_;  // the last count of the database's rows
  std::optional<std::chrono::steady_clock::time_point> size_counted_;
  watch_digest current_;  // the watch list in force, as reload_watch_list() compares it
  bool started_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace fjwatch
