#include "fjwatch/systemd/notify.hpp"

#include "fjwatch/log/log.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace fjwatch {

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

systemd_notifier::systemd_notifier(boost::asio::io_context& ioc, bool enabled)
    : watchdog_timer_(ioc), refresh_timer_(ioc) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = enabled && socket != nullptr && *socket != '\0';
}

systemd_notifier::~systemd_notifier() {
  watchdog_timer_.cancel();
  refresh_timer_.cancel();
}

void systemd_notifier::ready(status_source source, std::chrono::milliseconds refresh) {
  if (!active_) return;
  source_ = std::move(source);
  refresh_every_ = refresh;
  last_status_ = source_ ? source_() : std::string();
  send("READY=1\nSTATUS=" + last_status_);
  watchdog_every_ = watchdog_interval();
  if (watchdog_every_) {
    const auto every_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_every_);
    log::info("systemd.watchdog", {{"ping_every_ms", static_cast<std::int64_t>(every_ms.count())}});
    watchdog_timer_.expires_after(*watchdog_every_);
    arm_watchdog();
  }
  if (source_) arm_refresh();
}

void systemd_notifier::reloading() {
  if (active_ && !stopping_) send("RELOADING=1");
}

void systemd_notifier::reloaded() {
  if (!active_ || stopping_) return;
  send("READY=1");
  refresh_status(true);
}

void systemd_notifier::stopping() {
  if (!active_ || stopping_) return;
  stopping_ = true;
  watchdog_timer_.cancel();
  refresh_timer_.cancel();
  send("STOPPING=1\nSTATUS=stopping");
}

void systemd_notifier::send(const std::string& state) {
  if (const int r = sd_notify(0, state.c_str()); r < 0) {
    log::warn("systemd.notify_failed", {{"reason", std::strerror(-r)}});
  }
}

void systemd_notifier::refresh_status(bool force) {
  if (!source_) return;
  auto text = source_();
  if (stopping_ || (!force && text == last_status_)) return;
  last_status_ = std::move(text);
  send("STATUS=" + last_status_);
}

// Pings on a fixed beat (each deadline is the last one plus the interval), so a slow handler does
// not push the pings later and later; after a stall it pings once, not once per missed beat.
void systemd_notifier::arm_watchdog() {
  watchdog_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    send("WATCHDOG=1");
    const auto next = watchdog_timer_.expiry() + *watchdog_every_;
    watchdog_timer_.expires_at(std::max(next, std::chrono::steady_clock::now()));
    arm_watchdog();
  });
}

void systemd_notifier::arm_refresh() {
  refresh_timer_.expires_after(refresh_every_);
  refresh_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    refresh_status(false);
    arm_refresh();
  });
}

}  // namespace fjwatch
