// The store's file: modes, WAL, refusing damaged files, query plans, surviving SIGKILL.
#include <boost/test/unit_test.hpp>

#include "fjwatch/store/detail/store_sql.hpp"
#include "support/store_fixture.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

using namespace fjwatch;

namespace {

// The child: commits events "<round>_<i>" (actions a and b; the session's matched = the number of
// events) and writes each i to fd once commit() has returned. Never returns.
[[noreturn]] void write_until_killed(const fs::path& state, int round, int fd) {
  try {
    store s(state);
    session_row fresh = make_row(sid_a);
    fresh.matched = 0;
    session_row row = s.find_session(sid_a).value_or(fresh);
    for (int i = 0; i < 1000000; ++i) {
      const new_event e =
          make_event(std::to_string(round) + "_" + std::to_string(i), sid_a, i, {"a", "b"});
      row.matched += 1;
      s.commit(row, std::span(&e, 1));
      if (::write(fd, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

// Reads the child's reports until `wanted` have come, then for `extra` more (so that the kill
// that follows lands anywhere in a commit). Returns the last i read; fails after 20 s.
int read_reports(int fd, int wanted, std::chrono::microseconds extra) {
  using clock = std::chrono::steady_clock;
  int last = -1;
  const auto give_up = clock::now() + std::chrono::seconds(20);
  auto stop_at = clock::time_point::max();
  for (auto now = clock::now(); now < stop_at; now = clock::now()) {
    pollfd p{fd, POLLIN, 0};
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(std::min(give_up, stop_at) - now);
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(ms.count(), 0)));
    BOOST_REQUIRE_MESSAGE(ready >= 0 && (ready == 1 || stop_at != clock::time_point::max()),
                          "the writer reported only " << last + 1 << " commits");
    if (ready == 1) {
      BOOST_REQUIRE(::read(fd, &last, sizeof last) == static_cast<ssize_t>(sizeof last));
    }
    if (last + 1 == wanted && stop_at == clock::time_point::max()) stop_at = clock::now() + extra;
  }
  return last;
}

// Runs write_until_killed in a child, kills it with SIGKILL after read_reports and returns the
// last i it reported.
int commit_until_killed(const fs::path& state, int round, int wanted,
                        std::chrono::microseconds extra) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    write_until_killed(state, round, fds[1]);
  }
  ::close(fds[1]);
  // Kills and reaps the child if a check fails before it is reaped; only ever signals `pid`.
  struct reaper {
    pid_t pid;
    int fd;
    bool reaped = false;
    ~reaper() {
      if (!reaped && pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
      ::close(fd);
    }
  } guard{pid, fds[0]};
  int last = read_reports(fds[0], wanted, extra);
  ::kill(pid, SIGKILL);  // pid > 0: the child never gets here
  int status = 0;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  guard.reaped = true;
  BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  for (int v = 0; ::read(fds[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v);) last = v;
  return last;
}

}  // namespace

BOOST_AUTO_TEST_CASE(open_creates_private_files_in_wal_mode) {
  temp_dir t;
  umask_guard no_mask(0);  // the modes must not depend on the caller's umask
  store s(t.state());
  BOOST_TEST(s.path() == t.db());
  const new_event e = make_event("e1", sid_a, 10, {"hook"});
  s.commit(make_row(sid_a), std::span(&e, 1));
  BOOST_TEST(mode_of(t.state()) == 0700u);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    BOOST_TEST_CONTEXT("fjwatch.db" << suffix) {
      BOOST_TEST(mode_of(t.db().string() + suffix) == 0600u);
    }
  }
  raw_db raw(t.db());
  BOOST_TEST(raw.rows("PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  BOOST_TEST(raw.rows("PRAGMA user_version") ==
             std::vector<std::string>{std::to_string(store_sql::schema_version)});
}

BOOST_AUTO_TEST_CASE(existing_directory_and_file_keep_their_modes) {
  temp_dir t;
  fs::create_directory(t.state());
  fs::permissions(t.state(), fs::perms(0750));
  { store s(t.state()); }
  fs::permissions(t.db(), fs::perms(0640));
  store s(t.state());
  BOOST_TEST(mode_of(t.state()) == 0750u);
  BOOST_TEST(mode_of(t.db()) == 0640u);
}

BOOST_AUTO_TEST_CASE(a_new_database_appears_whole) {
  temp_dir t;
  fs::create_directory(t.state());
  // A leftover of a creation cut short (a crash before the rename) is replaced, not used.
  { std::ofstream(t.db().string() + ".new") << "half of something"; }
  { store s(t.state()); }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(t.state())) {
    names.push_back(entry.path().filename().string());
  }
  BOOST_TEST(names == std::vector<std::string>{"fjwatch.db"});
  // Complete at its real name: header, schema and WAL mode, with nothing left in a -wal file.
  BOOST_TEST(read_bytes(t.db()).substr(0, 16) == std::string("SQLite format 3\0", 16));
  raw_db raw(t.db());
  BOOST_TEST(raw.rows("PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  BOOST_TEST(raw.rows("SELECT count(*) FROM sqlite_schema WHERE name = 'deliveries'") ==
             std::vector<std::string>{"1"});
}

// An empty or header-less fjwatch.db (a crash leftover, a failed restore, a stray `>`) is
// refused as a corrupt one is: starting afresh would fire every done session again.
BOOST_AUTO_TEST_CASE(refuses_an_empty_or_headerless_file) {
  struct row {
    std::string name;
    std::string bytes;
    std::string why;
  };
  const std::vector<row> rows{
      {"zero bytes", "", "the file is empty"},
      {"a newline", "\n", "the file has no SQLite header"},
      {"a truncated header", "SQLite form", "the file has no SQLite header"},
      {"zeros", std::string(8192, '\0'), "the file has no SQLite header"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      temp_dir t;
      fs::create_directory(t.state());
      { std::ofstream(t.db(), std::ios::binary) << r.bytes; }
      try {
        store s(t.state());
        BOOST_FAIL("opened " << r.name);
      } catch (const store_error& e) {
        BOOST_TEST(e.what() == t.db().string() + ": database failed its integrity check: " + r.why +
                                   "; refusing to start (move the file aside to start afresh)");
      }
      BOOST_TEST(read_bytes(t.db()) == r.bytes);
      BOOST_TEST(!fs::exists(t.db().string() + "-wal"));
    }
  }
}

// A database made by the previous release (schema 2: `fjwatch demo --speed 10` of f730767, in
// tests/data/store) opens and upgrades with every session, event and delivery as it was.
BOOST_AUTO_TEST_CASE(a_database_of_the_previous_release_upgrades_with_nothing_lost) {
  temp_dir t;
  fs::create_directory(t.state());
  fs::copy_file(fs::path(FJWATCH_TEST_DATA) / "store" / "v2-demo.db", t.db());
  const std::vector<std::string> tables{
      "SELECT json_array(id, status, matched, total_for_matching, available, "
      "search_more_counter, title, project, etag, first_seen_ms, waiting_since_ms, "
      "last_change_ms, phase) FROM sessions ORDER BY id",
      "SELECT json_array(id, type, session_id, created_ms, payload, label, status, title, project, "
      "matched, total_for_matching, available, search_more_counter) FROM events ORDER BY id",
      "SELECT json_array(event_id, action, state, attempts, next_attempt_ms, last_result, "
      "updated_ms) FROM deliveries ORDER BY event_id, action"};
  std::vector<std::vector<std::string>> before;
  {
    raw_db raw(t.db());
    BOOST_TEST_REQUIRE(raw.rows("PRAGMA user_version") == std::vector<std::string>{"2"});
    for (const auto& q : tables) before.push_back(raw.rows(q));
  }
  BOOST_TEST_REQUIRE(before[0].size() == 7u);  // the demo's sessions, events and deliveries
  BOOST_TEST_REQUIRE(before[1].size() == 8u);
  BOOST_TEST_REQUIRE(before[2].size() == 15u);
  {
    store s(t.state());
    BOOST_TEST(s.load_sessions().size() == 7u);
    BOOST_TEST(s.count_deliveries(delivery_state::delivered) == 15);
    BOOST_TEST(s.disabled_actions().empty());
  }
  raw_db raw(t.db());
  BOOST_TEST(raw.rows("PRAGMA user_version") == std::vector<std::string>{"4"});
  for (std::size_t i = 0; i < tables.size(); ++i) {
    BOOST_TEST(raw.rows(tables[i]) == before[i], boost::test_tools::per_element());
  }
}

// A database of schema 1 gains the events' fields, filled in from their payloads.
BOOST_AUTO_TEST_CASE(upgrades_schema_1_and_fills_in_event_fields) {
  temp_dir t;
  fs::create_directory(t.state());
  { std::ofstream(t.db()).flush(); }  // SQLite's own way: a new database is an empty file
  {
    raw_db raw(t.db());
    raw.exec(store_sql::migrations[0]);
    raw.exec(
        "INSERT INTO events (id, type, session_id, created_ms, payload) VALUES "
        "('e1', 'session.done', 'a', 1, '{\"type\":\"session.done\",\"data\":{\"label\":\"L\","
        "\"title\":\"T \\\"q\\\"\",\"project\":\"P\",\"status\":\"done\",\"matched\":3,"
        "\"total_for_matching\":4,\"available\":5,\"search_more_counter\":1}}'), "
        "('e2', 'session.not_found', 'b', 2, '{\"data\":{\"label\":null,\"status\":null}}'), "
        "('e3', 'session.timeout', 'c', 3, 'not json');"
        "INSERT INTO deliveries VALUES ('e1', 'j', 'pending', 0, 1, '', 1), "
        "('e2', 'j', 'pending', 0, 2, '', 2), ('e3', 'j', 'pending', 0, 3, '', 3);");
  }
  store s(t.state());
  const auto due = s.due_deliveries(10, 10);
  BOOST_REQUIRE(due.size() == 3u);
  const auto& f1 = due[0].fields;
  BOOST_TEST(f1.session_id == "a");
  BOOST_TEST(f1.label == "L");
  BOOST_TEST(f1.title == "T \"q\"");
  BOOST_TEST(f1.project == "P");
  BOOST_TEST((f1.status == matching_status::done));
  BOOST_TEST(f1.matched == 3);
  BOOST_TEST(f1.total_for_matching == 4);
  BOOST_TEST(f1.available == 5);
  BOOST_TEST(f1.search_more_counter == 1);
  for (const auto* d : {&due[1], &due[2]}) {
    BOOST_TEST_CONTEXT(d->event_id) {
      BOOST_TEST(d->fields.label == "");
      BOOST_TEST(!d->fields.status.has_value());
      BOOST_TEST(d->fields.title == "");
      BOOST_TEST(d->fields.matched == 0);
    }
  }
  BOOST_TEST(raw_db(t.db()).rows("PRAGMA user_version") == std::vector<std::string>{"4"});
}

BOOST_AUTO_TEST_CASE(refuses_a_file_that_is_not_a_database) {
  temp_dir t;
  fs::create_directory(t.state());
  std::string garbage;
  for (int i = 0; i < 200; ++i) {
    garbage += "this is not a database, line " + std::to_string(i) + "\n";
  }
  { std::ofstream(t.db(), std::ios::binary) << garbage; }
  try {
    store s(t.state());
    BOOST_FAIL("opened a file that is not a database");
  } catch (const store_error& e) {
    BOOST_TEST(e.what() == t.db().string() +
                               ": database failed its integrity check: the file has no SQLite "
                               "header; refusing to start (move the file aside to start afresh)");
  }
  BOOST_TEST(read_bytes(t.db()) == garbage);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(t.state())) {
    names.push_back(entry.path().filename().string());
  }
  BOOST_TEST(names == std::vector<std::string>{"fjwatch.db"});
}

BOOST_AUTO_TEST_CASE(refuses_a_damaged_database) {
  temp_dir t;
  {
    store s(t.state());
    std::vector<new_event> events;
    for (int i = 0; i < 50; ++i) {
      events.push_back(make_event("e" + std::to_string(i), sid_a, i, {"a"}));
    }
    s.commit(make_row(sid_a), events);
  }
  std::string page;
  const fs::path wal = t.db().string() + "-wal";
  {
    raw_db raw(t.db());
    page = raw.rows("SELECT rootpage FROM sqlite_schema WHERE name = 'deliveries_due'").at(0);
    // Leave committed frames in the -wal: a checkpoint on close would write them to the file.
    sqlite3_db_config(raw.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    raw.exec("PRAGMA wal_autocheckpoint = 0; UPDATE sessions SET title = 'only in the wal'");
  }
  BOOST_REQUIRE(fs::file_size(wal) > 0u);
  const std::string wal_bytes = read_bytes(wal);
  std::string bytes = read_bytes(t.db());
  // Past the b-tree page header: 64 bytes of 0xff turn 32 cell pointers into 65535.
  const std::size_t at = (std::stoul(page) - 1) * 4096 + 8;
  BOOST_REQUIRE(bytes.size() > at + 64);
  for (std::size_t i = 0; i < 64; ++i) bytes[at + i] = '\xff';
  { std::ofstream(t.db(), std::ios::binary | std::ios::trunc) << bytes; }
  try {
    store s(t.state());
    BOOST_FAIL("opened a damaged database");
  } catch (const store_error& e) {
    const std::string msg = e.what();
    const std::string head = t.db().string() + ": database failed its integrity check: ";
    const std::string tail = "; refusing to start (move the file aside to start afresh)";
    BOOST_TEST(msg.starts_with(head));
    BOOST_TEST(msg.ends_with(tail));
    // The details are SQLite's; this build's wording is pinned so a change is noticed.
    BOOST_TEST(msg.substr(head.size(), msg.size() - head.size() - tail.size()) ==
               "On tree page " + page +
                   " cell 31: Offset 65535 out of range 3399..4092; On tree "
                   "page " +
                   page + " cell 30: Offset 65535 out of range 3399..4092; On tree page " + page +
                   " cell 29: Offset 65535 out of range 3399..4092; and 29 more");
    BOOST_TEST(msg.find('\n') == std::string::npos);
  }
  BOOST_TEST((read_bytes(t.db()) == bytes));
  BOOST_TEST((read_bytes(wal) == wal_bytes));
}

BOOST_AUTO_TEST_CASE(refuses_a_newer_schema) {
  temp_dir t;
  { store s(t.state()); }
  raw_db(t.db()).exec("PRAGMA user_version = 99");
  const std::string bytes = read_bytes(t.db());
  try {
    store s(t.state());
    BOOST_FAIL("opened a newer schema");
  } catch (const store_error& e) {
    BOOST_TEST(e.what() == t.db().string() +
                               ": database schema version 99 is newer than this fjwatch "
                               "understands (4)");
  }
  BOOST_TEST((read_bytes(t.db()) == bytes));
}

BOOST_AUTO_TEST_CASE(reports_a_state_dir_it_cannot_use) {
  temp_dir t;
  { std::ofstream(t.state()) << "a file, not a directory"; }
  try {
    store s(t.state());
    BOOST_FAIL("used a file as the state directory");
  } catch (const store_error& e) {
    BOOST_TEST(e.what() == t.db().string() + ": cannot open: Not a directory");
  }
}

// A full disk degrades the daemon (store_full); other I/O errors stop it.
BOOST_AUTO_TEST_CASE(out_of_space_is_told_from_other_io_errors) {
  using store_sql::out_of_space;
  BOOST_TEST(out_of_space(SQLITE_FULL, 0));
  BOOST_TEST(out_of_space(SQLITE_IOERR_SHMSIZE, ENOSPC));  // growing the -shm file
  BOOST_TEST(out_of_space(SQLITE_IOERR_WRITE, ENOSPC));
  BOOST_TEST(out_of_space(SQLITE_IOERR_WRITE, EDQUOT));
  BOOST_TEST(!out_of_space(SQLITE_IOERR_SHMSIZE, EIO));
  BOOST_TEST(!out_of_space(SQLITE_IOERR_FSYNC, EIO));
  BOOST_TEST(!out_of_space(SQLITE_IOERR_READ, 0));
  BOOST_TEST(!out_of_space(SQLITE_CORRUPT, ENOSPC));
  BOOST_TEST(!out_of_space(SQLITE_BUSY, 0));
}

BOOST_AUTO_TEST_CASE(hot_statements_use_indexes) {
  temp_dir t;
  { store s(t.state()); }
  raw_db raw(t.db());
  using store_sql::query;
  const std::vector<std::pair<query, std::string>> hot = {
      {query::find_session, "sqlite_autoindex_sessions_1"},
      {query::due_deliveries, "deliveries_due"},
      {query::next_delivery, "deliveries_due"},
      {query::due_deliveries_for, "deliveries_action_due"},
      {query::next_delivery_for, "deliveries_action_due"},
      {query::record_attempt, "sqlite_autoindex_deliveries_1"},
      {query::count_deliveries, "deliveries_due"},
      {query::deliveries_of, "sqlite_autoindex_deliveries_1"},
      {query::upsert_session, ""},
      {query::ensure_session, ""},
      {query::insert_event, ""},
      {query::insert_delivery, ""},
      // Retention: not hot, but over a million rows a scan would hold the loop.
      {query::prunable_events, "events_created"},
      {query::delete_deliveries_of, "sqlite_autoindex_deliveries_1"},
      {query::delete_event, "sqlite_autoindex_events_1"},
      {query::sessions_after, "sqlite_autoindex_sessions_1"},
      {query::remember_session, "sqlite_autoindex_sessions_1"},
      {query::delete_session, "sqlite_autoindex_sessions_1"}};
  for (const auto& [q, index] : hot) {
    const std::string sql = store_sql::sql(q);
    BOOST_TEST_CONTEXT(sql) {
      const auto plan = raw.rows("EXPLAIN QUERY PLAN " + sql, 3);
      bool uses_index = index.empty();
      for (const std::string& step : plan) {
        BOOST_TEST_CONTEXT(step) {
          BOOST_TEST(!step.starts_with("SCAN"));
          BOOST_TEST(step.find("TEMP B-TREE") == std::string::npos);
        }
        if (!index.empty() && step.find("INDEX " + index) != std::string::npos) uses_index = true;
      }
      BOOST_TEST(uses_index);
    }
  }
}

// A writer killed with SIGKILL at any moment loses nothing it reported as committed, and leaves
// no event without its deliveries or its session row update; the next writer carries on.
BOOST_AUTO_TEST_CASE(killed_writer_loses_nothing) {
  temp_dir t;
  { store s(t.state()); }
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> extra_us(0, 12000);
  for (int round = 0; round < 4; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      const int last =
          commit_until_killed(t.state(), round, 8, std::chrono::microseconds(extra_us(rng)));
      store s(t.state());  // runs quick_check
      raw_db raw(t.db());
      BOOST_TEST(raw.rows("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
      for (int i = 0; i <= last; ++i) {
        const std::string id = std::to_string(round) + "_" + std::to_string(i);
        BOOST_TEST_CONTEXT(id) {
          BOOST_TEST(keys(s.deliveries_of(id)) == (std::vector<std::string>{id + "/a", id + "/b"}));
        }
      }
      const auto events = std::stoll(raw.rows("SELECT count(*) FROM events").at(0));
      BOOST_TEST(std::stoll(raw.rows("SELECT count(*) FROM deliveries").at(0)) == 2 * events);
      BOOST_TEST(s.find_session(sid_a)->matched == events);
    }
  }
}
