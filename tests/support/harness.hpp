#pragma once
// Shared pieces of the integration tests: a temporary directory, the simulated API on a thread of
// its own, a thread-safe capture of log lines, and loops that wait for a condition with a bound.
// Header-only; depends on the simulator and Asio, not on Boost.Test or the daemon.
#include "sim/sim.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace fjwatch::testing {

// Collects lines from any thread. Used as a log sink, or fed from a child's output.
class line_capture {
 public:
  void add(std::string_view line) {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(line);
  }

  // A function that appends to this capture; the capture must outlive every call.
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view line) { add(line); };
  }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }

  // Lines holding every one of `parts`.
  std::vector<std::string> matching(std::initializer_list<std::string_view> parts) const {
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_) {
      bool all = true;
      for (auto p : parts) all = all && l.find(p) != std::string::npos;
      if (all) out.push_back(l);
    }
    return out;
  }

  std::size_t count(std::initializer_list<std::string_view> parts) const {
    return matching(parts).size();
  }

  void clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// The value of `key=` in a `key=value ...` log line (a quoted value is unescaped); nullopt when
// the line has no such key.
inline std::optional<std::string> log_field(std::string_view line, std::string_view key) {
  const std::string needle = " " + std::string(key) + "=";
  const auto at = line.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + needle.size());
  std::string out;
  if (rest.empty() || rest.front() != '"') {
    return std::string(rest.substr(0, rest.find(' ')));
  }
  for (std::size_t i = 1; i < rest.size() && rest[i] != '"'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
    out += rest[i];
  }
  return out;
}

// The simulated API serving on a thread of its own, with its own io_context. Lines the simulator
// logs go to `sim_log` unless the options name a sink. Throws what sim::server throws.
class sim_thread {
 public:
  explicit sim_thread(sim::options opts = {})
      : work_(ioc_.get_executor()),
        server_(ioc_, with_log(std::move(opts))),
        thread_([this] { ioc_.run(); }) {}
  ~sim_thread() { stop(); }
  sim_thread(const sim_thread&) = delete;
  sim_thread& operator=(const sim_thread&) = delete;

  sim::server& server() { return server_; }
  sim::server* operator->() { return &server_; }
  const line_capture& sim_log() const { return log_; }

  // Closes every connection and ends the thread; pending answers (latency) are dropped.
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

 private:
  sim::options with_log(sim::options o) {
    if (!o.log) o.log = log_.sink();
    return o;
  }

  line_capture log_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  sim::server server_;
  std::thread thread_;
};

// Runs `ioc` one handler (or 10 ms) at a time until `done()` holds or `bound` passes; true when
// it holds. An io_context that ran out of work is restarted, so later work still runs.
template <class Pred>
bool run_until(boost::asio::io_context& ioc, Pred&& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    // Out of work: nothing can change on this thread, so do not spin.
    if (ioc.run_one_for(std::chrono::milliseconds(10)) == 0 && ioc.stopped()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

// Runs `ioc` for `span` whatever happens: a window in which something must NOT occur.
inline void run_for(boost::asio::io_context& ioc, std::chrono::milliseconds span) {
  run_until(
      ioc, [] { return false; }, span);
}

// Runs `ioc` until it runs out of work (every task started on it has ended) or `bound` passes;
// true when it ran out. Restarts it first, so an earlier stop does not count.
inline bool run_to_idle(boost::asio::io_context& ioc, std::chrono::milliseconds bound) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_for(std::chrono::milliseconds(10));
    if (ioc.stopped()) return true;
  }
  return false;
}

// For tests with no io_context of their own (a child process): checks `done()` every 10 ms until
// it holds or `bound` passes; true when it holds.
template <class Pred>
bool wait_until(Pred&& done, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace fjwatch::testing
