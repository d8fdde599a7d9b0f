#pragma once
// The soak's figures and their report: losses, duplicates, the daemon's processes and their
// memory and descriptors, the outbox and the database at the end. write_report says PASS only
// when nothing was lost and every check held.
#include "fjwatch/store/store.hpp"
#include "sim/sim.hpp"
#include "soak/samples.hpp"
#include "soak/tally.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace fjwatch::testing {

struct soak_results {
  std::string options_line;
  double duration_s = 0, drain_s = 0;
  bool drained = false;
  std::size_t sessions = 0, removed = 0, expected = 0, fetch_more_done = 0, not_yet = 0;
  webhook_tally hooks;
  loss_verdict verdict;
  int kills = 0, stop_code = -1, outages = 0;
  double down_s = 0;
  std::size_t scripted_replies = 0, sim_log_lines = 0;
  std::vector<double> ready_s;  // each start's time to daemon.ready
  std::vector<std::string> unexpected_exits;
  std::int64_t pending = 0, failed = 0, events_in_db = 0;
  std::string integrity;
  sim::stats api;
  std::map<std::string, std::size_t, std::less<>> daemon_events;
};

// PRAGMA integrity_check of the database file: "ok", or its findings joined with "; ".
inline std::string integrity_check(const std::filesystem::path& db_file) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    out = std::string("cannot open: ") + sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    out += (out.empty() ? "" : "; ") + std::string(text ? text : "");
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE)
    out += std::string(out.empty() ? "" : "; ") + "error: " + sqlite3_errmsg(db);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

inline std::string fixed(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// One row per daemon process: RSS (MiB) and descriptors, first, median, last and largest.
inline void write_segments(std::ostream& out, const std::vector<proc_sample>& samples) {
  out << "| daemon | from s | samples | RSS MiB first / median / last / max | fds first / median / "
         "last / max |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < samples.size();) {
    std::vector<double> rss, fds;
    const int segment = samples[i].segment;
    const double from = samples[i].t;
    for (; i < samples.size() && samples[i].segment == segment; ++i) {
      rss.push_back(static_cast<double>(samples[i].rss_kib) / 1024);
      fds.push_back(static_cast<double>(samples[i].fds));
    }
    const auto r = figures_of(rss), f = figures_of(fds);
    out << "| " << segment << " | " << fixed(from, 0) << " | " << rss.size() << " | "
        << fixed(r.first) << " / " << fixed(r.median) << " / " << fixed(r.last) << " / "
        << fixed(r.max) << " | " << fixed(f.first, 0) << " / " << fixed(f.median, 0) << " / "
        << fixed(f.last, 0) << " / " << fixed(f.max, 0) << " |\n";
  }
}

// Why the run fails; empty when it passes.
inline std::vector<std::string> failures(const soak_results& r, const delivery_tally& log) {
  std::vector<std::string> f;
  auto check = [&](bool bad, const std::string& why) {
    if (bad) f.push_back(why);
  };
  check(r.verdict.lost > 0, std::to_string(r.verdict.lost) + " events lost");
  check(r.integrity != "ok", "integrity_check: " + r.integrity);
  check(r.verdict.unexpected > 0, std::to_string(r.verdict.unexpected) + " unexpected event ids");
  check(log.differing() + r.hooks.sent.differing() > 0,
        "a repeated event differed from its first copy");
  check(r.hooks.bad_signatures > 0, std::to_string(r.hooks.bad_signatures) + " bad signatures");
  check(!r.unexpected_exits.empty(),
        std::to_string(r.unexpected_exits.size()) + " unexpected daemon exits");
  check(!r.drained, "no quiescence within the drain limit");
  check(r.stop_code != 0, "the final SIGTERM stop exited with " + std::to_string(r.stop_code));
  check(r.pending + r.failed > 0, "outbox at the end: " + std::to_string(r.pending) + " pending, " +
                                      std::to_string(r.failed) + " failed");
  return f;
}

// What was expected and what each action delivered.
inline void write_deliveries(std::ostream& out, const soak_results& r, const delivery_tally& log) {
  const auto& v = r.verdict;
  const auto& h = r.hooks;
  out << "- sessions: " << r.sessions << " added, " << r.removed << " removed after their events\n";
  out << "- events expected: " << r.expected << " (" << r.expected - r.fetch_more_done
      << " done_0, " << r.fetch_more_done
      << " done_1 of Fetch More cycles); not yet happened at the drain: " << r.not_yet << "\n";
  out << "- log action: " << log.ids() << " event ids in " << log.copies()
      << " lines: " << log.duplicates() << " duplicates, " << log.differing()
      << " with a different text\n";
  out << "- webhook: " << h.accepted.ids() << " ids accepted in " << h.accepted.copies()
      << " 2xx answers: " << h.accepted.duplicates() << " duplicates; " << h.sent.copies()
      << " requests in all, " << h.sent.differing() << " ids whose body changed between attempts, "
      << h.bad_signatures << " bad signatures; answers:";
  for (const auto& [answer, n] : h.answers) out << " " << answer << " x" << n;
  out << "\n- **lost events: " << v.lost << "** (log " << v.lost_log << ", webhook " << v.lost_hook
      << "); unexpected ids: " << v.unexpected << "\n";
  for (const auto& e : v.examples) out << "  - " << e << "\n";
}

// The daemon's processes, the end state, and the faults that were served.
inline void write_run(std::ostream& out, const soak_results& r) {
  const double ready_max =
      r.ready_s.empty() ? 0 : *std::max_element(r.ready_s.begin(), r.ready_s.end());
  out << "- kills: " << r.kills << "; starts to daemon.ready: median "
      << fixed(median_of(r.ready_s), 2) << " s, max " << fixed(ready_max, 2)
      << " s; unexpected exits: " << r.unexpected_exits.size() << "; final stop exit code "
      << r.stop_code << "\n";
  for (const auto& e : r.unexpected_exits) out << "  - " << e << "\n";
  out << "- drain after the duration: " << fixed(r.drain_s, 0) << " s"
      << (r.drained ? "" : " (limit reached)") << "; outbox at the end: " << r.pending
      << " pending, " << r.failed << " failed; done events in the database: " << r.events_in_db
      << "\n";
  out << "- PRAGMA integrity_check: " << r.integrity << "\n";
  out << "- API: " << r.api.requests << " requests, " << r.api.errors_5xx << " 5xx, "
      << r.api.rate_limited_429 << " 429, " << r.api.resets << " resets, " << r.api.tls_handshakes
      << " TLS handshakes; simulator log lines: " << r.sim_log_lines << "\n- daemon log lines:";
  for (const auto& [name, n] : r.daemon_events) {
    if (name.starts_with("poll.") || name.starts_with("delivery.") || name.starts_with("api."))
      out << " " << name << " x" << n;
  }
  out << "\n- receiver: " << r.outages << " outages, " << fixed(r.down_s, 0) << " s down in all; "
      << r.scripted_replies << " requests answered 500 or held\n";
}

// The whole report (Markdown); true when the run passes. RSS and descriptors are judged flat
// over the samples from the warm-up's end (a fifth of the duration, 60 s at least) on, each
// `settle` seconds or more into its daemon's life.
inline bool write_report(std::ostream& out, const soak_results& r, const delivery_tally& log,
                         const std::vector<proc_sample>& samples, double settle) {
  out << "## Soak: " << r.options_line << "\n\n";
  write_deliveries(out, r, log);
  write_run(out, r);
  out << "\n";
  write_segments(out, samples);
  const double warm = std::max(60.0, r.duration_s / 5);
  const auto flat = check_flat(samples, warm, r.duration_s, settle);
  out << "\nFlatness (samples from " << fixed(warm, 0) << " s to the end of the duration, each "
      << fixed(settle, 0) << " s or more into its daemon's life, " << flat.samples
      << " samples): RSS median " << fixed(flat.rss_first_mib) << " MiB in the first quarter, "
      << fixed(flat.rss_last_mib) << " MiB in the last; fds " << fixed(flat.fds_first, 0)
      << " then " << fixed(flat.fds_last, 0) << ": "
      << (flat.samples < 8 ? "too few samples"
          : flat.flat      ? "flat"
                           : "NOT FLAT")
      << "\n\n";
  const auto why = failures(r, log);
  out << (why.empty() ? "RESULT: PASS" : "RESULT: FAIL") << "\n";
  for (const auto& w : why) out << "- " << w << "\n";
  return why.empty();
}

}  // namespace fjwatch::testing
