#pragma once
// The outbox worker: takes due delivery rows from the store, runs their action, and records each
// outcome. Rows are written in the same transaction as their event, so a crash between the two
// never loses one; an action may run twice for a row whose outcome was not yet recorded.
#include "fjwatch/config.hpp"
#include "fjwatch/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <string>

namespace fjwatch {

// The action kinds this build can deliver; a config naming another kind is refused at start.
bool action_supported(action_kind kind);

class outbox {
 public:
  // `on_fatal` is called when the store fails (the daemon must stop).
  outbox(boost::asio::io_context& ioc, const config& cfg, store& db,
         std::function<void(std::string)> on_fatal);

  // Runs until stop(); delivers whatever is due, then sleeps until the next row is due or
  // notify() is called.
  void start();
  void notify();
  void stop();
  bool running() const { return running_; }
  std::uint64_t delivered() const { return delivered_; }

 private:
  boost::asio::awaitable<void> run();
  std::string deliver(const delivery& d, const action_config& action);

  boost::asio::io_context& ioc_;
  const config& cfg_;
  store& db_;
  std::function<void(std::string)> on_fatal_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  bool stopping_ = false;
  bool notified_ = false;
  std::uint64_t delivered_ = 0;
};

}  // namespace fjwatch
