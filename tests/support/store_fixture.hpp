#pragma once
// Helpers shared by the store's test files: a temp directory per test, a raw SQLite connection,
// sample rows and events, and field-by-field comparisons.
#include <boost/test/unit_test.hpp>

#include "fjwatch/store/store.hpp"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace fjwatch {

namespace fs = std::filesystem;

inline const std::string sid_a = "69f45196c8bbf1ce65b5bcd6";
inline const std::string sid_b = "69f45196c8bbf1ce65b5bcd7";

// A fresh directory per test, removed afterwards; the store lives in its "state" child.
struct temp_dir : testing::temp_dir {
  temp_dir() : testing::temp_dir("fjwatch-store") {}
  fs::path state() const { return path() / "state"; }
  fs::path db() const { return state() / "fjwatch.db"; }
};

// A plain SQLite connection, to look at the file behind the store's back.
struct raw_db {
  sqlite3* db = nullptr;
  explicit raw_db(const fs::path& p) {
    BOOST_REQUIRE(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
  }
  ~raw_db() { sqlite3_close_v2(db); }
  void exec(const std::string& sql) {
    BOOST_REQUIRE_MESSAGE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK,
                          sql << ": " << sqlite3_errmsg(db));
  }
  // Column `col` of every row, NULL as "NULL".
  std::vector<std::string> rows(const std::string& sql, int col = 0) {
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK,
                          sql << ": " << sqlite3_errmsg(db));
    std::vector<std::string> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
      out.emplace_back(t != nullptr ? t : "NULL");
    }
    sqlite3_finalize(s);
    return out;
  }
};

struct umask_guard {
  mode_t old;
  explicit umask_guard(mode_t m) : old(::umask(m)) {}
  ~umask_guard() { ::umask(old); }
};

inline session_row make_row(const std::string& id) {
  session_row r;
  r.id = id;
  r.status = matching_status::processing;
  r.matched = 3;
  r.title = "Senior .NET";
  r.first_seen_ms = 1000;
  r.waiting_since_ms = 1000;
  r.last_change_ms = 1500;
  return r;
}

inline new_event make_event(const std::string& id, const std::string& session, std::int64_t created,
                            std::vector<std::string> actions) {
  event_fields fields;
  fields.session_id = session;
  fields.status = matching_status::done;
  fields.title = "Senior .NET";
  fields.matched = 25;
  fields.total_for_matching = 40;
  return {id,
          event_type::done,
          session,
          created,
          R"({"type":"session.done","id":")" + id + "\"}",
          std::move(fields),
          std::move(actions)};
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline mode_t mode_of(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, p);
  return st.st_mode & 07777;
}

inline std::string show(const std::optional<matching_status>& s) {
  return s ? std::string(to_string(*s)) : "null";
}

inline void check_same(const session_row& got, const session_row& want) {
  BOOST_TEST(got.id == want.id);
  BOOST_TEST(show(got.status) == show(want.status));
  BOOST_TEST(got.matched == want.matched);
  BOOST_TEST(got.total_for_matching == want.total_for_matching);
  BOOST_TEST(got.available == want.available);
  BOOST_TEST(got.search_more_counter == want.search_more_counter);
  BOOST_TEST(got.title == want.title);
  BOOST_TEST(got.project == want.project);
  BOOST_TEST(got.etag == want.etag);
  BOOST_TEST(got.first_seen_ms == want.first_seen_ms);
  BOOST_TEST(got.waiting_since_ms == want.waiting_since_ms);
  BOOST_TEST(got.last_change_ms == want.last_change_ms);
  BOOST_TEST(to_string(got.phase) == to_string(want.phase));
}

// "event_id/action" of each delivery, in order.
inline std::vector<std::string> keys(const std::vector<delivery>& ds) {
  std::vector<std::string> out;
  for (const delivery& d : ds) out.push_back(d.event_id + "/" + d.action);
  return out;
}

}  // namespace fjwatch
