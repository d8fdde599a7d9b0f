#include <boost/test/unit_test.hpp>

#include "fjwatch/cli/status_command.hpp"
#include "fjwatch/status/control_pages.hpp"
#include "fjwatch/store/store.hpp"
#include "support/metrics_format.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <boost/json/parse.hpp>

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace ft = fjwatch::testing;
namespace json = boost::json;
using fjwatch::poll_outcome;

namespace {

// A busy daemon's numbers: every family has non-zero samples.
fjwatch::scheduler_stats busy_stats() {
  fjwatch::scheduler_stats s;
  s.polls_by_outcome[static_cast<std::size_t>(poll_outcome::kind::ok)] = 40;
  s.polls_by_outcome[static_cast<std::size_t>(poll_outcome::kind::server_error)] = 3;
  for (const double v : {0.004, 0.02, 0.2, 45.0}) s.poll_latency.observe(v);
  s.connections_opened = 4;
  s.events_by_type[static_cast<std::size_t>(fjwatch::event_type::done)] = 2;
  s.server_rate_limit_pauses = 1;
  s.bucket_waits = 7;
  s.pipeline_depth = 6;
  s.state_commits = 9;
  s.state_rows_committed = 31;
  s.store_full_failures = 2;
  return s;
}

// The states of some_sessions(), as the scheduler counts them.
fjwatch::session_counts some_counts() { return {.waiting = 1, .processing = 1, .done = 1}; }

std::vector<fjwatch::session_view> some_sessions() {
  using fjwatch::session_phase;
  return {
      {.id = "6a0000000000000000000002",
       .label = "Pune \"NET\"",
       .status = fjwatch::matching_status::processing,
       .matched = 12,
       .total_for_matching = 40,
       .polls = 3,
       .last_poll_ms = 1'777'000'000'000,
       .next_poll_ms = 1'777'000'005'000,
       .last_error = "server_error: HTTP 503"},
      {.id = "6a0000000000000000000001",
       .status = fjwatch::matching_status::done,
       .phase = session_phase::done_stopped,
       .matched = 25,
       .total_for_matching = 25,
       .events = 1},
      {.id = "6a0000000000000000000003"},
  };
}

std::vector<fjwatch::delivery_counts> some_deliveries() {
  return {{.action = "journal", .delivered = 2}, {.action = "team-hook", .retried = 3, .gone = 1}};
}

// A source answering from fixed values; `db_fails` makes the store throw.
fjwatch::control_source fixed_source(fjwatch::scheduler_stats stats, bool db_fails = false) {
  return fjwatch::control_source{
      .sessions = [] { return some_sessions(); },
      .counts = [] { return some_counts(); },
      .stats = [stats] { return stats; },
      .deliveries = [] { return some_deliveries(); },
      .outbox =
          [db_fails] {
            if (db_fails) throw fjwatch::store_error("/var/lib/fjwatch/fjwatch.db: disk I/O error");
            return fjwatch::outbox_totals{.pending = 5, .failed = 1};
          }};
}

}  // namespace

BOOST_AUTO_TEST_CASE(health_degrades_for_each_reason) {
  const auto now = steady::now();
  fjwatch::scheduler_stats fine;
  fjwatch::scheduler_stats auth = fine;
  auth.auth_failing = true;
  fjwatch::scheduler_stats failing_long = fine;
  failing_long.api_failing_since = now - 6min - 30s;
  failing_long.api_last_failure = "network_error: connect: Connection refused";
  fjwatch::scheduler_stats failing_short = failing_long;
  failing_short.api_failing_since = now - 4min;
  fjwatch::scheduler_stats at_limit = failing_long;
  at_limit.api_failing_since = now - 5min;
  fjwatch::scheduler_stats full = fine;
  full.store_write_problem = "/s/fjwatch.db: commit: database or disk is full";
  full.store_full_failures = 3;
  fjwatch::scheduler_stats was_full = fine;
  was_full.store_full_failures = 3;
  // Server pauses: 15 minutes in force, one just ended, one of a minute, one under a minute.
  const auto paused = [&](steady::duration began, steady::duration length) {
    auto s = fine;
    s.api_pause = fjwatch::server_pause{.from = now - began,
                                        .until = now - began + length,
                                        .until_unix_ms = 1'777'000'900'000,
                                        .cause = "HTTP 429"};
    return s;
  };
  struct row {
    const char* name;
    fjwatch::scheduler_stats stats;
    std::string db;
    bool ok;
    std::string reason;
  };
  const std::vector<row> rows{
      {"all fine", fine, "", true, ""},
      {"key rejected", auth, "", false, "the API rejects the key (401): polling is paused"},
      {"failing 6m30s", failing_long, "", false,
       "the API has been unreachable for 6m30s (network_error: connect: Connection refused)"},
      {"failing 4m", failing_short, "", true, ""},
      {"failing exactly 5m", at_limit, "", false,
       "the API has been unreachable for 5m (network_error: connect: Connection refused)"},
      {"database", fine, "disk I/O error", false, "the database failed: disk I/O error"},
      {"disk full", full, "", false,
       "the database cannot be written (/s/fjwatch.db: commit: database or disk is full): new "
       "events and delivery outcomes wait and are retried"},
      {"disk full, then written again", was_full, "", true, ""},
      {"paused by the API for 15m", paused(2min, 15min), "", false,
       "the API asked to pause polling for 15m (HTTP 429): polling resumes at "
       "2026-04-24T03:21:40.000Z"},
      {"paused for exactly a minute", paused(1s, 1min), "", false,
       "the API asked to pause polling for 1m (HTTP 429): polling resumes at "
       "2026-04-24T03:21:40.000Z"},
      {"a long pause that is over", paused(16min, 15min), "", true, ""},
      {"a short pause", paused(1s, 59s), "", true, ""},
      {"two at once", auth, "disk I/O error", false,
       "the API rejects the key (401): polling is paused; the database failed: disk I/O error"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto h = fjwatch::judge_health(r.stats, r.db, now, fjwatch::default_unreachable_after);
      BOOST_TEST(h.ok == r.ok);
      BOOST_TEST(h.reason == r.reason);
    }
  }
  // An action its receiver disabled (410 Gone) degrades health, naming it; an enabled one not.
  std::vector<fjwatch::delivery_counts> deliveries(2);
  deliveries[0].action = "team-hook";
  deliveries[0].disabled = "HTTP 410 Gone since 2026-04-24T03:00:00.000Z";
  deliveries[1].action = "journal";
  const auto h =
      fjwatch::judge_health(fine, "", now, fjwatch::default_unreachable_after, deliveries);
  BOOST_TEST(!h.ok);
  BOOST_TEST(h.reason ==
             "action team-hook is disabled (HTTP 410 Gone since 2026-04-24T03:00:00.000Z): its "
             "deliveries are held until `fjwatch enable team-hook`");
  deliveries[0].disabled.clear();
  BOOST_TEST(
      fjwatch::judge_health(fine, "", now, fjwatch::default_unreachable_after, deliveries).ok);
}

BOOST_AUTO_TEST_CASE(health_json_is_status_and_reason) {
  BOOST_TEST(fjwatch::health_json({.ok = true}) == R"({"status":"ok"})");
  BOOST_TEST(fjwatch::health_json({.ok = false, .reason = "a \"b\""}) ==
             R"({"status":"degraded","reason":"a \"b\""})");
}

BOOST_AUTO_TEST_CASE(sessions_json_lists_every_field_sorted_by_id) {
  const auto doc = json::parse(fjwatch::sessions_json(some_sessions()));
  const auto& a = doc.as_array();
  BOOST_TEST_REQUIRE(a.size() == 3u);
  BOOST_TEST(a[0].at("id").as_string() == "6a0000000000000000000001");
  BOOST_TEST(a[0].at("state").as_string() == "done_stopped");
  BOOST_TEST(a[0].at("status").as_string() == "done");
  BOOST_TEST(a[0].at("events").to_number<int>() == 1);
  BOOST_TEST(a[0].at("last_poll").is_null());
  BOOST_TEST(a[0].at("next_poll").is_null());
  BOOST_TEST(a[0].at("last_error").is_null());
  const auto& p = a[1].as_object();
  BOOST_TEST(p.at("label").as_string() == "Pune \"NET\"");
  BOOST_TEST(p.at("status").as_string() == "processing");
  BOOST_TEST(p.at("state").as_string() == "active");
  BOOST_TEST(p.at("matched").to_number<int>() == 12);
  BOOST_TEST(p.at("total").to_number<int>() == 40);
  BOOST_TEST(p.at("polls").to_number<int>() == 3);
  BOOST_TEST(p.at("last_poll").as_string() == "2026-04-24T03:06:40.000Z");
  BOOST_TEST(p.at("last_poll_ms").as_int64() == 1'777'000'000'000);
  BOOST_TEST(p.at("next_poll").as_string() == "2026-04-24T03:06:45.000Z");
  BOOST_TEST(p.at("last_error").as_string() == "server_error: HTTP 503");
  BOOST_TEST(a[2].at("status").is_null());
  BOOST_TEST(fjwatch::sessions_json({}) == "[]");
}

BOOST_AUTO_TEST_CASE(metrics_text_holds_every_family_and_is_well_formed) {
  const auto now = std::chrono::steady_clock::now();
  auto deliveries = some_deliveries();
  deliveries[1].disabled = "HTTP 410 Gone since 2026-04-24T03:00:00.000Z";
  const fjwatch::database_totals db{.file_bytes = 4096000,
                                    .free_bytes = 8192,
                                    .sessions = 12,
                                    .events = 30,
                                    .deliveries = 45,
                                    .forgotten_sessions = 3,
                                    .pruned_events = 700,
                                    .pruned_deliveries = 900,
                                    .pruned_sessions = 3,
                                    .bytes_returned = 1048576};
  const auto text =
      fjwatch::metrics_text(busy_stats(), some_counts(), deliveries,
                            fjwatch::outbox_totals{.pending = 5, .failed = 1, .database = db}, now);
  const auto problems = ft::check_exposition(text);
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
  for (const std::string line :
       {"fjwatch_build_info{version=\"" FJWATCH_VERSION "\"} 1",
        "fjwatch_sessions{state=\"waiting\"} 1",
        "fjwatch_sessions{state=\"processing\"} 1",
        "fjwatch_sessions{state=\"done\"} 1",
        "fjwatch_sessions{state=\"timed_out\"} 0",
        "fjwatch_polls_total{outcome=\"ok\"} 40",
        "fjwatch_polls_total{outcome=\"server_error\"} 3",
        "fjwatch_polls_total{outcome=\"network_error\"} 0",
        "fjwatch_poll_latency_seconds_bucket{le=\"0.005\"} 1",
        "fjwatch_poll_latency_seconds_bucket{le=\"30\"} 3",
        "fjwatch_poll_latency_seconds_bucket{le=\"+Inf\"} 4",
        "fjwatch_poll_latency_seconds_count 4",
        "fjwatch_api_rate_limit_waits_total{cause=\"server\"} 1",
        "fjwatch_api_rate_limit_waits_total{cause=\"token_bucket\"} 7",
        "fjwatch_api_pipeline_depth 6",
        "fjwatch_api_connections_opened_total 4",
        "fjwatch_state_commits_total 9",
        "fjwatch_state_rows_committed_total 31",
        "fjwatch_api_auth_failing 0",
        "fjwatch_api_server_pause_seconds 0",
        "fjwatch_events_total{type=\"session.done\"} 2",
        "fjwatch_deliveries_total{action=\"journal\",outcome=\"delivered\"} 2",
        "fjwatch_deliveries_total{action=\"team-hook\",outcome=\"retried\"} 3",
        "fjwatch_deliveries_total{action=\"team-hook\",outcome=\"gone\"} 1",
        "fjwatch_action_disabled{action=\"team-hook\"} 1",
        "fjwatch_action_disabled{action=\"journal\"} 0",
        "fjwatch_outbox_deliveries{state=\"pending\"} 5",
        "fjwatch_outbox_deliveries{state=\"failed\"} 1",
        "fjwatch_database_bytes 4096000",
        "fjwatch_database_free_bytes 8192",
        "fjwatch_database_rows{table=\"sessions\"} 12",
        "fjwatch_database_rows{table=\"events\"} 30",
        "fjwatch_database_rows{table=\"deliveries\"} 45",
        "fjwatch_database_rows{table=\"forgotten_sessions\"} 3",
        "fjwatch_pruned_rows_total{table=\"events\"} 700",
        "fjwatch_pruned_rows_total{table=\"deliveries\"} 900",
        "fjwatch_pruned_rows_total{table=\"sessions\"} 3",
        "fjwatch_pruned_bytes_total 1048576",
        "fjwatch_store_full_failures_total 2",
        "fjwatch_store_full 0"}) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(text.find("\n" + line + "\n") != std::string::npos); }
  }
  auto full = busy_stats();
  full.store_write_problem = "/s/fjwatch.db: commit: database or disk is full";
  BOOST_TEST(
      fjwatch::metrics_text(full, {}, {}, std::nullopt, now).find("\nfjwatch_store_full 1\n") !=
      std::string::npos);
  const auto without_db = fjwatch::metrics_text(busy_stats(), {}, {}, std::nullopt, now);
  auto paused = busy_stats();
  paused.api_pause =
      fjwatch::server_pause{.from = now - 10s, .until = now + 890s, .cause = "HTTP 429"};
  BOOST_TEST(fjwatch::metrics_text(paused, {}, {}, std::nullopt, now)
                 .find("\nfjwatch_api_server_pause_seconds 890\n") != std::string::npos);
  BOOST_TEST(fjwatch::metrics_text(paused, {}, {}, std::nullopt, now + 900s)
                 .find("\nfjwatch_api_server_pause_seconds 0\n") != std::string::npos);
  BOOST_TEST(without_db.find("fjwatch_outbox_deliveries") == std::string::npos);
  BOOST_TEST(ft::check_exposition(without_db).empty());
}

BOOST_AUTO_TEST_CASE(metrics_text_passes_promtool,
                     *boost::unit_test::precondition(ft::promtool_installed)) {
  auto deliveries = some_deliveries();
  deliveries.push_back({.action = "odd\\name\"x"});  // escaping, as promtool reads it
  const auto text = fjwatch::metrics_text(busy_stats(), some_counts(), deliveries,
                                          fjwatch::outbox_totals{.pending = 5, .failed = 1},
                                          std::chrono::steady_clock::now());
  const auto [code, output] = ft::promtool_check(ft::find_promtool(), text);
  BOOST_TEST(code == 0, "promtool check metrics: " << output);
  BOOST_TEST(output == "");  // no lint warnings either
}

BOOST_AUTO_TEST_CASE(requests_are_routed) {
  const auto now = steady::now();
  const auto source = fixed_source(busy_stats());
  struct row {
    std::string method, target;
    int status;
    std::string content_type;
    std::string allow;
  };
  const std::vector<row> rows{
      {"GET", "/healthz", 200, "application/json", ""},
      {"HEAD", "/healthz", 200, "application/json", ""},
      {"GET", "/healthz?verbose=1", 200, "application/json", ""},
      {"GET", "/sessions", 200, "application/json", ""},
      {"GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", ""},
      {"POST", "/metrics", 405, "text/plain; charset=utf-8", "GET, HEAD"},
      {"DELETE", "/sessions", 405, "text/plain; charset=utf-8", "GET, HEAD"},
      {"GET", "/", 404, "text/plain; charset=utf-8", ""},
      {"GET", "/metrics/", 404, "text/plain; charset=utf-8", ""},
      {"POST", "/nope", 404, "text/plain; charset=utf-8", ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.method << " " << r.target) {
      const auto reply = fjwatch::answer_control(r.method, r.target, source, now, 5min);
      BOOST_TEST(reply.status == r.status);
      BOOST_TEST(reply.content_type == r.content_type);
      BOOST_TEST(reply.allow == r.allow);
      BOOST_TEST(!reply.body.empty());
    }
  }
  BOOST_TEST(fjwatch::answer_control("GET", "/healthz", source, now, 5min).body ==
             "{\"status\":\"ok\"}\n");
}

BOOST_AUTO_TEST_CASE(a_failing_database_degrades_health_and_drops_the_outbox_gauges) {
  const auto source = fixed_source(busy_stats(), true);
  const auto health = fjwatch::answer_control("GET", "/healthz", source, steady::now(), 5min);
  BOOST_TEST(health.status == 503);
  BOOST_TEST(health.body ==
             "{\"status\":\"degraded\",\"reason\":\"the database failed: "
             "/var/lib/fjwatch/fjwatch.db: disk I/O error\"}\n");
  const auto metrics = fjwatch::answer_control("GET", "/metrics", source, steady::now(), 5min);
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("fjwatch_outbox_deliveries") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_report_is_a_readable_table) {
  const std::int64_t now = 1'777'000'002'000;  // 2 s after the last poll, 3 s before the next
  const auto report = fjwatch::format_status(
      "127.0.0.1:9470", R"j({"status":"degraded","reason":"the API rejects the key (401)"})j",
      fjwatch::sessions_json(some_sessions()), now);
  BOOST_TEST_REQUIRE(report.has_value());
  const std::string expected =
      "fjwatch at 127.0.0.1:9470: degraded (the API rejects the key (401))\n"
      "3 sessions watched\n"
      "\n"
      "SESSION                   LABEL       STATE       MATCHED  EVENTS  LAST POLL  NEXT POLL  "
      "LAST ERROR\n"
      "6a0000000000000000000001  -           done        25/25    1       -          -          -\n"
      "6a0000000000000000000002  Pune \"NET\"  processing  12/40    0       2s ago     in 3s      "
      "server_error: HTTP 503\n"
      "6a0000000000000000000003  -           waiting     0/0      0       -          -          "
      "-\n";
  BOOST_TEST(*report == expected);
  BOOST_TEST(*fjwatch::format_status("unix:/run/x.sock", R"({"status":"ok"})", "[]", now) ==
             "fjwatch at unix:/run/x.sock: ok\n0 sessions watched\n");
  BOOST_TEST(fjwatch::format_status("a", "nope", "[]", now).error().what ==
             "/healthz: not a JSON object");
  // What a label, an error or the health reason holds cannot drive the terminal.
  auto hostile = some_sessions();
  hostile[0].label = "\x1b[2J\x1b]0;pwned\x07";
  hostile[1].label =
      "Pune\xe2\x80\xae"
      "TEN\r\n";
  hostile[1].last_error =
      "bad_response: \xc2\x9b"
      "31m";
  const auto escaped = fjwatch::format_status(
      "127.0.0.1:9470", R"({"status":"degraded","reason":"\u001b[5m\u202eup"})",
      fjwatch::sessions_json(hostile), now);
  BOOST_TEST_REQUIRE(escaped.has_value());
  BOOST_TEST(escaped->starts_with("fjwatch at 127.0.0.1:9470: degraded (\\x1b[5m\\u202eup)\n"));
  BOOST_TEST(escaped->find("\\x1b[2J\\x1b]0;pwned\\x07") != std::string::npos, *escaped);
  BOOST_TEST(escaped->find("Pune\\u202eTEN\\r\\n") != std::string::npos, *escaped);
  BOOST_TEST(escaped->find("bad_response: \\u009b31m") != std::string::npos, *escaped);
  for (const unsigned char c : *escaped) {
    BOOST_TEST((c >= 0x20 || c == '\n'), "a raw control byte " << int(c));
  }
  BOOST_TEST(escaped->find("\xe2\x80\xae") == std::string::npos);
  BOOST_TEST(escaped->find("\xc2\x9b") == std::string::npos);
  BOOST_TEST(fjwatch::format_status("a", "{}", "{}", now).error().what ==
             "/sessions: not a JSON array");
}
