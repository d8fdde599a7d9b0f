#pragma once
// Shared by the crash and fault tests that drive the real binary: a rig whose daemon logs every
// event (journal) and posts it to a webhook receiver (hook); what arrived where, over any number
// of runs; the database's own integrity check; the LD_PRELOAD fault shim's environment; the
// control endpoint. Header-only; no Boost.Test (the callers assert on what these return).
#include <sqlite3.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/control_client.hpp"
#include "support/process.hpp"
#include "support/receiver_thread.hpp"

namespace fjwatch::testing {

// The webhook action "hook" as a config's `actions:` item, posting to `rx`.
struct hook_settings {
  std::string timeout = "10s";
  std::string retry_schedule = "[200ms, 200ms, 200ms, 200ms]";
};

// A rig with a receiver (rx), its hook action, and a log action (journal): both are defaults.
struct hook_rig : rig {
  explicit hook_rig(sim::options o = sim_options(), const hook_settings& h = {})
      : rig(std::move(o)) {
    dir.write("hook.secret", std::string(webhook_secret) + "\n");
    dir.write("hook-ca.pem", rx->ca_pem());
    cfg.more_actions = webhook_action(
        {.url = rx->url(), .timeout = h.timeout, .retry_schedule = h.retry_schedule});
    cfg.default_actions = {"journal", "hook"};
  }
  std::filesystem::path state() const { return dir / "state"; }
  receiver_thread rx;
};

// The last lines of a child's stderr for a failure message, read when the message is printed:
// unlike tail(), whose call may be evaluated before the assertion's condition has waited.
struct log_tail {
  const child_process& c;
};
inline std::ostream& operator<<(std::ostream& os, const log_tail& t) { return os << tail(t.c); }

// Requests answered 2xx, counted by webhook-id.
inline std::map<std::string, int> accepted(const std::vector<sim::received>& got) {
  std::map<std::string, int> out;
  for (const auto& r : got) {
    if (r.answered_status >= 200 && r.answered_status < 300) ++out[r.id];
  }
  return out;
}

// SIGKILL, then the exit code (128 + 9 when the kill did it; -1 when it did not end in 10 s).
inline int kill_hard(child_process& c) {
  c.send_signal(SIGKILL);
  return c.wait_exit(std::chrono::seconds(10)).value_or(-1);
}

// The event ids the log action wrote (action.log lines), with how often each.
inline std::map<std::string, int> journal(const std::vector<std::string>& lines) {
  return count_field(lines, "action.log", "event_id");
}

// What the receiver got, judged against the events that had to arrive.
struct webhook_report {
  std::size_t requests = 0;
  std::size_t ids_accepted = 0;       // distinct webhook-ids answered 2xx
  std::size_t accepted_again = 0;     // 2xx answers beyond the first for an id
  std::vector<std::string> problems;  // empty when every check held
};

// Every event of `events` accepted at least once; every request carries an event id of
// `events` and a signature the receiver verified; all requests for one webhook-id carry the
// same body, and no body is sent under two ids.
inline webhook_report judge_webhooks(const std::vector<sim::received>& got,
                                     const std::set<std::string>& events) {
  webhook_report r;
  r.requests = got.size();
  std::map<std::string, std::string> body_of;
  std::map<std::string, std::string> id_of;
  for (const auto& d : got) {
    if (!events.contains(d.id)) r.problems.push_back("unexpected webhook-id " + d.id);
    if (!d.signature_ok) r.problems.push_back(d.id + ": " + d.signature_problem);
    const auto [b, new_id] = body_of.emplace(d.id, d.body);
    if (!new_id && b->second != d.body) r.problems.push_back(d.id + ": a resent body differs");
    const auto [i, new_body] = id_of.emplace(d.body, d.id);
    if (!new_body && i->second != d.id) {
      r.problems.push_back("one body under " + i->second + " and " + d.id);
    }
  }
  const auto ok = accepted(got);
  r.ids_accepted = ok.size();
  for (const auto& [id, n] : ok) r.accepted_again += static_cast<std::size_t>(n - 1);
  for (const auto& e : events) {
    if (!ok.contains(e)) r.problems.push_back(e + " was never accepted");
  }
  return r;
}

// PRAGMA integrity_check of the database in `state`, opened read-only: "ok", or its findings
// (or why it could not be run), "; "-separated.
inline std::string integrity_check(const std::filesystem::path& state) {
  const auto file = state / "fjwatch.db";
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    out = "cannot open " + file.string() + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
  int step = SQLITE_DONE;
  while (rc == SQLITE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    out += (out.empty() ? "" : "; ") + std::string(t ? t : "");
  }
  if (rc != SQLITE_OK || step != SQLITE_DONE) {
    out += (out.empty() ? "" : "; ") + std::string(sqlite3_errmsg(db));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// The fault shim (tests/support/fault_inject.c) for a daemon whose state is `state`: writes
// or syncs of its files fail while `trigger` exists (see the shim for what the file says). The
// state directory is made now (mode 0700, as the daemon would) so the shim can name it.
inline env_map fault_env(const std::filesystem::path& state, const std::filesystem::path& trigger) {
  ::mkdir(state.c_str(), 0700);
  auto env = base_env();
  env["LD_PRELOAD"] = FJWATCH_FAULT_INJECT;
  env["FJWATCH_FAULT_DIR"] = std::filesystem::canonical(state).string();
  env["FJWATCH_FAULT_TRIGGER"] = trigger.string();
  // ASan wants its runtime first in the library list; the shim comes before it.
  auto& asan = env["ASAN_OPTIONS"];
  asan += std::string(asan.empty() ? "" : ":") + "verify_asan_link_order=0";
  return env;
}

// One GET of the control endpoint at `address`: the status (0 when nothing answered) and body.
struct control_answer {
  int status = 0;
  std::string body;
};
inline control_answer control(const std::string& address, std::string_view target) {
  const auto x = send_raw(address, request_text("GET", target));
  return {status_of(x.text), body_of(x.text)};
}

}  // namespace fjwatch::testing
