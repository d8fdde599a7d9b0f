#pragma once
// Internal to the store: one use of a cached statement, and a write transaction. Shared by the
// store's .cpp files.
#include "fjwatch/store/detail/store_sql.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch::detail {

// One use of a cached statement: bind, step, read; reset and unbound when it goes out of scope.
class use {
 public:
  use(detail::store_statements& st, store_sql::query q, std::string_view what)
      : st_(st), s_(st.get(q, what)), what_(what) {}
  ~use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  use(const use&) = delete;
  use& operator=(const use&) = delete;

  // The text is not copied: it must outlive the step.
  use& text(int i, std::string_view v) {
    const char* data = v.data() != nullptr ? v.data() : "";
    return check(sqlite3_bind_text64(s_, i, data, v.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  use& integer(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  use& null(int i) { return check(sqlite3_bind_null(s_, i)); }

  // True with a row to read, false when done; throws store_error on failure.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    st_.fail(what_);
  }
  // Rows changed by the last write on this connection (this statement's, right after step()).
  std::int64_t changes() const { return sqlite3_changes64(st_.db); }

  std::string text_at(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (p == nullptr) return {};
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
  }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t int_at(int col) const { return sqlite3_column_int64(s_, col); }

  // A stored value this build cannot read: throws store_error naming the operation and value.
  [[noreturn]] void bad_value(std::string_view what, const std::string& value) const {
    store_sql::fail(st_.path,
                    std::string(what_) + ": unknown " + std::string(what) + " '" + value + "'");
  }

 private:
  use& check(int rc) {
    if (rc != SQLITE_OK) st_.fail(what_);
    return *this;
  }
  detail::store_statements& st_;
  sqlite3_stmt* s_;
  std::string_view what_;
};

// BEGIN IMMEDIATE now; ROLLBACK on destruction unless commit() succeeded.
class transaction {
 public:
  transaction(detail::store_statements& st, std::string_view what)
      : st_(st), what_(what), rollback_(st.get(store_sql::query::rollback, what)) {
    use(st_, store_sql::query::begin, what_).step();
  }
  ~transaction() {
    if (committed_) return;
    sqlite3_step(rollback_);
    sqlite3_reset(rollback_);
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  // A write that commits ends a disk-full spell (store::write_problem()).
  void commit() {
    use(st_, store_sql::query::commit, what_).step();
    committed_ = true;
    st_.full_problem.clear();
  }

 private:
  detail::store_statements& st_;
  std::string_view what_;
  sqlite3_stmt* rollback_;
  bool committed_ = false;
};

}  // namespace fjwatch::detail
