#pragma once
// Tells systemd how the service is doing (sd_notify): READY=1, RELOADING=1, STOPPING=1, a
// STATUS= line kept current, and WATCHDOG=1 pings from the event loop (a stuck loop sends none).
// Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch {

// How often to ping the watchdog: half of $WATCHDOG_USEC when sd_watchdog_enabled() says the
// watchdog is on for this process ($WATCHDOG_PID unset or ours); nullopt otherwise.
std::optional<std::chrono::microseconds> watchdog_interval();

class systemd_notifier {
 public:
  using status_source = std::function<std::string()>;

  // Active when `enabled` and $NOTIFY_SOCKET is set.
  systemd_notifier(boost::asio::io_context& ioc, bool enabled);
  ~systemd_notifier();
  systemd_notifier(const systemd_notifier&) = delete;
  systemd_notifier& operator=(const systemd_notifier&) = delete;

  bool active() const { return active_; }

  // READY=1 together with the first STATUS= from `source`; then pings the watchdog (see
  // watchdog_interval) and asks `source` again every `refresh`, sending STATUS= only when the
  // text changed.
  void ready(status_source source, std::chrono::milliseconds refresh = std::chrono::seconds(1));
  // RELOADING=1, before a reload starts.
  void reloading();
  // READY=1 and a fresh STATUS=, once a reload is over (whether or not it applied anything).
  void reloaded();
  // STOPPING=1; ends the pings and the refreshes.
  void stopping();

 private:
  void send(const std::string& state);
  void refresh_status(bool force);
  void arm_watchdog();
  void arm_refresh();

  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer refresh_timer_;
  status_source source_;
  std::chrono::milliseconds refresh_every_{1000};
  std::optional<std::chrono::microseconds> watchdog_every_;
  std::string last_status_;
  bool active_ = false;
  bool stopping_ = false;
};

}  // namespace fjwatch
