#pragma once
// The store's internals shared by store.cpp and store_open.cpp: the schema migrations, every
// statement the store prepares (its tests check the query plans of the hot ones), the statement
// cache and the error helpers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace fjwatch::store_sql {

// migrations[i] takes a database from user_version i to i + 1; each runs in one transaction.
inline constexpr std::array<const char*, 4> migrations = {
    R"sql(
CREATE TABLE sessions (
  id                  TEXT PRIMARY KEY NOT NULL,
  status              TEXT,
  matched             INTEGER NOT NULL DEFAULT 0,
  total_for_matching  INTEGER NOT NULL DEFAULT 0,
  available           INTEGER NOT NULL DEFAULT 0,
  search_more_counter INTEGER NOT NULL DEFAULT 0,
  title               TEXT NOT NULL DEFAULT '',
  project             TEXT NOT NULL DEFAULT '',
  etag                TEXT NOT NULL DEFAULT '',
  first_seen_ms       INTEGER NOT NULL,
  waiting_since_ms    INTEGER NOT NULL,
  last_change_ms      INTEGER NOT NULL,
  phase               TEXT NOT NULL
                      CHECK (phase IN ('active', 'done_stopped', 'not_found', 'timed_out'))
);
CREATE TABLE events (
  id         TEXT PRIMARY KEY NOT NULL,
  type       TEXT NOT NULL,
  session_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  payload    TEXT NOT NULL
);
CREATE TABLE deliveries (
  event_id        TEXT NOT NULL REFERENCES events (id),
  action          TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_result     TEXT NOT NULL,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (event_id, action)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_ms);
CREATE INDEX deliveries_action_due ON deliveries (action, state, next_attempt_ms);
PRAGMA user_version = 1;
)sql",
    // 2: each event's fields beside its payload, so that templates render from the fields; the
    // events recorded before are filled in from their payloads.
    R"sql(
ALTER TABLE events ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN status TEXT;
ALTER TABLE events ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN project TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN matched INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN total_for_matching INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN available INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN search_more_counter INTEGER NOT NULL DEFAULT 0;
UPDATE events SET
  label = coalesce(json_extract(payload, '$.data.label'), ''),
  status = json_extract(payload, '$.data.status'),
  title = coalesce(json_extract(payload, '$.data.title'), ''),
  project = coalesce(json_extract(payload, '$.data.project'), ''),
  matched = coalesce(json_extract(payload, '$.data.matched'), 0),
  total_for_matching = coalesce(json_extract(payload, '$.data.total_for_matching'), 0),
  available = coalesce(json_extract(payload, '$.data.available'), 0),
  search_more_counter = coalesce(json_extract(payload, '$.data.search_more_counter'), 0)
WHERE json_valid(payload);
PRAGMA user_version = 2;
)sql",
    // 3: actions disabled by their receiver (410 Gone) until `fjwatch enable` or a changed
    // config; `target` is what the action pointed at then (its URL).
    R"sql(
CREATE TABLE disabled_actions (
  action   TEXT PRIMARY KEY NOT NULL,
  since_ms INTEGER NOT NULL,
  reason   TEXT NOT NULL,
  target   TEXT NOT NULL
);
PRAGMA user_version = 3;
)sql",
    // 4: retention. Events are pruned oldest first; a session forgotten leaves what it last
    // reported, so that if it is watched again its old done does not fire again.
    R"sql(
CREATE INDEX events_created ON events (created_ms);
CREATE TABLE forgotten_sessions (
  id                  TEXT PRIMARY KEY NOT NULL,
  status              TEXT,
  search_more_counter INTEGER NOT NULL,
  forgotten_ms        INTEGER NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 4;
)sql",
};

// The schema version this build writes and understands.
inline constexpr int schema_version = static_cast<int>(migrations.size());

// The statements the store caches, one prepare per store.
enum class query : std::uint8_t {
  begin,
  commit,
  rollback,
  load_sessions,
  find_session,
  ensure_session,
  upsert_session,
  insert_event,
  insert_delivery,
  due_deliveries,
  next_delivery,
  record_attempt,
  deliveries_of,
  count_deliveries,
  list_deliveries,
  list_deliveries_in,
  redeliver,
  due_deliveries_for,
  next_delivery_for,
  count_events_by_session,
  disable_action,
  enable_action,
  disabled_actions,
  prunable_events,
  delete_deliveries_of,
  delete_event,
  sessions_after,
  remember_session,
  delete_session,
  table_counts,
  count_,
};

#define FJWATCH_SESSION_COLUMNS                                                               \
  "id, status, matched, total_for_matching, available, search_more_counter, title, project, " \
  "etag, first_seen_ms, waiting_since_ms, last_change_ms, phase"
#define FJWATCH_DELIVERY_SELECT                                                            \
  "SELECT d.event_id, d.action, d.state, d.attempts, d.next_attempt_ms, d.last_result, "   \
  "d.updated_ms, e.type, e.session_id, e.payload, e.label, e.status, e.title, e.project, " \
  "e.matched, e.total_for_matching, e.available, e.search_more_counter "                   \
  "FROM deliveries AS d CROSS JOIN events AS e ON e.id = d.event_id "

// Indexed by query.
inline constexpr const char* queries[] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT " FJWATCH_SESSION_COLUMNS " FROM sessions ORDER BY id",
    "SELECT " FJWATCH_SESSION_COLUMNS " FROM sessions WHERE id = ?1",
    "INSERT INTO sessions (id, first_seen_ms, waiting_since_ms, last_change_ms, phase, status, "
    "search_more_counter) "
    "VALUES (?1, ?2, ?2, ?2, 'active', (SELECT status FROM forgotten_sessions WHERE id = ?1), "
    "coalesce((SELECT search_more_counter FROM forgotten_sessions WHERE id = ?1), 0)) "
    "ON CONFLICT (id) DO NOTHING",
    "INSERT INTO sessions (" FJWATCH_SESSION_COLUMNS
    ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, matched = excluded.matched, "
    "total_for_matching = excluded.total_for_matching, available = excluded.available, "
    "search_more_counter = excluded.search_more_counter, title = excluded.title, "
    "project = excluded.project, etag = excluded.etag, first_seen_ms = excluded.first_seen_ms, "
    "waiting_since_ms = excluded.waiting_since_ms, last_change_ms = excluded.last_change_ms, "
    "phase = excluded.phase",
    "INSERT INTO events (id, type, session_id, created_ms, payload, label, status, title, "
    "project, matched, total_for_matching, available, search_more_counter) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO NOTHING",
    "INSERT INTO deliveries "
    "(event_id, action, state, attempts, next_attempt_ms, last_result, updated_ms) "
    "VALUES (?1, ?2, 'pending', 0, ?3, '', ?3) ON CONFLICT (event_id, action) DO NOTHING",
    FJWATCH_DELIVERY_SELECT
    "WHERE d.state = 'pending' AND d.next_attempt_ms <= ?1 "
    "ORDER BY d.next_attempt_ms, d.rowid LIMIT ?2",
    "SELECT next_attempt_ms FROM deliveries WHERE state = 'pending' "
    "ORDER BY next_attempt_ms LIMIT 1",
    "UPDATE deliveries SET state = ?3, attempts = attempts + 1, next_attempt_ms = ?4, "
    "last_result = ?5, updated_ms = ?6 WHERE event_id = ?1 AND action = ?2",
    FJWATCH_DELIVERY_SELECT "WHERE d.event_id = ?1 ORDER BY d.action",
    "SELECT count(*) FROM deliveries WHERE state = ?1",
    FJWATCH_DELIVERY_SELECT "ORDER BY d.updated_ms DESC, d.rowid DESC LIMIT ?1",
    FJWATCH_DELIVERY_SELECT "WHERE d.state = ?1 ORDER BY d.updated_ms DESC, d.rowid DESC LIMIT ?2",
    "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_ms = ?2, "
    "updated_ms = ?2 WHERE event_id = ?1 AND (?3 IS NULL OR action = ?3) AND state <> 'pending'",
    FJWATCH_DELIVERY_SELECT
    "WHERE d.action = ?3 AND d.state = 'pending' AND d.next_attempt_ms <= ?1 "
    "ORDER BY d.next_attempt_ms, d.rowid LIMIT ?2",
    "SELECT next_attempt_ms FROM deliveries WHERE action = ?1 AND state = 'pending' "
    "ORDER BY next_attempt_ms LIMIT 1",
    "SELECT session_id, count(*) FROM events WHERE type = ?1 GROUP BY session_id",
    "INSERT INTO disabled_actions (action, since_ms, reason, target) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (action) DO NOTHING",
    "DELETE FROM disabled_actions WHERE action = ?1",
    "SELECT action, since_ms, reason, target FROM disabled_actions ORDER BY action",
    "SELECT id FROM events WHERE created_ms < ?1 AND NOT EXISTS (SELECT 1 FROM deliveries "
    "WHERE event_id = events.id AND state = 'pending') ORDER BY created_ms LIMIT ?2",
    "DELETE FROM deliveries WHERE event_id = ?1",
    "DELETE FROM events WHERE id = ?1",
    "SELECT id, last_change_ms FROM sessions WHERE id > ?1 ORDER BY id LIMIT ?2",
    "INSERT INTO forgotten_sessions (id, status, search_more_counter, forgotten_ms) "
    "SELECT id, status, search_more_counter, ?2 FROM sessions WHERE id = ?1 "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
    "search_more_counter = excluded.search_more_counter, forgotten_ms = excluded.forgotten_ms",
    "DELETE FROM sessions WHERE id = ?1",
    "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM events), "
    "(SELECT count(*) FROM deliveries), (SELECT count(*) FROM forgotten_sessions)",
};
static_assert(std::size(queries) == static_cast<std::size_t>(query::count_));

#undef FJWATCH_SESSION_COLUMNS
#undef FJWATCH_DELIVERY_SELECT

inline constexpr const char* sql(query q) { return queries[static_cast<std::size_t>(q)]; }

// Throws store_error "<path>: <message>".
[[noreturn]] void fail(const std::filesystem::path& p, std::string_view message);
// Creates the state directory (mode 0700) unless it exists; its parents get the default mode.
// Throws store_error.
void make_state_dir(std::filesystem::path dir);
// Throws "<path>: <what>: <SQLite's message>": store_full when the disk is out of space (see
// out_of_space), else store_error; an SQLITE_IOERR names the operation that failed, e.g. "disk
// I/O error (fsync failed)", with the system's error text when SQLite has it.
[[noreturn]] void fail_sqlite(const std::filesystem::path& p, std::string_view what, sqlite3* db);
// Runs sql (one or more statements); throws as fail_sqlite, naming `what`.
void exec(sqlite3* db, const std::filesystem::path& p, const char* sql, std::string_view what);
// The first column of the first row of a one-off statement ("" when none); throws store_error.
std::string query_text(sqlite3* db, const std::filesystem::path& p, const char* sql);

// Whether an SQLite error (its extended code and the system's errno) means a full disk or quota:
// SQLITE_FULL, or an I/O error whose cause was ENOSPC or EDQUOT (SQLite reports growing the -shm
// file into a full disk as SQLITE_IOERR_SHMSIZE, not SQLITE_FULL).
bool out_of_space(int extended_code, int system_errno);

}  // namespace fjwatch::store_sql

namespace fjwatch::detail {

// One prepared statement per query, prepared on first use and finalized with the store.
struct store_statements {
  sqlite3* db = nullptr;
  std::filesystem::path path;
  std::array<sqlite3_stmt*, static_cast<std::size_t>(store_sql::query::count_)> cache{};
  std::string full_problem;         // store::write_problem()
  std::uint64_t full_failures = 0;  // store::full_failures()

  store_statements(sqlite3* d, std::filesystem::path p) : db(d), path(std::move(p)) {}
  store_statements(const store_statements&) = delete;
  store_statements& operator=(const store_statements&) = delete;
  ~store_statements();

  // The cached statement for q; throws store_error naming `what` when it does not prepare.
  sqlite3_stmt* get(store_sql::query q, std::string_view what);
  // store_sql::fail_sqlite for the connection's last error, keeping count of store_full.
  [[noreturn]] void fail(std::string_view what);
};

}  // namespace fjwatch::detail
