#pragma once
// The daemon: wires config, store, watch list, scheduler and outbox on one io_context, and
// handles signals (SIGTERM/SIGINT stop, SIGHUP reloads the watch list) and systemd notification.
#include "fjwatch/actions.hpp"
#include "fjwatch/config.hpp"
#include "fjwatch/control.hpp"
#include "fjwatch/file_watch.hpp"
#include "fjwatch/scheduler.hpp"
#include "fjwatch/store.hpp"
#include "fjwatch/watch_list.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fjwatch {

struct daemon_options {
  bool handle_signals = true;  // false when embedded (demo, tests that drive stop() themselves)
  bool notify_systemd = true;  // sd_notify READY/RELOADING/STOPPING when $NOTIFY_SOCKET is set
  millis unreachable_after = default_unreachable_after;  // /healthz: API failing this long
};

class daemon {
 public:
  daemon(boost::asio::io_context& ioc, config cfg, std::string api_key, daemon_options opts = {});
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Opens the store, loads the watch list and starts every task. Throws store_error (a database
  // that cannot be used), config_error (an action kind this build cannot run) or
  // std::runtime_error (e.g. an unreadable ca_file, a control address that cannot be bound).
  // Announces READY=1 once done.
  void start();
  // Begins a clean stop: in-flight polls are aborted and their outcomes dropped; pending
  // deliveries stay in the store for the next start. The io_context runs out of work soon after.
  void stop();
  // Everything started has finished.
  bool stopped() const;
  // Re-reads the watch list now: added ids start polling, removed ids stop, others undisturbed.
  void reload_watch_list();

  // 0, or 1 after a failure that stopped the daemon (store error, worker failure).
  int exit_code() const { return exit_code_; }
  std::vector<session_view> sessions() const;
  scheduler_stats stats() const;
  std::uint64_t delivered() const;
  const config& cfg() const { return cfg_; }

 private:
  void fatal(std::string what);
  void wait_for_signal();
  void notify(const char* state);
  void start_control();

  boost::asio::io_context& ioc_;
  config cfg_;
  daemon_options opts_;
  std::unique_ptr<store> db_;
  std::unique_ptr<scheduler> scheduler_;
  std::unique_ptr<outbox> outbox_;
  std::unique_ptr<file_watch> watcher_;
  std::unique_ptr<control_server> control_;
  boost::asio::signal_set signals_;
  std::string api_key_;
  watch_list current_;
  bool started_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace fjwatch
