#pragma once
// Which session is polled next, and by whom: a heap of due times and a fixed set of workers, as
// many as api.max_in_flight, each with its own keep-alive connection, pulling due sessions through
// one token bucket. No timer or coroutine per session. Single-threaded: everything runs on the
// io_context's one thread.
#include "fjwatch/api/api_client.hpp"
#include "fjwatch/policy/auth_probe.hpp"
#include "fjwatch/policy/cadence.hpp"
#include "fjwatch/config/config.hpp"
#include "fjwatch/domain/id_index.hpp"
#include "fjwatch/status/poll_stats.hpp"
#include "fjwatch/policy/server_pause.hpp"
#include "fjwatch/status/service_status.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/policy/tracker.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"
#include "fjwatch/policy/token_bucket.hpp"
#include "fjwatch/policy/server_budget.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace fjwatch {

class scheduler {
 public:
  using clock = std::chrono::steady_clock;

  // `on_events` is called after a commit that recorded new events (the outbox has work);
  // `on_fatal` when the store failed and the daemon cannot go on with state it cannot trust.
  // Every poll goes through `api_proxy` when set (secrets::api_proxy).
  scheduler(boost::asio::io_context& ioc, const config& cfg, std::string api_key,
            std::optional<proxy_route> api_proxy, store& db, std::function<void()> on_events,
            std::function<void(std::string)> on_fatal);
  ~scheduler();

  // Starts polling `entry` from its stored row, or updates its label and actions when it is
  // already watched (its schedule is left alone). Sessions whose row is no longer active (done
  // and stopped, not found, timed out) are kept for the view but not polled.
  void watch(const watch_entry& entry, const session_row& row);
  // Stops polling; an in-flight poll's outcome is dropped. Pending deliveries are not touched.
  void unwatch(const session_id& id);
  bool watching(const session_id& id) const;
  std::size_t size() const { return index_.size(); }
  // Makes room for `more` sessions beyond those watched now (a start, a large reload).
  void reserve(std::size_t more);

  // Spawns the workers on the io_context. Each finishes after stop().
  void start();
  // Aborts in-flight polls (their outcomes are dropped) and ends the workers.
  void stop();
  std::size_t running_workers() const { return running_; }

  std::vector<session_view> view() const;
  scheduler_stats stats() const;
  // O(1) health facts (see scheduler_stats).
  bool auth_failing() const { return auth_.failing(); }
  std::optional<clock::time_point> api_failing_since() const { return stats_.api_failing_since; }
  // Watched sessions by status and phase; O(1) (kept up to date as sessions change).
  session_counts counts() const;

  // Takes up poll.*, retry.*, api.rate and the actions again from the config this scheduler was
  // given (a reload changed them in place): later gaps, backoffs, the token bucket and the events
  // recorded follow them at once; polls already scheduled keep their due times.
  void reconfigure();
  // A reload read a new API key: polls not yet sent use it, a 401 pause of the old key ends at
  // once (a 401 to the new one pauses afresh), and a 401 answering a poll sent with the old key
  // counts as a failed poll of that session only.
  void set_api_key(std::string key);

 private:
  struct slot;
  struct worker;
  struct due_entry {
    clock::time_point due;
    std::uint32_t slot;
    std::uint32_t generation;
    bool operator>(const due_entry& o) const { return due > o.due; }
  };

  boost::asio::awaitable<void> run_worker(worker& w);
  // Whether a session may be polled now (dropping stale heap entries on the way), and taking it.
  bool due_now(clock::time_point now);
  std::uint32_t pop_due(clock::time_point now);
  boost::asio::awaitable<std::optional<std::uint32_t>> take_due(worker& w);
  boost::asio::awaitable<bool> take_batch(worker& w);
  void schedule(std::uint32_t index, clock::duration delay);
  void wake_leader();
  clock::time_point next_wake() const;
  void handle(std::uint32_t index, std::uint32_t generation, const poll_outcome& o);
  void handle_auth(std::uint32_t index, const poll_outcome& o);
  void handle_rate_headers(const poll_outcome& o);
  void pipelining_off(const api_client& c);
  static void forget_old_key_401s(std::vector<poll_outcome>& outcomes);
  void count_poll(const poll_outcome& o);
  // The group commit (group_commit.cpp): a poll whose outcome must be written waits, its
  // slot still in flight, until the batch's one transaction is durable; then it is applied.
  struct staged;
  void stage(std::uint32_t index, const tracked_session& next, const poll_outcome& o,
             poll_decision d, std::string etag);
  session_commit commit_for(const slot& s, const tracked_session& next, const poll_outcome& o,
                            const std::vector<event_type>& events, const std::string& etag);
  void flush();
  void log_committed(const session_commit& c, const std::vector<std::string>& fresh,
                     const std::optional<matching_status>& before);
  void apply(std::uint32_t index, const tracked_session& next, const poll_decision& d,
             std::string etag);
  // The disk is full: the batch's sessions keep their state and are polled again later.
  void defer_after_full(std::uint32_t index, const std::string& what);
  void release(std::uint32_t index);
  // Every change of a slot's state or of whether it is watched goes through these two, which keep
  // counts_ in step. count_of is the field of `c` that a session in state `t` counts in.
  static std::size_t& count_of(session_counts& c, const tracked_session& t);
  void set_tracked(slot& s, const tracked_session& t);
  void set_watched(slot& s, bool watched);
  // What index_ reads a slot's id with (defined in detail/slot.hpp).
  struct slot_ids {
    const std::vector<slot>* slots;
    const session_id& operator()(std::uint32_t i) const;
  };
  slot_ids id_of() const { return {&slots_}; }
  double uniform();

  boost::asio::io_context& ioc_;
  const config& cfg_;
  std::string api_key_;
  std::uint32_t key_version_ = 0;  // one more for each key set_api_key() took
  store& db_;
  std::function<void()> on_events_;
  std::function<void(std::string)> on_fatal_;
  tracker_policy policy_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  api_target target_;

  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  id_index index_;         // session id -> slot
  session_counts counts_;  // watched sessions by state
  std::priority_queue<due_entry, std::vector<due_entry>, std::greater<>> heap_;

  std::vector<std::unique_ptr<worker>> workers_;
  worker* leader_ = nullptr;        // the idle worker watching the clock
  clock::time_point woke_{};        // when the leader last woke
  std::vector<worker*> followers_;  // idle workers waiting to become leader
  std::size_t running_ = 0;
  bool stopping_ = false;

  std::vector<staged> staged_;
  std::vector<session_commit> staged_commits_;  // staged_[i]'s rows and events
  boost::asio::steady_timer commit_timer_;
  bool commit_armed_ = false;

  token_bucket bucket_;
  server_budget budget_;              // RateLimit-Remaining over RateLimit-Reset
  clock::time_point paused_until_{};  // the server asked: RateLimit-Remaining: 0 or a 429
  auth_probe auth_;                   // the 401 pause and its probe
  bool rate_paused_logged_ = false;
  bool retry_after_warned_ = false;  // the one warning for a Retry-After in neither form
  std::mt19937_64 rng_;
  int store_failures_ = 0;  // writes failed in a row for a full disk (their backoff)
  scheduler_stats stats_;
};

}  // namespace fjwatch
