#pragma once
// The outbox: delivers the rows of the store's deliveries table. Each configured action has its
// own lane (a coroutine with its own connection or process slot), so a slow or dead target never
// holds up another. Rows are written in the same transaction as their event, so a crash never
// loses one; an attempt whose outcome was not yet recorded may run again after a restart.
#include "fjwatch/config/config.hpp"
#include "fjwatch/status/delivery_counts.hpp"
#include "fjwatch/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace fjwatch {

struct secrets;  // config/secrets.hpp

class action_runner;

class outbox {
 public:
  // Builds one lane per action, each webhook signing with its secrets from `keys` (throws
  // config_error for a webhook without one). `on_fatal` is called when the store fails (the
  // daemon must stop).
  outbox(boost::asio::io_context& ioc, const config& cfg, const secrets& keys, store& db,
         std::function<void(std::string)> on_fatal);
  ~outbox();

  // Spawns the lanes; each delivers what is due, then sleeps until its next row is due, notify()
  // is called, or a few seconds pass (rows re-queued by `fjwatch redeliver` are found then).
  void start();
  // A reload: the actions of `next`, signing with `keys`. A new action gets a lane; a changed one
  // (settings or secrets) takes a new runner for its next attempt, while an attempt under way
  // finishes with the one it started with, and a disabled one (410) is enabled again; a removed
  // one's lane ends after its batch, its pending rows stay in the store until an action of that
  // name comes back. Throws config_error (before changing anything) when a runner cannot be
  // built.
  void reconfigure(const config& next, const secrets& keys);
  void notify();
  // Aborts attempts in flight (their rows stay pending, as they were) and ends the lanes.
  void stop();
  bool running() const { return running_ > 0; }
  std::uint64_t delivered() const { return delivered_; }
  // One entry per configured action, in config order.
  std::vector<delivery_counts> counts() const;

 private:
  struct lane;
  std::unique_ptr<lane> make_lane(const config& cfg, std::size_t index, const secrets& keys);
  void spawn(lane& l);
  void lane_ended(lane& l);
  boost::asio::awaitable<void> run_lane(lane& l);
  boost::asio::awaitable<millis> deliver_batch(lane& l, const std::vector<delivery>& due);
  boost::asio::awaitable<std::vector<struct attempt_outcome>> attempt_wave(
      action_runner& runner, std::span<const delivery> wave);
  boost::asio::awaitable<bool> commit(lane& l, std::vector<attempt_record>& records);
  attempt_record judge(lane& l, const delivery& d, const struct attempt_outcome& o);
  void load_disabled();
  boost::asio::awaitable<bool> still_disabled(lane& l);
  void disable(lane& l, const std::string& result);
  void hold(lane& l, disabled_action d);
  void enable_changed(lane& l);
  boost::asio::awaitable<void> sleep(lane& l, std::chrono::steady_clock::time_point until,
                                     bool idle);

  boost::asio::io_context& ioc_;
  const config& cfg_;
  store& db_;
  std::function<void(std::string)> on_fatal_;
  std::vector<std::unique_ptr<lane>> lanes_;
  std::mt19937_64 rng_;
  int running_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool failed_ = false;  // the store failed: every lane ends
  std::uint64_t delivered_ = 0;
};

}  // namespace fjwatch
