#pragma once
// A webhook receiver (src/sim/receiver.hpp) serving on its own io_context thread, for tests that
// run the daemon in-process or as a real binary. It verifies signatures with `secret`.
#include "sim/receiver.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <thread>

namespace fjwatch::testing {

// 32 key bytes, "0123456789abcdef0123456789abcdef", as a Standard Webhooks secret.
inline constexpr const char* webhook_secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

class receiver_thread {
 public:
  explicit receiver_thread(std::vector<std::string> secrets = {webhook_secret})
      : rx_(ioc_, options(std::move(secrets))), thread_([this] { ioc_.run(); }) {}
  ~receiver_thread() {
    rx_.stop();
    work_.reset();
    thread_.join();
  }
  receiver_thread(const receiver_thread&) = delete;
  receiver_thread& operator=(const receiver_thread&) = delete;

  sim::receiver* operator->() { return &rx_; }
  sim::receiver& get() { return rx_; }

 private:
  static sim::receiver_options options(std::vector<std::string> secrets) {
    sim::receiver_options o;
    o.secrets = std::move(secrets);
    o.log = [](std::string_view) {};
    return o;
  }
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  sim::receiver rx_;
  std::thread thread_;
};

}  // namespace fjwatch::testing
