#pragma once
// The durable state: one SQLite file in state_dir holding each session's last known state, the
// events fired, and one delivery row per (event, action): the outbox.
#include "fjwatch/domain/event.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace fjwatch {

namespace detail {
struct store_statements;  // the prepared-statement cache, defined in store/detail/store_sql.hpp
}  // namespace detail

struct session_row {
  std::string id;                         // 24 lowercase hex
  std::optional<matching_status> status;  // nullopt until the first 200
  std::int64_t matched = 0;
  std::int64_t total_for_matching = 0;
  std::int64_t available = 0;
  std::int64_t search_more_counter = 0;
  std::string title;
  std::string project;
  std::string etag;
  std::int64_t first_seen_ms = 0;     // unix ms when first watched
  std::int64_t waiting_since_ms = 0;  // start of the current wait for done (give_up_after)
  std::int64_t last_change_ms = 0;    // unix ms of the last status/count change
  session_phase phase = session_phase::active;
};

// An event to record, with the actions that must each receive it.
struct new_event {
  std::string id;  // stable, see event_id()
  event_type type = event_type::done;
  std::string session_id;
  std::int64_t created_ms = 0;
  std::string payload;  // event_payload(): the exact bytes every delivery sends
  event_fields fields;  // what templates render (the payload's data without the session)
  std::vector<std::string> actions;
};

// One session's row with the events its last poll produced (store::commit_all).
struct session_commit {
  session_row row;
  std::vector<new_event> events;
};

enum class delivery_state : std::uint8_t { pending, delivered, failed };
std::string_view to_string(delivery_state s);

struct delivery {
  std::string event_id;
  std::string action;
  delivery_state state = delivery_state::pending;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_result;      // "" before the first attempt
  std::int64_t updated_ms = 0;  // unix ms of the last change: insert, attempt or redeliver
  event_type type = event_type::done;
  std::string session_id;
  std::string payload;
  event_fields fields;  // the event's, as recorded with it
};

// An action its receiver asked to stop (410 Gone): its deliveries are held, pending, until it is
// enabled again.
struct disabled_action {
  std::string action;
  std::int64_t since_ms = 0;
  std::string reason;  // "HTTP 410 Gone"
  std::string target;  // what the action pointed at when it was disabled (its URL)
};

// The outcome of one attempt, written in one transaction.
struct attempt_record {
  std::string event_id;
  std::string action;
  delivery_state state = delivery_state::delivered;  // pending = retry at next_attempt_ms
  std::int64_t next_attempt_ms = 0;
  std::string result;  // short: "ok", "HTTP 503", "timeout"...
};

// What one pruning transaction removed.
struct pruned {
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t sessions = 0;
};

// A session as the pruning sees it: its id and when its row last changed.
struct session_age {
  std::string id;
  std::int64_t last_change_ms = 0;
};

// The database's rows and size, for /metrics.
struct store_size {
  std::int64_t sessions = 0;
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
  std::int64_t forgotten_sessions = 0;
  std::int64_t file_bytes = 0;  // pages in use and free (the main file, without the WAL)
  std::int64_t free_bytes = 0;  // free pages, which an incremental vacuum gives back
};

// Any SQLite failure: names the database file and SQLite's message (and for an I/O error, the
// operation that failed). Startup turns it into exit 1 with that message; at runtime the caller
// decides (a failed commit means nothing was recorded). Any kind but store_full means the
// database can no longer be trusted to hold what it was told: the daemon stops.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write that failed because the disk (or the file size limit) is full, SQLITE_FULL: the
// transaction was rolled back, the database is as it was before it, and the same write may be
// tried again once there is room.
class store_full : public store_error {
 public:
  using store_error::store_error;
};

// Not thread-safe: one store per thread. Other processes (the CLI) may open the same file.
class store {
 public:
  // Opens or creates <state_dir>/fjwatch.db (state_dir is created with mode 0700 if missing; the
  // file has mode 0600), sets WAL and synchronous=FULL, creates or upgrades the schema, and runs
  // PRAGMA quick_check: a database that fails it throws store_error and is left untouched. A new
  // database is built whole under a temporary name and renamed into place, so a file at the real
  // name that is empty or has no SQLite header is damage: it is refused the same way.
  explicit store(const std::filesystem::path& state_dir);
  // The database file a store in state_dir uses; touches nothing (CLI: check before opening).
  static std::filesystem::path file_in(const std::filesystem::path& state_dir) {
    return state_dir / "fjwatch.db";
  }
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Every session row (startup).
  std::vector<session_row> load_sessions();
  // The same rows one at a time, in id order, without holding them all (`fn` must not use the
  // store).
  void each_session(const std::function<void(session_row&&)>& fn);
  std::optional<session_row> find_session(std::string_view id);

  // Inserts a row (phase active, first_seen = waiting_since = last_change = now, no status) for
  // each id that has none, in one transaction. Existing rows are untouched.
  void ensure_sessions(std::span<const std::string_view> ids, std::int64_t now_ms);

  // One transaction: upserts the row, inserts each event whose id is new together with one
  // pending delivery (next attempt = its created_ms) per action. Returns the ids of the events
  // that were new; an event already recorded is skipped, never fired twice. An action named twice
  // in one event gets one delivery.
  std::vector<std::string> commit(const session_row& row, std::span<const new_event> events);
  // The same for several sessions in ONE transaction (one fsync): all are written or none.
  // Returns each commit's new event ids, in the order of `commits`.
  std::vector<std::vector<std::string>> commit_all(std::span<const session_commit> commits);

  // Pending deliveries with next_attempt_ms <= now_ms, earliest first (ties in the order they were
  // recorded), at most `limit`.
  std::vector<delivery> due_deliveries(std::int64_t now_ms, std::size_t limit);
  // The earliest next_attempt_ms of any pending delivery; nullopt when none is pending.
  std::optional<std::int64_t> next_delivery_ms();
  // The same two for one action's deliveries only (each action is delivered on its own lane).
  std::vector<delivery> due_deliveries(std::int64_t now_ms, std::size_t limit,
                                       std::string_view action);
  std::optional<std::int64_t> next_delivery_ms(std::string_view action);
  // Records attempts (attempts += 1 each), all in one transaction. A record naming no delivery is
  // a broken invariant: store_error, and none of the records is written.
  void record_attempts(std::span<const attempt_record> records);

  // All deliveries of one event, by action name (tests, CLI).
  std::vector<delivery> deliveries_of(std::string_view event_id);
  std::int64_t count_deliveries(delivery_state s);
  // Deliveries in state s (every state when nullopt), most recently updated first, at most
  // `limit` (CLI: fjwatch deliveries [--failed]).
  std::vector<delivery> list_deliveries(std::optional<delivery_state> s, std::size_t limit);
  // Re-queues every delivery of the event that is not pending (only the one to `action` when
  // given): pending, attempts 0, next attempt now_ms; last_result is kept. Returns how many; 0
  // when the event (or its delivery to action) is unknown or already pending (CLI: fjwatch
  // redeliver).
  std::size_t redeliver(std::string_view event_id, std::int64_t now_ms,
                        std::optional<std::string_view> action = std::nullopt);

  // Records that `a.action` is disabled; a second call for the same action keeps the first
  // (store/store_actions.cpp).
  void disable_action(const disabled_action& a);
  // Enables `action` again; false when it was not disabled.
  bool enable_action(std::string_view action);
  // Every disabled action, by name.
  std::vector<disabled_action> disabled_actions();

  // How many events of type t each session has, by session id; sessions with none are absent
  // (CLI: fjwatch list).
  std::map<std::string, std::int64_t, std::less<>> count_events_by_session(event_type t);

  // Retention (store/store_retention.cpp). Deletes, in one transaction, up to `limit` events
  // created before `before_ms` none of whose deliveries is pending, oldest first, with their
  // deliveries.
  pruned prune_events(std::int64_t before_ms, std::size_t limit);
  // Up to `limit` sessions whose id sorts after `after`, in id order (a pass over the table in
  // pieces).
  std::vector<session_age> sessions_after(std::string_view after, std::size_t limit);
  // Forgets these sessions, in one transaction: each row goes, and what it last reported (its
  // status and Fetch More counter) is kept apart, so that a session watched again starts from it
  // (its old done does not fire again). Rows already gone are skipped.
  pruned forget_sessions(std::span<const std::string> ids, std::int64_t now_ms);
  // Gives up to `pages` free pages back to the file system; true when free pages are left. A
  // database made before retention existed (auto_vacuum off) reuses its free pages but cannot
  // give them back: false, and can_shrink() says so.
  bool give_back(std::int64_t pages);
  bool can_shrink();
  // Rows counted and the file's size: O(rows) (a count of each table).
  store_size size();
  // The main file's size in bytes (pages in use and free); O(1).
  std::int64_t file_bytes();

  // The message of the last write that failed with store_full, until a later write transaction
  // commits; "" when writes succeed.
  const std::string& write_problem() const;
  // Writes that failed with store_full since the store was opened.
  std::uint64_t full_failures() const;

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<detail::store_statements> stmts_;
};

}  // namespace fjwatch
