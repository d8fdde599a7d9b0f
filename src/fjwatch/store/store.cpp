#include "fjwatch/store/store.hpp"
#include "fjwatch/util/units.hpp"

#include "fjwatch/store/detail/store_sql.hpp"
#include "fjwatch/store/detail/statement.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

namespace fjwatch {

using detail::transaction;
using detail::use;
using store_sql::fail;
using store_sql::query;

namespace {

constexpr std::array<std::string_view, 3> state_names{"pending", "delivered", "failed"};

// The enumerator whose name (as stored) is text; nullopt for any other text.
template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names,
                               std::string_view text) {
  auto it = std::find(names.begin(), names.end(), text);
  if (it == names.end()) return std::nullopt;
  return static_cast<Enum>(it - names.begin());
}

// The current row of a query on FJWATCH_SESSION_COLUMNS; throws on a value it cannot read.
session_row read_session(const use& u) {
  session_row r;
  r.id = u.text_at(0);
  if (!u.is_null(1)) {
    std::string text = u.text_at(1);
    r.status = parse_matching_status(text);
    if (!r.status) u.bad_value("session status", text);
  }
  r.matched = u.int_at(2);
  r.total_for_matching = u.int_at(3);
  r.available = u.int_at(4);
  r.search_more_counter = u.int_at(5);
  r.title = u.text_at(6);
  r.project = u.text_at(7);
  r.etag = u.text_at(8);
  r.first_seen_ms = u.int_at(9);
  r.waiting_since_ms = u.int_at(10);
  r.last_change_ms = u.int_at(11);
  std::string phase = u.text_at(12);
  auto p = parse_session_phase(phase);
  if (!p) u.bad_value("session phase", phase);
  r.phase = *p;
  return r;
}

// The current row of a FJWATCH_DELIVERY_SELECT query; throws on a value it cannot read.
delivery read_delivery(const use& u) {
  delivery d;
  d.event_id = u.text_at(0);
  d.action = u.text_at(1);
  std::string state = u.text_at(2);
  auto s = parse_name<delivery_state>(state_names, state);
  if (!s) u.bad_value("delivery state", state);
  d.state = *s;
  d.attempts = static_cast<int>(u.int_at(3));
  d.next_attempt_ms = u.int_at(4);
  d.last_result = u.text_at(5);
  d.updated_ms = u.int_at(6);
  std::string type = u.text_at(7);
  auto t = parse_event_type(type);
  if (!t) u.bad_value("event type", type);
  d.type = *t;
  d.session_id = u.text_at(8);
  d.payload = u.text_at(9);
  auto& f = d.fields;
  f.session_id = d.session_id;
  f.label = u.text_at(10);
  if (!u.is_null(11)) {
    std::string status = u.text_at(11);
    f.status = parse_matching_status(status);
    if (!f.status) u.bad_value("event status", status);
  }
  f.title = u.text_at(12);
  f.project = u.text_at(13);
  f.matched = u.int_at(14);
  f.total_for_matching = u.int_at(15);
  f.available = u.int_at(16);
  f.search_more_counter = u.int_at(17);
  return d;
}

// Every remaining row of a FJWATCH_DELIVERY_SELECT query.
std::vector<delivery> read_deliveries(use& u) {
  std::vector<delivery> out;
  while (u.step()) out.push_back(read_delivery(u));
  return out;
}

// A LIMIT for SQLite: limit, or INT64_MAX when it does not fit.
std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, max));
}

// Inside an open transaction: upserts the row, inserts each new event with one pending delivery
// per action; returns the ids of the events that were new.
std::vector<std::string> write_commit(detail::store_statements& stmts, const session_row& row,
                                      std::span<const new_event> events) {
  constexpr std::string_view what = "commit";
  {
    use u(stmts, query::upsert_session, what);
    u.text(1, row.id);
    if (row.status) {
      u.text(2, to_string(*row.status));
    } else {
      u.null(2);
    }
    u.integer(3, row.matched).integer(4, row.total_for_matching).integer(5, row.available);
    u.integer(6, row.search_more_counter).text(7, row.title).text(8, row.project);
    u.text(9, row.etag).integer(10, row.first_seen_ms).integer(11, row.waiting_since_ms);
    u.integer(12, row.last_change_ms).text(13, to_string(row.phase)).step();
  }
  std::vector<std::string> fresh;
  for (const new_event& e : events) {
    use ev(stmts, query::insert_event, what);
    ev.text(1, e.id).text(2, to_string(e.type)).text(3, e.session_id);
    ev.integer(4, e.created_ms).text(5, e.payload);
    const event_fields& f = e.fields;
    ev.text(6, f.label);
    if (f.status) {
      ev.text(7, to_string(*f.status));
    } else {
      ev.null(7);
    }
    ev.text(8, f.title).text(9, f.project).integer(10, f.matched);
    ev.integer(11, f.total_for_matching).integer(12, f.available);
    ev.integer(13, f.search_more_counter).step();
    if (ev.changes() == 0) continue;
    for (const std::string& action : e.actions) {
      use d(stmts, query::insert_delivery, what);
      d.text(1, e.id).text(2, action).integer(3, e.created_ms).step();
    }
    fresh.push_back(e.id);
  }
  return fresh;
}

}  // namespace

std::string_view to_string(delivery_state s) {
  auto i = static_cast<std::size_t>(s);
  return i < state_names.size() ? state_names[i] : "unknown";
}

std::vector<session_row> store::load_sessions() {
  std::vector<session_row> out;
  each_session([&](session_row&& row) { out.push_back(std::move(row)); });
  return out;
}

void store::each_session(const std::function<void(session_row&&)>& fn) {
  use u(*stmts_, query::load_sessions, "load_sessions");
  while (u.step()) fn(read_session(u));
}

std::optional<session_row> store::find_session(std::string_view id) {
  use u(*stmts_, query::find_session, "find_session");
  u.text(1, id);
  if (!u.step()) return std::nullopt;
  return read_session(u);
}

void store::ensure_sessions(std::span<const std::string_view> ids, std::int64_t now_ms) {
  transaction tx(*stmts_, "ensure_sessions");
  for (const std::string_view id : ids) {
    use u(*stmts_, query::ensure_session, "ensure_sessions");
    u.text(1, id).integer(2, now_ms).step();
  }
  tx.commit();
}

std::vector<std::string> store::commit(const session_row& row, std::span<const new_event> events) {
  transaction tx(*stmts_, "commit");
  auto fresh = write_commit(*stmts_, row, events);
  tx.commit();
  return fresh;
}

std::vector<std::vector<std::string>> store::commit_all(std::span<const session_commit> commits) {
  transaction tx(*stmts_, "commit");
  std::vector<std::vector<std::string>> fresh;
  fresh.reserve(commits.size());
  for (const auto& c : commits) fresh.push_back(write_commit(*stmts_, c.row, c.events));
  tx.commit();
  return fresh;
}

std::vector<delivery> store::due_deliveries(std::int64_t now_ms, std::size_t limit) {
  use u(*stmts_, query::due_deliveries, "due_deliveries");
  u.integer(1, now_ms).integer(2, clamp_limit(limit));
  return read_deliveries(u);
}

std::vector<delivery> store::due_deliveries(std::int64_t now_ms, std::size_t limit,
                                            std::string_view action) {
  use u(*stmts_, query::due_deliveries_for, "due_deliveries");
  u.integer(1, now_ms).integer(2, clamp_limit(limit)).text(3, action);
  return read_deliveries(u);
}

std::optional<std::int64_t> store::next_delivery_ms(std::string_view action) {
  use u(*stmts_, query::next_delivery_for, "next_delivery_ms");
  u.text(1, action);
  if (!u.step()) return std::nullopt;
  return u.int_at(0);
}

std::optional<std::int64_t> store::next_delivery_ms() {
  use u(*stmts_, query::next_delivery, "next_delivery_ms");
  if (!u.step()) return std::nullopt;
  return u.int_at(0);
}

void store::record_attempts(std::span<const attempt_record> records) {
  constexpr std::string_view what = "record_attempts";
  transaction tx(*stmts_, what);
  const std::int64_t now = unix_ms_now();
  for (const attempt_record& r : records) {
    use u(*stmts_, query::record_attempt, what);
    u.text(1, r.event_id).text(2, r.action).text(3, to_string(r.state));
    u.integer(4, r.next_attempt_ms).text(5, r.result).integer(6, now).step();
    if (u.changes() == 0) {
      fail(path_, "record_attempts: no delivery of event '" + r.event_id + "' to action '" +
                      r.action + "'");
    }
  }
  tx.commit();
}

std::vector<delivery> store::deliveries_of(std::string_view event_id) {
  use u(*stmts_, query::deliveries_of, "deliveries_of");
  u.text(1, event_id);
  return read_deliveries(u);
}

std::int64_t store::count_deliveries(delivery_state s) {
  use u(*stmts_, query::count_deliveries, "count_deliveries");
  u.text(1, to_string(s)).step();
  return u.int_at(0);
}

std::map<std::string, std::int64_t, std::less<>> store::count_events_by_session(event_type t) {
  use u(*stmts_, query::count_events_by_session, "count_events_by_session");
  u.text(1, to_string(t));
  std::map<std::string, std::int64_t, std::less<>> out;
  while (u.step()) out.emplace(u.text_at(0), u.int_at(1));
  return out;
}

std::vector<delivery> store::list_deliveries(std::optional<delivery_state> s, std::size_t limit) {
  if (!s) {
    use u(*stmts_, query::list_deliveries, "list_deliveries");
    u.integer(1, clamp_limit(limit));
    return read_deliveries(u);
  }
  use u(*stmts_, query::list_deliveries_in, "list_deliveries");
  u.text(1, to_string(*s)).integer(2, clamp_limit(limit));
  return read_deliveries(u);
}

std::size_t store::redeliver(std::string_view event_id, std::int64_t now_ms,
                             std::optional<std::string_view> action) {
  transaction tx(*stmts_, "redeliver");
  std::int64_t n = 0;
  {
    use u(*stmts_, query::redeliver, "redeliver");
    u.text(1, event_id).integer(2, now_ms);
    if (action) u.text(3, *action);
    u.step();
    n = u.changes();
  }
  tx.commit();
  return static_cast<std::size_t>(n);
}

const std::string& store::write_problem() const { return stmts_->full_problem; }

std::uint64_t store::full_failures() const { return stmts_->full_failures; }

}  // namespace fjwatch
