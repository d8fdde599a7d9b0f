#include "fjwatch/service/daemon.hpp"

#include <malloc.h>

#include "fjwatch/config/policies.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/watchlist/watch_diff.hpp"

#include <chrono>
#include <algorithm>
#include <vector>

namespace fjwatch {
namespace asio = boost::asio;

daemon::daemon(asio::io_context& ioc, config cfg, secrets keys, daemon_options opts)
    : ioc_(ioc),
      cfg_(std::move(cfg)),
      opts_(opts),
      signals_(ioc),
      watch_list_retry_(ioc),
      notifier_(ioc, opts.notify_systemd),
      keys_(std::move(keys)) {
  if (opts_.handle_signals) {
    for (const int signo : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) signals_.add(signo);
  }
}

daemon::~daemon() {
  if (scheduler_) scheduler_->stop();
  if (outbox_) outbox_->stop();
  if (pruner_) pruner_->stop();
  if (watcher_) watcher_->stop();
}

void daemon::start() {
  log::add_secret(keys_.api_key);
  log_proxies();
  lock_ = std::make_unique<state_lock>(cfg_.state_dir);
  db_ = std::make_unique<store>(cfg_.state_dir);
  scheduler_ = std::make_unique<scheduler>(
      ioc_, cfg_, keys_.api_key, keys_.api_proxy, *db_, [this] { outbox_->notify(); },
      [this](std::string what) { fatal(std::move(what)); });
  outbox_ = std::make_unique<outbox>(ioc_, cfg_, keys_, *db_,
                                     [this](std::string what) { fatal(std::move(what)); });
  pruner_ = std::make_unique<pruner>(
      ioc_, cfg_, *db_,
      [this](std::string_view id) {
        const auto parsed = session_id::parse(id);
        return parsed && scheduler_->watching(*parsed);
      },
      [this](std::string what) { fatal(std::move(what)); }, opts_.pruning);
  start_control();
  reload_watch_list();
  watcher_ = std::make_unique<file_watch>(ioc_, cfg_.watchlist, [this] { reload_watch_list(); });
  watcher_->start();
  scheduler_->start();
  outbox_->start();
  pruner_->start();
  if (opts_.handle_signals) wait_for_signal();
  started_ = true;
  log::info("daemon.ready", {{"version", FJWATCH_VERSION},
                             {"sessions", static_cast<std::int64_t>(scheduler_->size())},
                             {"database", db_->path().string()},
                             {"watchlist", cfg_.watchlist},
                             {"api", cfg_.api.base_url},
                             {"workers", cfg_.api.max_in_flight}});
  notifier_.ready([this] { return status_text(); });
}

void daemon::log_proxies() const {
  const auto& api = keys_.api_proxy;
  log::info("api.proxy", {{"proxy", api ? api->address() : "none"},
                          {"auth", api && !api->authorization.empty()}});
  for (const auto& [name, proxy] : keys_.webhook_proxies) {
    if (!proxy) continue;
    log::info(
        "action.proxy",
        {{"action", name}, {"proxy", proxy->address()}, {"auth", !proxy->authorization.empty()}});
  }
}

void daemon::wait_for_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      log::info("daemon.reload", {{"signal", "SIGHUP"}});
      reload();
      wait_for_signal();
      return;
    }
    if (signo == SIGUSR1 || signo == SIGUSR2) {
      // Reserved: claimed only so that a stray one does not kill the daemon.
      log::debug("daemon.signal_ignored", {{"signal", signo == SIGUSR1 ? "SIGUSR1" : "SIGUSR2"}});
      wait_for_signal();
      return;
    }
    log::info("daemon.stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
}

void daemon::reload_watch_list() {
  auto loaded = load_watch_list(cfg_.watchlist, action_names(cfg_));
  log::problems("watchlist.problem", loaded.problems);
  if (!loaded.usable) {
    log::error("watchlist.unusable",
               {{"file", cfg_.watchlist},
                {"kept_sessions", static_cast<std::int64_t>(current_.items.size())}});
    return;
  }
  const auto changes = diff(current_, loaded.list);
  if (changes.empty() && started_) return;
  try {
    std::vector<std::string_view> ids;
    ids.reserve(changes.added.size());
    for (const auto* e : changes.added) ids.push_back(e->id.view());
    db_->ensure_sessions(ids, unix_ms_now());  // first_seen and waiting_since start now
    for (const auto& id : changes.removed) scheduler_->unwatch(id);
    for (const auto* e : changes.changed) scheduler_->watch(*e, session_row{});
    scheduler_->reserve(changes.added.size());
    // A few additions are looked up one by one; many (a start) are matched to one ordered
    // pass over the table, without holding its rows.
    constexpr std::size_t bulk = 256;
    if (changes.added.size() > bulk) {
      auto by_id = changes.added;
      std::ranges::sort(by_id, {}, [](const watch_entry* e) { return e->id; });
      auto next = by_id.begin();
      db_->each_session([&](session_row&& row) {
        while (next != by_id.end() && (*next)->id.view() < row.id) ++next;
        if (next != by_id.end() && (*next)->id.view() == row.id) scheduler_->watch(**next++, row);
      });
    }
    for (const auto* e : changes.added) {
      if (scheduler_->watching(e->id)) continue;
      if (auto row = db_->find_session(e->id.view())) {
        scheduler_->watch(*e, *row);
      } else {
        const auto now = unix_ms_now();
        scheduler_->watch(*e, session_row{.id = e->id.str(),
                                          .first_seen_ms = now,
                                          .waiting_since_ms = now,
                                          .last_change_ms = now});
      }
    }
  } catch (const store_full& e) {
    retry_watch_list(e.what());
    return;
  } catch (const store_error& e) {
    fatal(e.what());
    return;
  }
  watch_list_failures_ = 0;
  current_ = digest(loaded.list);
  // A large load leaves the parse's and the table read's memory free but mapped: return it.
  if (changes.added.size() + changes.removed.size() > 1000) ::malloc_trim(0);
  log::info("watchlist.loaded", {{"file", cfg_.watchlist},
                                 {"sessions", static_cast<std::int64_t>(current_.items.size())},
                                 {"added", static_cast<std::int64_t>(changes.added.size())},
                                 {"removed", static_cast<std::int64_t>(changes.removed.size())},
                                 {"changed", static_cast<std::int64_t>(changes.changed.size())}});
}

// The disk is full: the sessions the new list adds could not be recorded, so the list in force
// stays as it was and the file is read again after a backoff (within retry.initial..retry.max),
// unless a change of the file or SIGHUP reads it first.
void daemon::retry_watch_list(const std::string& what) {
  ++watch_list_failures_;
  // One timer, nothing to spread apart: the top of the backoff's window (u = 1).
  const millis wait = full_disk_retry(watch_list_failures_, cadence_of(cfg_), 1.0);
  log::error("store.full", {{"database", db_->path().string()},
                            {"reason", what},
                            {"watchlist", cfg_.watchlist},
                            {"retry_in_ms", static_cast<std::int64_t>(wait.count())}});
  watch_list_retry_.expires_after(wait);
  watch_list_retry_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) reload_watch_list();
  });
}

void daemon::stop() {
  if (stopping_) return;
  stopping_ = true;
  watch_list_retry_.cancel();
  notifier_.stopping();
  if (scheduler_) scheduler_->stop();
  if (outbox_) outbox_->stop();
  if (pruner_) pruner_->stop();
  if (watcher_) watcher_->stop();
  if (control_) control_->stop();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  if (opts_.on_stop) opts_.on_stop();
}

bool daemon::stopped() const {
  return stopping_ && (!scheduler_ || scheduler_->running_workers() == 0) &&
         (!outbox_ || !outbox_->running()) && (!pruner_ || !pruner_->running()) &&
         (!control_ || !control_->running());
}

void daemon::fatal(std::string what) {
  log::error("daemon.fatal", {{"reason", what}});
  exit_code_ = 1;
  stop();
}

// The control endpoint (unless `control: ""`), reading the scheduler, outbox and store per request.
void daemon::start_control() {
  if (cfg_.control.empty()) return;
  control_source source{
      .sessions = [this] { return sessions(); },
      .counts = [this] { return scheduler_ ? scheduler_->counts() : session_counts{}; },
      .stats = [this] { return stats(); },
      .deliveries = [this] { return outbox_->counts(); },
      .outbox =
          [this] {
            return outbox_totals{.pending = db_->count_deliveries(delivery_state::pending),
                                 .failed = db_->count_deliveries(delivery_state::failed),
                                 .database = database_totals_now()};
          }};
  control_ = std::make_unique<control_server>(
      ioc_,
      control_options{.address = cfg_.control,
                      .allow_remote = cfg_.control_allow_remote,
                      .unreachable_after = opts_.unreachable_after},
      std::move(source));
  control_->start();
}

// The database's rows are counted (O(rows)) at most once a minute; the pruning totals are live.
database_totals daemon::database_totals_now() {
  const auto now = std::chrono::steady_clock::now();
  if (!size_counted_ || now - *size_counted_ >= std::chrono::minutes(1)) {
    size_ = db_->size();
    size_counted_ = now;
  }
  const auto& pruned = pruner_->totals();
  return database_totals{.file_bytes = db_->file_bytes(),
                         .free_bytes = size_.free_bytes,
                         .sessions = size_.sessions,
                         .events = size_.events,
                         .deliveries = size_.deliveries,
                         .forgotten_sessions = size_.forgotten_sessions,
                         .pruned_events = pruned.events,
                         .pruned_deliveries = pruned.deliveries,
                         .pruned_sessions = pruned.sessions,
                         .bytes_returned = pruned.bytes_returned};
}

std::vector<session_view> daemon::sessions() const {
  return scheduler_ ? scheduler_->view() : std::vector<session_view>{};
}

scheduler_stats daemon::stats() const {
  auto s = scheduler_ ? scheduler_->stats() : scheduler_stats{};
  if (db_) {
    s.store_write_problem = db_->write_problem();
    s.store_full_failures = db_->full_failures();
  }
  return s;
}

std::uint64_t daemon::delivered() const { return outbox_ ? outbox_->delivered() : 0; }

}  // namespace fjwatch
