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
      timer_(ioc) {}

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

// Sleeps `d` (or until stop); false when stopping.
asio::awaitable<bool> pruner::rest(std::chrono::milliseconds d) {
  timer_.expires_after(d);
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !stopping_;
}

asio::awaitable<void> pruner::run() {
  if (!co_await rest(pacing_.first)) co_return;
  while (!stopping_) {
    try {
      co_await pass();
    } catch (const store_full& e) {
      // Deleting needs room for the WAL too; the next pass tries again.
      log::warn("retention.deferred", {{"reason", e.what()}});
    } catch (const store_error& e) {
      on_fatal_(e.what());
      co_return;
    }
    if (!co_await rest(pacing_.every)) co_return;
  }
}

// One pass: events, then sessions, then the file's free pages; one log line when it did anything.
asio::awaitable<void> pruner::pass() {
  const auto started = steady::now();
  longest_ = {};
  const auto now = unix_ms_now();
  const auto& keep = cfg_.retention;
  pruned sum;
  if (keep.events.count() > 0) co_await prune_events(now - keep.events.count(), sum);
  if (keep.sessions.count() > 0) co_await forget_sessions(now - keep.sessions.count(), sum);
  const std::int64_t returned = co_await give_back();
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
    const pruned p = timed([&] { return db_.prune_events(before_ms, pacing_.batch); });
    sum.events += p.events;
    sum.deliveries += p.deliveries;
    if (p.events < static_cast<std::int64_t>(pacing_.batch)) co_return;
    if (!co_await rest(pacing_.pause)) co_return;
  }
}

// One walk over the sessions table in id order; what is watched now is never forgotten (the walk
// and the deletion of one piece run without a break, so the watch list cannot change between).
asio::awaitable<void> pruner::forget_sessions(std::int64_t before_ms, pruned& sum) {
  std::string after;
  while (!stopping_) {
    const auto rows = timed([&] { return db_.sessions_after(after, pacing_.batch); });
    if (rows.empty()) co_return;
    after = rows.back().id;
    std::vector<std::string> gone;
    for (const auto& r : rows) {
      if (r.last_change_ms < before_ms && !watched_(r.id)) gone.push_back(r.id);
    }
    if (!gone.empty()) {
      sum.sessions += timed([&] { return db_.forget_sessions(gone, unix_ms_now()); }).sessions;
    }
    if (rows.size() < pacing_.batch) co_return;
    if (!co_await rest(pacing_.pause)) co_return;
  }
}

// Gives the free pages back in steps; the bytes the file shrank by (pages, not the WAL).
asio::awaitable<std::int64_t> pruner::give_back() {
  if (!db_.can_shrink()) co_return 0;
  const std::int64_t before = db_.file_bytes();
  while (!stopping_ && timed([&] { return db_.give_back(pacing_.vacuum_pages); })) {
    if (!co_await rest(pacing_.pause)) break;
  }
  co_return before - db_.file_bytes();
}

}  // namespace fjwatch
