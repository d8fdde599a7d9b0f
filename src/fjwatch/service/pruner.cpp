#include "fjwatch/service/pruner.hpp"

#include "fjwatch/log/log.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>

namespace fjwatch {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

pruner::pruner(asio::io_context& ioc, const config& cfg, store& db,
               std::function<bool(std::string_view)> watched,
               std::function<void(std::string)> on_fatal, prune_pacing pacing)
    : ioc_(ioc),
      cfg_(cfg),
      db_(db),
      watched_(std::move(watched)),
      on_fatal_(std::move(on_fatal)),
      pacing_(pacing),
      timer_(ioc),
      vacuum_pages_(pacing.vacuum_pages) {}

void pruner::start() {
  running_ = true;
  asio::co_spawn(ioc_, run(), [this](std::exception_ptr e) {
    running_ = false;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      on_fatal_(std::string("retention failed: ") + ex.what());
    }
  });
}

void pruner::stop() {
  stopping_ = true;
  timer_.cancel();
}

// Sleeps `d` (or until stop); false when stopping. (Callers keep the result in a variable rather
// than testing a co_await inside a condition: g++ 12 has miscompiled that form in a loop.)
asio::awaitable<bool> pruner::rest(std::chrono::milliseconds d) {
  timer_.expires_after(d);
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !stopping_;
}

// A step that held the loop long (a checkpoint of a large WAL, a slow disk): debug, for tuning.
void pruner::note_slow_step(const char* what, std::chrono::milliseconds took) {
  log::debug("retention.slow_step",
             {{"step", what}, {"took_ms", static_cast<std::int64_t>(took.count())}});
}

asio::awaitable<void> pruner::run() {
  bool awake = co_await rest(pacing_.first);
  while (awake && !stopping_) {
    try {
      co_await pass();
    } catch (const store_full& e) {
      // Deleting needs room for the WAL too; the next pass tries again.
      log::warn("retention.deferred", {{"reason", e.what()}});
    } catch (const store_error& e) {
      on_fatal_(e.what());
      co_return;
    }
    awake = co_await rest(pacing_.every);
  }
}

// One pass: events, then sessions, then the file's free pages; one log line when it did anything.
asio::awaitable<void> pruner::pass() {
  const auto started = steady::now();
  longest_ = {};
  can_shrink_ = db_.can_shrink();
  const std::int64_t size_before = db_.file_bytes();
  const auto now = unix_ms_now();
  const auto& keep = cfg_.retention;
  pruned sum;
  if (keep.events.count() > 0) co_await prune_events(now - keep.events.count(), sum);
  if (keep.sessions.count() > 0) co_await forget_sessions(now - keep.sessions.count(), sum);
  co_await give_back();
  // New rows written meanwhile count against it: what the file shrank by, at least 0.
  const std::int64_t returned = std::max<std::int64_t>(0, size_before - db_.file_bytes());
  ++totals_.passes;
  totals_.events += sum.events;
  totals_.deliveries += sum.deliveries;
  totals_.sessions += sum.sessions;
  totals_.bytes_returned += returned;
  if (sum.events + sum.sessions + returned == 0 || stopping_) co_return;
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
  log::info("retention.pruned", {{"events", sum.events},
                                 {"deliveries", sum.deliveries},
                                 {"sessions", sum.sessions},
                                 {"bytes_returned", returned},
                                 {"took_ms", static_cast<std::int64_t>(took.count())},
                                 {"longest_step_ms", static_cast<std::int64_t>(longest_.count())}});
}

asio::awaitable<void> pruner::prune_events(std::int64_t before_ms, pruned& sum) {
  while (!stopping_) {
    const pruned p =
        timed("delete events", [&] { return db_.prune_events(before_ms, pacing_.batch); });
    sum.events += p.events;
    sum.deliveries += p.deliveries;
    // The pages just freed go back at once: SQLite moves a page into a free slot in time that
    // grows with the free list, so a list kept short keeps each step short.
    if (p.events > 0) give_back_step();
    if (p.events < static_cast<std::int64_t>(pacing_.batch)) co_return;
    const bool awake = co_await rest(pacing_.pause);
    if (!awake) co_return;
  }
}

// One walk over the sessions table in id order; what is watched now is never forgotten (the walk
// and the deletion of one piece run without a break, so the watch list cannot change between).
asio::awaitable<void> pruner::forget_sessions(std::int64_t before_ms, pruned& sum) {
  std::string after;
  while (!stopping_) {
    const auto rows =
        timed("list sessions", [&] { return db_.sessions_after(after, pacing_.batch); });
    if (rows.empty()) co_return;
    after = rows.back().id;
    std::vector<std::string> gone;
    for (const auto& r : rows) {
      if (r.last_change_ms < before_ms && !watched_(r.id)) gone.push_back(r.id);
    }
    if (!gone.empty()) {
      sum.sessions += timed("forget sessions", [&] {
                        return db_.forget_sessions(gone, unix_ms_now());
                      }).sessions;
      give_back_step();
    }
    if (rows.size() < pacing_.batch) co_return;
    const bool awake = co_await rest(pacing_.pause);
    if (!awake) co_return;
  }
}

// One step of giving free pages back (none when the file cannot shrink); whether some are left.
// A step's pages adapt to what a step costs on this file: halved after a step over 50 ms (a long
// free list, a slow disk), doubled back after a quick one.
bool pruner::give_back_step() {
  if (!can_shrink_) return false;
  const auto start = steady::now();
  const bool left = timed("give back pages", [&] { return db_.give_back(vacuum_pages_); });
  const auto took = steady::now() - start;
  if (took > std::chrono::milliseconds(50)) {
    vacuum_pages_ = std::max<std::int64_t>(16, vacuum_pages_ / 2);
  } else if (took < std::chrono::milliseconds(10)) {
    vacuum_pages_ = std::min(pacing_.vacuum_pages, vacuum_pages_ * 2);
  }
  return left;
}

// Gives what is still free back, in steps with pauses between them.
asio::awaitable<void> pruner::give_back() {
  for (;;) {
    if (stopping_ || !give_back_step()) co_return;
    const bool awake = co_await rest(pacing_.pause);
    if (!awake) co_return;
  }
}

}  // namespace fjwatch
