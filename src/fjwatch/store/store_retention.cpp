// Retention: old events and forgotten sessions leave the database in small transactions, and the
// file gives the space back (incremental vacuum).
#include "fjwatch/store/detail/statement.hpp"
#include "fjwatch/store/detail/store_sql.hpp"
#include "fjwatch/store/store.hpp"

#include <sqlite3.h>

#include <string>

namespace fjwatch {

using detail::transaction;
using detail::use;
using store_sql::query;

pruned store::prune_events(std::int64_t before_ms, std::size_t limit) {
  transaction tx(*stmts_, "prune_events");
  std::vector<std::string> ids;
  {
    use u(*stmts_, query::prunable_events, "prune_events");
    u.integer(1, before_ms).integer(2, static_cast<std::int64_t>(limit));
    while (u.step()) ids.push_back(u.text_at(0));
  }
  pruned out;
  for (const auto& id : ids) {
    {
      use u(*stmts_, query::delete_deliveries_of, "prune_events");
      u.text(1, id).step();
      out.deliveries += u.changes();
    }
    use u(*stmts_, query::delete_event, "prune_events");
    u.text(1, id).step();
    out.events += u.changes();
  }
  tx.commit();
  return out;
}

std::vector<session_age> store::sessions_after(std::string_view after, std::size_t limit) {
  std::vector<session_age> out;
  use u(*stmts_, query::sessions_after, "sessions_after");
  u.text(1, after).integer(2, static_cast<std::int64_t>(limit));
  while (u.step()) out.push_back({.id = u.text_at(0), .last_change_ms = u.int_at(1)});
  return out;
}

pruned store::forget_sessions(std::span<const std::string> ids, std::int64_t now_ms) {
  transaction tx(*stmts_, "forget_sessions");
  pruned out;
  for (const auto& id : ids) {
    {
      use u(*stmts_, query::remember_session, "forget_sessions");
      u.text(1, id).integer(2, now_ms).step();
    }
    use u(*stmts_, query::delete_session, "forget_sessions");
    u.text(1, id).step();
    out.sessions += u.changes();
  }
  tx.commit();
  return out;
}

namespace {

// A PRAGMA that answers one integer.
std::int64_t pragma_int(sqlite3* db, const std::filesystem::path& p, const char* sql) {
  return std::stoll(store_sql::query_text(db, p, sql));
}

}  // namespace

bool store::can_shrink() { return pragma_int(db_, path_, "PRAGMA auto_vacuum") == 2; }

bool store::give_back(std::int64_t pages) {
  if (!can_shrink()) return false;
  const std::string sql = "PRAGMA incremental_vacuum(" + std::to_string(pages) + ")";
  store_sql::exec(db_, path_, sql.c_str(), "incremental vacuum");
  return pragma_int(db_, path_, "PRAGMA freelist_count") > 0;
}

store_size store::size() {
  store_size out;
  {
    use u(*stmts_, query::table_counts, "size");
    u.step();
    out.sessions = u.int_at(0);
    out.events = u.int_at(1);
    out.deliveries = u.int_at(2);
    out.forgotten_sessions = u.int_at(3);
  }
  out.file_bytes = file_bytes();
  out.free_bytes =
      pragma_int(db_, path_, "PRAGMA page_size") * pragma_int(db_, path_, "PRAGMA freelist_count");
  return out;
}

std::int64_t store::file_bytes() {
  return pragma_int(db_, path_, "PRAGMA page_size") * pragma_int(db_, path_, "PRAGMA page_count");
}

}  // namespace fjwatch
