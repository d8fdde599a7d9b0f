#pragma once
// Retention in the running daemon: a minute after start and every hour, events past
// retention.events (every delivery ended) and sessions past retention.sessions (gone from the
// watch list) leave the database in small transactions with pauses between them, so polls and
// deliveries on the same loop wait at most one small transaction; then the file gives the freed
// pages back.
#include "fjwatch/config/config.hpp"
#include "fjwatch/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fjwatch {

// How a pass is paced.
struct prune_pacing {
  std::chrono::milliseconds first{60'000};     // after start
  std::chrono::milliseconds every{3'600'000};  // between passes
  std::size_t batch = 256;                     // events or sessions per transaction
  std::int64_t vacuum_pages = 1024;            // the most pages given back per step (4 MiB)
  std::chrono::milliseconds pause{10};         // between two transactions
};

// What the pruning has done since start, for /metrics and the log.
struct prune_totals {
  std::int64_t passes = 0;
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t sessions = 0;
  std::int64_t bytes_returned = 0;  // file bytes given back
};

class pruner {
 public:
  // `watched(id)`: whether the session is in the watch list now (it is never forgotten).
  // `on_fatal`: the store failed. Retention comes from `cfg` at each pass (a reload may change it).
  pruner(boost::asio::io_context& ioc, const config& cfg, store& db,
         std::function<bool(std::string_view)> watched, std::function<void(std::string)> on_fatal,
         prune_pacing pacing = {});

  void start();
  void stop();
  bool running() const { return running_; }
  const prune_totals& totals() const { return totals_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> pass();
  boost::asio::awaitable<void> prune_events(std::int64_t before_ms, pruned& sum);
  boost::asio::awaitable<void> forget_sessions(std::int64_t before_ms, pruned& sum);
  boost::asio::awaitable<void> give_back();
  bool give_back_step();
  boost::asio::awaitable<bool> rest(std::chrono::milliseconds d);
  // Runs one step (a transaction) and keeps the longest of the pass: how long it held the loop.
  template <class Step>
  auto timed(const char* what, Step&& step) {
    const auto start = std::chrono::steady_clock::now();
    auto out = step();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    longest_ = std::max(longest_, took);
    if (took >= slow_step) note_slow_step(what, took);
    return out;
  }
  static constexpr std::chrono::milliseconds slow_step{100};
  static void note_slow_step(const char* what, std::chrono::milliseconds took);

  boost::asio::io_context& ioc_;
  const config& cfg_;
  store& db_;
  std::function<bool(std::string_view)> watched_;
  std::function<void(std::string)> on_fatal_;
  prune_pacing pacing_;
  boost::asio::steady_timer timer_;
  prune_totals totals_;
  std::chrono::milliseconds longest_{0};  // the longest step of the pass under way
  bool can_shrink_ = false;               // the file gives pages back (auto_vacuum incremental)
  std::int64_t vacuum_pages_ = 1024;      // pages per give-back step, adapted to their cost
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace fjwatch
