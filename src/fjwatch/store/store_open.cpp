#include "fjwatch/store/store.hpp"

#include "fjwatch/store/detail/store_sql.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace fjwatch {

using store_sql::exec;
using store_sql::fail;
using store_sql::fail_sqlite;
using store_sql::make_state_dir;
using store_sql::query;
using store_sql::query_text;

void store_sql::fail(const std::filesystem::path& p, std::string_view message) {
  throw store_error(p.string() + ": " + std::string(message));
}

void store_sql::make_state_dir(std::filesystem::path dir) {
  if (!dir.has_filename()) dir = dir.parent_path();
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (ec) fail(dir.parent_path(), "cannot create the directory: " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    fail(dir, "cannot create the state directory: " + std::generic_category().message(errno));
  }
}

namespace {

// Which operation an SQLITE_IOERR came from, which SQLite's message ("disk I/O error") does not
// say; "" for the rarer ones.
std::string_view ioerr_operation(int extended) {
  switch (extended) {
    case SQLITE_IOERR_READ:
    case SQLITE_IOERR_SHORT_READ:
      return "read";
    case SQLITE_IOERR_WRITE:
      return "write";
    case SQLITE_IOERR_FSYNC:
      return "fsync";
    case SQLITE_IOERR_DIR_FSYNC:
      return "fsync of the directory";
    case SQLITE_IOERR_TRUNCATE:
      return "truncate";
    case SQLITE_IOERR_FSTAT:
      return "fstat";
    case SQLITE_IOERR_DELETE:
      return "delete";
    case SQLITE_IOERR_SHMOPEN:
    case SQLITE_IOERR_SHMSIZE:
    case SQLITE_IOERR_SHMMAP:
      return "the -shm file";
    default:
      return "";
  }
}

}  // namespace

void store_sql::exec(sqlite3* db, const std::filesystem::path& p, const char* sql,
                     std::string_view what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail_sqlite(p, what, db);
}

std::string store_sql::query_text(sqlite3* db, const std::filesystem::path& p, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) fail_sqlite(p, sql, db);
  const int rc = sqlite3_step(s);
  std::string out;
  if (rc == SQLITE_ROW) {
    auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    if (t != nullptr) out = t;
  } else if (rc != SQLITE_DONE) {
    out = sqlite3_errmsg(db);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(p, std::string(sql) + ": " + out);
  return out;
}

void store_sql::fail_sqlite(const std::filesystem::path& p, std::string_view what, sqlite3* db) {
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db);
  const int extended = sqlite3_extended_errcode(db);
  if ((extended & 0xff) == SQLITE_IOERR) {
    const auto op = ioerr_operation(extended);
    const int e = sqlite3_system_errno(db);
    if (!op.empty() || e != 0) {
      message += " (" + std::string(op.empty() ? "error" : op) + " failed" +
                 (e != 0 ? ": " + std::generic_category().message(e) : std::string()) + ")";
    }
  }
  if (out_of_space(extended, sqlite3_system_errno(db))) {
    throw store_full(p.string() + ": " + message);
  }
  fail(p, message);
}

bool store_sql::out_of_space(int extended_code, int system_errno) {
  if ((extended_code & 0xff) == SQLITE_FULL) return true;
  return (extended_code & 0xff) == SQLITE_IOERR &&
         (system_errno == ENOSPC || system_errno == EDQUOT);
}

void detail::store_statements::fail(std::string_view what) {
  try {
    fail_sqlite(path, what, db);
  } catch (const store_full& e) {
    ++full_failures;
    full_problem = e.what();
    throw;
  }
}

detail::store_statements::~store_statements() {
  for (sqlite3_stmt* s : cache) sqlite3_finalize(s);
}

sqlite3_stmt* detail::store_statements::get(query q, std::string_view what) {
  sqlite3_stmt*& s = cache[static_cast<std::size_t>(q)];
  if (s == nullptr && sqlite3_prepare_v3(db, store_sql::sql(q), -1, SQLITE_PREPARE_PERSISTENT, &s,
                                         nullptr) != SQLITE_OK) {
    s = nullptr;
    fail_sqlite(path, what, db);
  }
  return s;
}

namespace {

constexpr int busy_timeout_ms = 5000;

// quick_check's report on one line: its first problems and how many more there are. A row may
// hold several problems, one a line, under a "*** in database main ***" heading.
std::string summarize(const std::vector<std::string>& rows) {
  std::vector<std::string> problems;
  for (const std::string& row : rows) {
    std::size_t from = 0;
    while (from <= row.size()) {
      std::size_t to = std::min(row.find('\n', from), row.size());
      std::string line = row.substr(from, to - from);
      if (!line.empty() && line != "ok" && !line.starts_with("*** in database")) {
        problems.push_back(std::move(line));
      }
      from = to + 1;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < problems.size() && i < 3; ++i) out += (i ? "; " : "") + problems[i];
  if (problems.size() > 3) out += "; and " + std::to_string(problems.size() - 3) + " more";
  return out;
}

// PRAGMA quick_check, before anything writes to the file. A file SQLite cannot read as a
// database fails the check too; other errors (a lock held too long) are reported as they are.
void check_integrity(sqlite3* db, const std::filesystem::path& p) {
  sqlite3_stmt* s = nullptr;
  std::vector<std::string> rows;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    rows.emplace_back(t != nullptr ? t : "");
    rc = SQLITE_OK;
  }
  const std::string error = rc != SQLITE_DONE ? sqlite3_errmsg(db) : "";
  sqlite3_finalize(s);
  std::string problems = summarize(rows);
  if (rc != SQLITE_DONE) {
    const int primary = rc & 0xff;
    if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB) fail(p, "quick_check: " + error);
    problems = error;
  } else if (problems.empty() && rows != std::vector<std::string>{"ok"}) {
    problems = "unexpected quick_check result";
  }
  if (!problems.empty()) {
    fail(p, "database failed its integrity check: " + problems +
                "; refusing to start (move the file aside to start afresh)");
  }
}

// Runs the migrations from the file's user_version up to store_sql::schema_version.
void migrate(sqlite3* db, const std::filesystem::path& p) {
  auto version = [&] {
    const std::string text = query_text(db, p, "PRAGMA user_version");
    return text.empty() ? 0 : std::stoi(text);
  };
  auto too_new = [&](int v) {
    fail(p, "database schema version " + std::to_string(v) +
                " is newer than this fjwatch understands (" +
                std::to_string(store_sql::schema_version) + ")");
  };
  int v = version();
  if (v == store_sql::schema_version) return;
  if (v > store_sql::schema_version) too_new(v);
  exec(db, p, "BEGIN IMMEDIATE", "schema upgrade");
  try {
    v = version();
    if (v > store_sql::schema_version) too_new(v);
    for (; v < store_sql::schema_version; ++v) {
      exec(db, p, store_sql::migrations[static_cast<std::size_t>(v)],
           "schema upgrade to version " + std::to_string(v + 1));
    }
    exec(db, p, "COMMIT", "schema upgrade");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// A database made before retention existed reuses the pages it frees but cannot give them back
// until it is rebuilt with auto_vacuum on. One up to a gigabyte is rebuilt here, once (VACUUM
// takes seconds at that size and twice its space); a larger one is left as it is (README: "Running
// it for a year" says how to rebuild it while the daemon is stopped).
void convert_to_incremental(sqlite3* db, const std::filesystem::path& p) {
  constexpr long long max_bytes = 1LL << 30;
  if (query_text(db, p, "PRAGMA auto_vacuum") != "0") return;
  const long long bytes = std::stoll(query_text(db, p, "PRAGMA page_count")) *
                          std::stoll(query_text(db, p, "PRAGMA page_size"));
  if (bytes > max_bytes) return;
  exec(db, p, "PRAGMA auto_vacuum=INCREMENTAL", "enable incremental vacuum");
  exec(db, p, "VACUUM", "rebuild for incremental vacuum");
}

// Everything between sqlite3_open and the first use; the file is only read until quick_check
// passes, and a failed check closes it without a checkpoint.
void prepare_database(sqlite3* db, const std::filesystem::path& p) {
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  check_integrity(db, p);
  std::string mode = query_text(db, p, "PRAGMA journal_mode=WAL");
  if (mode != "wal") fail(p, "cannot use WAL mode (journal_mode is '" + mode + "')");
  exec(db, p, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864",
       "configure");
  // A new database gives back the space retention frees: set before its first table.
  if (query_text(db, p, "PRAGMA user_version") == "0") {
    exec(db, p, "PRAGMA auto_vacuum=INCREMENTAL", "configure");
  }
  migrate(db, p);
  convert_to_incremental(db, p);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
}

// Opens `p` read-write (never creating it) and prepares it; closes it again on failure.
sqlite3* open_database(const std::filesystem::path& p) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    fail(p, "cannot open: " + why);
  }
  try {
    prepare_database(db, p);
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  return db;
}

// Syncs a file or directory to disk.
void sync_path(const std::filesystem::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(p, "cannot open to sync: " + std::generic_category().message(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) fail(p, "fsync failed: " + std::generic_category().message(saved));
}

// A new database at `p`, built whole under a temporary name beside it (mode 0600, the schema
// committed, WAL mode set, synced) and only then renamed into place: a file at the real name is
// always a database with its schema, so an empty one can only be damage. A leftover of an
// earlier attempt is replaced.
void create_database(const std::filesystem::path& p) {
  const std::filesystem::path building = p.string() + ".new";
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    const std::string leftover = building.string() + suffix;
    if (::unlink(leftover.c_str()) != 0 && errno != ENOENT) {
      fail(leftover, "cannot remove: " + std::generic_category().message(errno));
    }
  }
  // Made by hand so that SQLite never creates it (nor its -wal and -shm, which take the file's
  // mode) with a looser mode.
  const int fd = ::open(building.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(building, "cannot create: " + std::generic_category().message(errno));
  ::close(fd);
  sqlite3_close_v2(open_database(building));  // closing checkpoints the -wal into the file
  sync_path(building, O_RDONLY);
  if (::renameat2(AT_FDCWD, building.c_str(), AT_FDCWD, p.c_str(), RENAME_NOREPLACE) != 0) {
    fail(p, "cannot move the new database into place: " + std::generic_category().message(errno));
  }
  sync_path(p.parent_path(), O_RDONLY | O_DIRECTORY);
}

// Refuses a file that cannot be a database before SQLite sees it: SQLite would take an empty
// file for a new database and silently start afresh.
void check_header(const std::filesystem::path& p) {
  static constexpr std::string_view magic{"SQLite format 3\0", 16};
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(p, "cannot open: " + std::generic_category().message(errno));
  char head[16];
  const ssize_t n = ::read(fd, head, sizeof head);
  const int saved = errno;
  ::close(fd);
  if (n < 0) fail(p, "cannot read: " + std::generic_category().message(saved));
  if (n == static_cast<ssize_t>(magic.size()) && std::string_view(head, magic.size()) == magic)
    return;
  fail(p, std::string("database failed its integrity check: ") +
              (n == 0 ? "the file is empty" : "the file has no SQLite header") +
              "; refusing to start (move the file aside to start afresh)");
}

}  // namespace

store::store(const std::filesystem::path& state_dir) : path_(file_in(state_dir)) {
  make_state_dir(state_dir);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(path_, "cannot open: " + std::generic_category().message(errno));
    create_database(path_);
  }
  check_header(path_);
  db_ = open_database(path_);
  try {
    stmts_ = std::make_unique<detail::store_statements>(db_, path_);
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

store::~store() {
  stmts_.reset();
  sqlite3_close_v2(db_);
}

}  // namespace fjwatch
