#include "fjwatch/outbox/outbox.hpp"

#include "fjwatch/outbox/detail/action_runner.hpp"
#include "fjwatch/outbox/detail/lane.hpp"
#include "fjwatch/policy/cadence.hpp"
#include "fjwatch/config/policies.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/policy/delivery_breaker.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/policy/webhook_retry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>
#include <chrono>
#include <exception>
#include <span>
#include <utility>

namespace fjwatch {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::size_t batch_size = 64;

}  // namespace

outbox::outbox(asio::io_context& ioc, const config& cfg, const secrets& keys, store& db,
               std::function<void(std::string)> on_fatal)
    : ioc_(ioc), cfg_(cfg), db_(db), on_fatal_(std::move(on_fatal)), rng_(std::random_device{}()) {
  for (std::size_t i = 0; i < cfg.actions.size(); ++i) lanes_.push_back(make_lane(cfg, i, keys));
}

outbox::~outbox() = default;

void outbox::start() {
  started_ = true;
  load_disabled();
  for (auto& l : lanes_) spawn(*l);
}

void outbox::spawn(lane& l) {
  ++running_;
  l.running = true;
  asio::co_spawn(ioc_, run_lane(l), [this, &l](std::exception_ptr e) {
    --running_;
    l.running = false;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        on_fatal_("delivery lane " + l.action.name + " failed: " + ex.what());
      }
    }
    lane_ended(l);
  });
}

void outbox::notify() {
  for (auto& l : lanes_) {
    if (l->idle) l->timer.cancel();
  }
}

void outbox::stop() {
  stopping_ = true;
  for (auto& l : lanes_) {
    l->timer.cancel();
    l->runner->cancel();
    if (l->in_flight) l->in_flight->cancel();
  }
}

asio::awaitable<void> outbox::sleep(lane& l, steady::time_point until, bool idle) {
  l.idle = idle;
  l.timer.expires_at(until);
  co_await l.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  l.idle = false;
}

asio::awaitable<void> outbox::run_lane(lane& l) {
  while (!stopping_ && !l.removed) {
    std::vector<delivery> due;
    std::optional<std::int64_t> next;
    try {
      if (l.disabled && co_await still_disabled(l)) continue;
      due = db_.due_deliveries(unix_ms_now(), batch_size, l.action.name);
      if (due.empty()) next = db_.next_delivery_ms(l.action.name);
    } catch (const store_error& e) {
      on_fatal_(e.what());
      co_return;
    }
    if (due.empty()) {
      auto until = steady::now() + rescan_every;
      if (next) {
        const millis wait{std::max<std::int64_t>(0, *next - unix_ms_now())};
        until = std::min(until, steady::now() + wait);
      }
      co_await sleep(l, until, true);
      continue;
    }
    const millis pause = co_await deliver_batch(l, due);
    if (failed_) co_return;
    if (const auto result = std::exchange(l.gone, std::nullopt)) {
      try {
        disable(l, *result);
      } catch (const store_error& e) {
        on_fatal_(e.what());
        co_return;
      }
      continue;
    }
    if (pause.count() > 0 && !stopping_ && !l.removed) {
      co_await sleep(l, steady::now() + pause, false);
      l.breaker.rested();  // the next attempt is the probe (unless a reload reset the breaker)
    }
  }
}

// Delivers `due` in waves as wide as the breaker allows (the runner's slots, or the one probe
// after a pause), every wave's outcomes recorded in one transaction: at a crash at most one wave
// (the attempts in flight) is repeated. Each wave runs on the runner current when it starts, so a
// reload in the middle of the batch applies from the next wave on. Log lines are cheap and touch nothing outside, so a log
// lane records the whole batch at once. Returns the pause when the circuit opened (the rest of
// the batch waits), else 0.
asio::awaitable<millis> outbox::deliver_batch(lane& l, const std::vector<delivery>& due) {
  const bool record_each_wave = l.action.kind != action_kind::log;
  std::vector<attempt_record> records;
  millis pause{0};
  for (std::size_t first = 0;
       first < due.size() && !stopping_ && !l.removed && pause.count() == 0 && !l.gone;) {
    l.in_flight = l.runner;
    const std::size_t width = std::max<std::size_t>(1, l.breaker.wave_width(l.in_flight->slots()));
    const std::span<const delivery> wave(due.data() + first, std::min(width, due.size() - first));
    first += wave.size();
    const auto outcomes = co_await attempt_wave(*l.in_flight, wave);
    l.in_flight.reset();
    for (std::size_t i = 0; i < wave.size(); ++i) {
      // An attempt cut short by a stop is not recorded: its row stays as it was.
      if (stopping_ && outcomes[i].verdict == delivery_verdict::retry) continue;
      records.push_back(judge(l, wave[i], outcomes[i]));
    }
    if (const auto opened = l.breaker.trip(steady::now())) {
      pause = *opened;
      log::warn("delivery.target_paused", {{"action", l.action.name},
                                           {"pause_ms", static_cast<std::int64_t>(pause.count())},
                                           {"last_result", outcomes.back().result}});
    }
    if (record_each_wave && !co_await commit(l, records)) co_return millis{0};
  }
  if (!co_await commit(l, records)) co_return millis{0};
  co_return pause;
}

// Runs one attempt per row of `wave` at once, row i on slot i; returns when all have finished.
asio::awaitable<std::vector<attempt_outcome>> outbox::attempt_wave(action_runner& runner,
                                                                   std::span<const delivery> wave) {
  std::vector<attempt_outcome> outcomes(wave.size());
  if (wave.size() == 1) {
    outcomes[0] = co_await runner.attempt(wave[0], 0);
    co_return outcomes;
  }
  std::size_t left = wave.size();
  std::exception_ptr error;
  asio::steady_timer all_done(ioc_, steady::time_point::max());
  for (std::size_t i = 0; i < wave.size(); ++i) {
    auto one = [&, i]() -> asio::awaitable<void> {
      outcomes[i] = co_await runner.attempt(wave[i], i);
    };
    asio::co_spawn(ioc_, one, [&](std::exception_ptr e) {
      if (e && !error) error = e;
      if (--left == 0) all_done.cancel();
    });
  }
  if (left > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (error) std::rethrow_exception(error);
  co_return outcomes;
}

// Writes `records` in one transaction and clears them. While the disk is full the lane holds
// them (their rows stay as they were, so a crash meanwhile repeats those attempts, never loses
// one) and tries again after a backoff within retry.initial..retry.max, attempting nothing else.
// False when the daemon stops first, or the store fails otherwise (the daemon is told to stop).
asio::awaitable<bool> outbox::commit(lane& l, std::vector<attempt_record>& records) {
  for (int failures = 1; !records.empty(); ++failures) {
    std::string full;  // why the write failed, when for a full disk
    try {
      const bool was_full = !db_.write_problem().empty();
      db_.record_attempts(records);
      if (was_full) log::info("store.recovered", {{"database", db_.path().string()}});
      records.clear();
      break;
    } catch (const store_full& e) {
      full = e.what();
    } catch (const store_error& e) {
      failed_ = true;
      on_fatal_(e.what());
      co_return false;
    }
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    const millis wait = full_disk_retry(failures, cadence_of(cfg_), u);
    log::error("store.full", {{"database", db_.path().string()},
                              {"reason", full},
                              {"action", l.action.name},
                              {"outcomes_held", static_cast<std::int64_t>(records.size())},
                              {"retry_in_ms", static_cast<std::int64_t>(wait.count())}});
    co_await sleep(l, steady::now() + wait, false);
    if (stopping_) co_return false;
  }
  co_return true;
}

// The row's new state after one attempt, and the log line that goes with it.
attempt_record outbox::judge(lane& l, const delivery& d, const attempt_outcome& o) {
  attempt_record r{.event_id = d.event_id, .action = d.action, .result = o.result};
  const int attempts = d.attempts + 1;
  switch (o.verdict) {
    case delivery_verdict::delivered:
      r.state = delivery_state::delivered;
      ++delivered_;
      ++l.counts.delivered;
      if (l.breaker.record(o.verdict, steady::now()))
        log::info("delivery.target_resumed", {{"action", d.action}});
      if (l.action.kind != action_kind::log) {
        log::info("delivery.ok", {{"action", d.action},
                                  {"event_id", d.event_id},
                                  {"attempts", attempts},
                                  {"result", o.result}});
      }
      return r;
    case delivery_verdict::gone:
      // The receiver asked to stop (Standard Webhooks: disable the endpoint): this delivery and
      // every later one of the action are held, pending, until it is enabled again.
      r.state = delivery_state::pending;
      r.next_attempt_ms = unix_ms_now();
      ++l.counts.gone;
      if (l.breaker.record(o.verdict, steady::now()))
        log::info("delivery.target_resumed", {{"action", d.action}});
      r.result = o.result + " Gone: held while the action is disabled";
      l.gone = o.result;  // the action is disabled once the wave is recorded
      log::warn("delivery.gone",
                {{"action", d.action}, {"event_id", d.event_id}, {"result", o.result}});
      return r;
    case delivery_verdict::retry:
      break;
  }
  l.breaker.record(o.verdict, steady::now());
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  if (const auto wait = next_retry_delay(attempts, l.schedule, u, o.retry_after)) {
    r.state = delivery_state::pending;
    ++l.counts.retried;
    r.next_attempt_ms = unix_ms_now() + wait->count();
    log::warn("delivery.retry", {{"action", d.action},
                                 {"event_id", d.event_id},
                                 {"attempts", attempts},
                                 {"result", o.result},
                                 {"retry_in_ms", static_cast<std::int64_t>(wait->count())}});
  } else {
    r.state = delivery_state::failed;
    ++l.counts.failed;
    log::error("delivery.failed", {{"action", d.action},
                                   {"event_id", d.event_id},
                                   {"attempts", attempts},
                                   {"result", o.result}});
  }
  return r;
}

std::vector<delivery_counts> outbox::counts() const {
  std::vector<delivery_counts> out;
  out.reserve(lanes_.size());
  for (const auto& l : lanes_) out.push_back(l->counts);
  return out;
}

}  // namespace fjwatch
