#include "fjwatch/poll/scheduler.hpp"

#include "fjwatch/config/action_routing.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/poll/detail/slot.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"
#include "fjwatch/config/policies.hpp"
#include "fjwatch/poll/tracked_row.hpp"
#include "fjwatch/policy/token_bucket.hpp"
#include "fjwatch/policy/server_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace fjwatch {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// The longest gap between two 401 probes.
constexpr millis max_probe_gap = 10min;

// The shortest sleep of the leader: polls falling due within it go out together, several to a
// connection with api.pipeline (bench/RESULTS.md, "Polls per CPU-second against nginx").
constexpr millis coalesce_window{10};

// The first gap after a 401: retry.initial, but at least a second.
millis first_probe_gap(const config& cfg) { return std::max(cfg.retry.initial, millis(1000)); }

token_bucket bucket_for(const config& cfg) {
  return token_bucket(cfg.api.rate_limit.per_second, std::max(1.0, cfg.api.rate_limit.per_second));
}

// api.rate's spacing between two requests.
server_budget budget_for(const config& cfg) {
  return server_budget(std::chrono::duration_cast<token_bucket::clock::duration>(
      std::chrono::duration<double>(1.0 / cfg.api.rate_limit.per_second)));
}

}  // namespace

scheduler::scheduler(asio::io_context& ioc, const config& cfg, std::string api_key,
                     std::optional<proxy_route> api_proxy, store& db,
                     std::function<void()> on_events, std::function<void(std::string)> on_fatal)
    : ioc_(ioc),
      cfg_(cfg),
      api_key_(std::move(api_key)),
      db_(db),
      on_events_(std::move(on_events)),
      on_fatal_(std::move(on_fatal)),
      commit_timer_(ioc),
      bucket_(bucket_for(cfg)),
      budget_(budget_for(cfg)),
      auth_(first_probe_gap(cfg), max_probe_gap),
      rng_(std::random_device{}()) {
  policy_ = tracker_of(cfg, any_action_on(cfg, event_type::status_changed));
  auto url = parse_url(cfg.api.base_url);
  if (!url) throw std::runtime_error("api.base_url: " + url.error().what);
  target_ = api_target{*url, cfg.api.timeout, std::move(api_proxy)};
  stats_.pipeline_depth = cfg.api.pipeline;
  if (url->https()) tls_ = make_api_tls_context(cfg.api.ca_file);
}

scheduler::~scheduler() = default;

void scheduler::reconfigure() {
  policy_ = tracker_of(cfg_, any_action_on(cfg_, event_type::status_changed));
  bucket_ = bucket_for(cfg_);
  budget_ = budget_for(cfg_);
  auth_.set_first_gap(first_probe_gap(cfg_));
}

void scheduler::set_api_key(std::string key) {
  api_key_ = std::move(key);
  ++key_version_;
  auth_.key_changed();
  wake_leader();
}

double scheduler::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void scheduler::watch(const watch_entry& entry, const session_row& row) {
  static_assert(sizeof(slot) <= 168,
                "a slot per watched session: see bench/RESULTS.md's memory account");
  if (auto found = index_.find(entry.id, id_of()); found) {
    slots_[*found].set_settings(entry);
    return;
  }
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(slot{.id = entry.id});
  }
  auto& s = slots_[index];
  const auto generation = s.generation + 1;
  s = slot{.id = entry.id};
  s.generation = generation;
  s.t = from_row(row);
  s.etag = row.etag;
  s.set_settings(entry);
  set_watched(s, true);
  index_.insert(index, id_of());
  if (s.t.phase == session_phase::active) schedule(index, clock::duration::zero());
}

void scheduler::unwatch(const session_id& id) {
  const auto found = index_.find(id, id_of());
  if (!found) return;
  const auto index = *found;
  index_.erase(id, id_of());
  auto& s = slots_[index];
  set_watched(s, false);
  ++s.generation;  // any heap entry and any in-flight outcome of it is now stale
  if (!s.in_flight) release(index);
}

bool scheduler::watching(const session_id& id) const {
  return index_.find(id, id_of()).has_value();
}

void scheduler::reserve(std::size_t more) {
  const auto n = index_.size() + more;
  if (n > slots_.size() + free_slots_.size()) slots_.reserve(n - free_slots_.size());
  index_.reserve(n, id_of());
}

void scheduler::release(std::uint32_t index) {
  auto& s = slots_[index];
  s.etag.clear();
  s.etag.shrink_to_fit();
  s.notes.reset();
  free_slots_.push_back(index);
}

void scheduler::schedule(std::uint32_t index, clock::duration delay) {
  auto& s = slots_[index];
  s.due = clock::now() + delay;
  ++s.generation;
  const bool earliest = heap_.empty() || s.due < heap_.top().due;
  heap_.push(due_entry{s.due, index, s.generation});
  if (earliest) wake_leader();
}

void scheduler::start() {
  const int n = std::max(1, cfg_.api.max_in_flight);
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<worker>(ioc_, tls_, target_, api_key_));
  }
  for (auto& w : workers_) {
    ++running_;
    asio::co_spawn(ioc_, run_worker(*w), [this](std::exception_ptr e) {
      --running_;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        on_fatal_(std::string("poll worker failed: ") + ex.what());
      }
    });
  }
}

void scheduler::stop() {
  stopping_ = true;
  flush();  // what was detected is recorded before the polls stop
  for (auto& w : workers_) {
    w->timer.cancel();
    w->client.close();
  }
}

// The leader recomputes its wake time; with no leader, one follower becomes it.
void scheduler::wake_leader() {
  if (leader_) {
    leader_->timer.cancel();
  } else if (!followers_.empty()) {
    followers_.front()->timer.cancel();
  }
}

scheduler::clock::time_point scheduler::next_wake() const {
  if (heap_.empty()) return clock::time_point::max();
  return std::max({heap_.top().due, paused_until_, auth_.next_allowed(), budget_.next_allowed()});
}

bool scheduler::due_now(clock::time_point now) {
  // Drop entries made stale by a reschedule or an unwatch.
  while (!heap_.empty()) {
    const auto& top = heap_.top();
    const auto& s = slots_[top.slot];
    if (s.watched && !s.in_flight && s.generation == top.generation) break;
    heap_.pop();
  }
  const bool paused =
      now < paused_until_ || now < auth_.next_allowed() || now < budget_.next_allowed();
  return !heap_.empty() && heap_.top().due <= now && !paused;
}

std::uint32_t scheduler::pop_due(clock::time_point now) {
  const auto index = heap_.top().slot;
  heap_.pop();
  budget_.took(now);
  slots_[index].in_flight = true;
  auth_.started(index);
  return index;
}

asio::awaitable<std::optional<std::uint32_t>> scheduler::take_due(worker& w) {
  for (;;) {
    if (stopping_) co_return std::nullopt;
    if (const auto now = clock::now(); due_now(now)) {
      const auto index = pop_due(now);
      if (!leader_ && !followers_.empty()) followers_.front()->timer.cancel();
      co_return index;
    }
    // Wait: the first idle worker watches the clock, the others wait to be handed that role.
    const bool lead = leader_ == nullptr;
    if (lead) {
      leader_ = &w;
      // Polls that fall due within coalesce_window of the last wake wait for the next one and go
      // out together: many sessions on a short cadence cost one wake-up per window, not per poll.
      w.timer.expires_at(std::max(next_wake(), woke_ + coalesce_window));
    } else {
      followers_.push_back(&w);
      w.timer.expires_at(clock::time_point::max());
    }
    co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (leader_ == &w) {
      leader_ = nullptr;
      woke_ = clock::now();
    } else {
      std::erase(followers_, &w);
    }
  }
}

// Up to api.pipeline sessions due now, the first waited for, the others only if due already and
// a token of api.rate is free at once.
asio::awaitable<bool> scheduler::take_batch(worker& w) {
  w.batch.clear();
  w.generations.clear();
  const auto first = co_await take_due(w);
  if (!first) co_return false;
  w.batch.push_back(*first);
  w.generations.push_back(slots_[*first].generation);
  // Pace every request through the shared bucket.
  if (const auto wait = bucket_.take(clock::now()); wait > clock::duration::zero()) {
    ++stats_.bucket_waits;
    w.timer.expires_after(wait);
    co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  const auto depth = static_cast<std::size_t>(stats_.pipeline_depth);
  while (w.batch.size() < depth && !stopping_) {
    const auto now = clock::now();
    if (!due_now(now) || !bucket_.try_take(now)) break;
    w.batch.push_back(pop_due(now));
    w.generations.push_back(slots_[w.batch.back()].generation);
  }
  co_return !stopping_;
}

asio::awaitable<void> scheduler::run_worker(worker& w) {
  while (co_await take_batch(w)) {
    // What is sent is copied out of the slots: they may move while the polls are under way.
    const auto n = w.batch.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = slots_[w.batch[i]];
      if (i == w.items.size()) w.items.push_back({s.id, {}});
      w.items[i].id = s.id;
      w.items[i].etag.assign(s.etag);  // the item's storage is reused from set to set
    }
    if (w.key_version != key_version_) {
      w.client.set_api_key(api_key_);
      w.key_version = key_version_;
    }
    auto outcomes = co_await w.client.poll_all(std::span(w.items.data(), n));
    if (stopping_) break;
    if (w.key_version != key_version_) forget_old_key_401s(outcomes);
    if (n > 1 && !w.client.pipelining_problem().empty()) pipelining_off(w.client);
    for (auto& o : outcomes) cap_server_waits(o, cfg_.api.max_server_pause);
    for (std::size_t i = 0; i < n; ++i) handle(w.batch[i], w.generations[i], outcomes[i]);
  }
}

// A 401 to a poll sent with a key that a reload has since replaced says nothing of the new key:
// the poll failed, and is retried as any failed poll.
void scheduler::forget_old_key_401s(std::vector<poll_outcome>& outcomes) {
  for (auto& o : outcomes) {
    if (o.what != poll_outcome::kind::unauthorized) continue;
    o.what = poll_outcome::kind::network_error;
    o.reason = "401 to the previous API key";
  }
}

// The API (or something before it) mishandled a set of pipelined requests: from now on every
// connection sends one request at a time, until a restart. The polls of that set come back as
// failed outcomes and are retried as any failed poll.
void scheduler::pipelining_off(const api_client& c) {
  if (stats_.pipeline_depth == 1) return;
  stats_.pipeline_depth = 1;
  log::warn("api.pipelining_off", {{"reason", c.pipelining_problem()},
                                   {"pipeline", cfg_.api.pipeline},
                                   {"action",
                                    "one request at a time on each connection until a restart; set "
                                    "api.pipeline: 1 to start that way"}});
}

void scheduler::handle(std::uint32_t index, std::uint32_t generation, const poll_outcome& o) {
  {
    auto& s = slots_[index];
    s.in_flight = false;
    if (!s.watched || s.generation != generation) {
      if (!s.watched) release(index);
      return;
    }
    ++s.polls;
    s.last_poll_ms = unix_ms_now();
  }
  count_poll(o);
  handle_rate_headers(o);
  if (o.what == poll_outcome::kind::unauthorized || auth_.failing()) {
    handle_auth(index, o);
    if (o.what == poll_outcome::kind::unauthorized) return;
  }

  auto& s = slots_[index];
  if (o.failed()) {
    s.set_error(std::string(to_string(o.what)) + ": " + o.reason);
    log::warn("poll.failed", {{"session", s.id.view()},
                              {"outcome", to_string(o.what)},
                              {"reason", o.reason},
                              {"http_status", o.http_status},
                              {"request_id", o.request_id}});
  } else {
    s.set_error({});
    log::debug("poll.ok", {{"session", s.id.view()},
                           {"outcome", to_string(o.what)},
                           {"latency_us", static_cast<std::int64_t>(o.latency.count())}});
  }

  tracked_session next = s.t;
  auto d = decide(next, o, policy_, unix_ms_now(), uniform(), uniform());
  // The ETag moves with the state: a poll whose change could not be recorded must not be
  // answered 304 next time.
  std::string etag = o.failed() || o.etag.empty() ? s.etag : o.etag;
  if (d.persist || !d.events.empty()) {
    // Applied once the group commit is durable.
    stage(index, next, o, std::move(d), std::move(etag));
  } else {
    apply(index, next, d, std::move(etag));
  }
}

// The disk is full: nothing of the poll was recorded, so the session keeps its state and ETag
// as they were, and its next poll (after a backoff over the run of failed writes, within
// retry.initial..retry.max) sees the same change again and records it then.
void scheduler::defer_after_full(std::uint32_t index, const std::string& what) {
  const auto delay = full_disk_retry(store_failures_, policy_.cadence, uniform());
  auto& s = slots_[index];
  s.set_error("store_full: " + what);
  log::error("store.full", {{"database", db_.path().string()},
                            {"reason", what},
                            {"session", s.id.view()},
                            {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
  schedule(index, delay);
}

// 401 concerns every session: everything waits, one probe at a time with growing gaps
// (policy/auth_probe.hpp decides); a 401 is retried with the probe, never on its own.
void scheduler::handle_auth(std::uint32_t index, const poll_outcome& o) {
  using kind = poll_outcome::kind;
  const auto step = auth_.answered(index, o.what == kind::unauthorized,
                                   o.what == kind::network_error, clock::now());
  // The leader sleeps without a deadline while a probe is out: its wake time moved.
  if (step.probe_answered) wake_leader();
  if (step.what == auth_probe::change::rejected) {
    log::error("api.unauthorized", {{"session", slots_[index].id.view()},
                                    {"request_id", o.request_id},
                                    {"action", "pausing every session; probing with one request"}});
  } else if (step.what == auth_probe::change::accepted) {
    log::info("api.authorized", {{"action", "resuming every session"}});
  }
  if (o.what == kind::unauthorized) {
    slots_[index].set_error("unauthorized: API key rejected");
    schedule(index, clock::duration::zero());
  }
}

// RateLimit-Remaining: 0 and 429 pause every request until the server's reset time (capped at
// api.max_server_pause when the answer was read). A Retry-After in neither of its two forms is
// ignored, with one warning for the daemon's life.
void scheduler::handle_rate_headers(const poll_outcome& o) {
  if (!o.retry_after_ignored.empty() && !retry_after_warned_) {
    retry_after_warned_ = true;
    log::warn(
        "api.retry_after_ignored",
        {{"value", o.retry_after_ignored},
         {"request_id", o.request_id},
         {"note", "neither delta-seconds nor an HTTP-date; later ones are ignored silently"}});
  }
  const auto pause = server_pause_for(o, cfg_.retry.initial);
  // Requests left in the server's window are spread over what remains of it (while that is
  // tighter than api.rate).
  if (o.ratelimit_remaining && o.ratelimit_reset &&
      budget_.update(*o.ratelimit_remaining, *o.ratelimit_reset)) {
    wake_leader();
  }
  if (!pause) {
    rate_paused_logged_ = false;
    return;
  }
  ++stats_.server_rate_limit_pauses;
  const auto now = clock::now();
  const auto until = now + pause->wait;
  paused_until_ = std::max(paused_until_, until);
  auto& shown = stats_.api_pause;
  if (!shown || until > shown->until) {
    shown = server_pause{.from = now,
                         .until = until,
                         .until_unix_ms = unix_ms_now() + pause->wait.count(),
                         .cause = pause->cause};
  }
  if (!rate_paused_logged_ || pause->wait >= long_server_pause) {
    log::warn("api.rate_limited", {{"pause_ms", static_cast<std::int64_t>(pause->wait.count())},
                                   {"cause", pause->cause},
                                   {"until", format_rfc3339(shown->until_unix_ms)},
                                   {"request_id", o.request_id}});
    rate_paused_logged_ = true;
  }
}

}  // namespace fjwatch
