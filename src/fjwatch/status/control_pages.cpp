// The pages of the control endpoint, built from plain values: no sockets, no clock of their own.
#include "fjwatch/status/control_pages.hpp"

#include "fjwatch/domain/event.hpp"
#include "fjwatch/status/metrics.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

namespace fjwatch {

namespace {

constexpr std::array<poll_outcome::kind, 8> poll_kinds{
    poll_outcome::kind::ok,           poll_outcome::kind::not_modified,
    poll_outcome::kind::unauthorized, poll_outcome::kind::not_found,
    poll_outcome::kind::rate_limited, poll_outcome::kind::server_error,
    poll_outcome::kind::bad_response, poll_outcome::kind::network_error};
constexpr std::array<event_type, 4> event_types{event_type::done, event_type::not_found,
                                                event_type::timeout, event_type::status_changed};
// The `state` label of fjwatch_sessions, in the order rendered.
constexpr std::array<std::string_view, 6> session_states{"waiting", "processing", "fetching_more",
                                                         "done",    "not_found",  "timed_out"};

// "5m", "1h30m": a duration for people, to the second.
std::string rounded(std::chrono::steady_clock::duration d) {
  return format_duration(std::chrono::duration_cast<std::chrono::seconds>(d));
}

boost::json::value time_or_null(std::int64_t unix_ms) {
  return unix_ms == 0 ? boost::json::value(nullptr) : boost::json::value(format_rfc3339(unix_ms));
}

boost::json::value ms_or_null(std::int64_t unix_ms) {
  return unix_ms == 0 ? boost::json::value(nullptr) : boost::json::value(unix_ms);
}

void add_session_metrics(metric_registry& r, const session_counts& c) {
  const std::array<std::size_t, session_states.size()> by_state{
      c.waiting, c.processing, c.fetching_more, c.done, c.not_found, c.timed_out};
  auto& f = r.add("fjwatch_sessions", metric_type::gauge,
                  "Watched sessions by state: waiting (no answer yet), processing, fetching_more, "
                  "done, not_found, timed_out.");
  for (std::size_t i = 0; i < session_states.size(); ++i) {
    f.sample({{"state", std::string(session_states[i])}}, static_cast<double>(by_state[i]));
  }
}

void add_api_metrics(metric_registry& r, const scheduler_stats& s,
                     std::chrono::steady_clock::time_point now) {
  auto& polls = r.add("fjwatch_polls_total", metric_type::counter, "Polls of the API by outcome.");
  for (const auto k : poll_kinds) {
    polls.sample({{"outcome", std::string(to_string(k))}},
                 static_cast<double>(s.polls_by_outcome[static_cast<std::size_t>(k)]));
  }
  r.add("fjwatch_poll_latency_seconds", metric_type::histogram,
        "Time from the start of a poll to its outcome, in seconds.")
      .sample({}, s.poll_latency);
  r.add("fjwatch_api_rate_limit_waits_total", metric_type::counter,
        "Times polling waited for a rate limit: the server's (429 or RateLimit-Remaining: 0, "
        "pausing every poll) or fjwatch's own token bucket (api.rate, one poll).")
      .sample({{"cause", "server"}}, static_cast<double>(s.server_rate_limit_pauses))
      .sample({{"cause", "token_bucket"}}, static_cast<double>(s.bucket_waits));
  r.add("fjwatch_api_pipeline_depth", metric_type::gauge,
        "Requests sent at once on one API connection: api.pipeline, or 1 after the API "
        "mishandled pipelined requests (logged as api.pipelining_off).")
      .sample({}, static_cast<double>(s.pipeline_depth));
  r.add("fjwatch_api_connections_opened_total", metric_type::counter,
        "Connections opened to the API (each with one TLS handshake for https).")
      .sample({}, static_cast<double>(s.connections_opened));
  r.add("fjwatch_state_commits_total", metric_type::counter,
        "Transactions that wrote polled sessions' state (with their events) to the database; "
        "several sessions share one when their polls end close together.")
      .sample({}, static_cast<double>(s.state_commits));
  r.add("fjwatch_state_rows_committed_total", metric_type::counter,
        "Session rows written by those transactions.")
      .sample({}, static_cast<double>(s.state_rows_committed));
  const millis pause_left = s.api_pause ? s.api_pause->left(now) : millis(0);
  r.add("fjwatch_api_server_pause_seconds", metric_type::gauge,
        "Seconds left of the pause of every poll that the API asked for (429 or "
        "RateLimit-Remaining: 0, capped at api.max_server_pause); 0 when none is in force.")
      .sample({}, static_cast<double>(pause_left.count()) / 1000.0);
  r.add("fjwatch_api_auth_failing", metric_type::gauge,
        "1 while the API rejects the key (401) and polling is paused, else 0.")
      .sample({}, s.auth_failing ? 1 : 0);
}

void add_database_metrics(metric_registry& r, const database_totals& d) {
  r.add("fjwatch_database_bytes", metric_type::gauge,
        "Size of the database file (pages in use and free; the WAL not counted).")
      .sample({}, static_cast<double>(d.file_bytes));
  r.add("fjwatch_database_free_bytes", metric_type::gauge,
        "Free pages in the database file, reused by new rows or given back by retention.")
      .sample({}, static_cast<double>(d.free_bytes));
  r.add("fjwatch_database_rows", metric_type::gauge, "Rows in the database, by table.")
      .sample({{"table", "sessions"}}, static_cast<double>(d.sessions))
      .sample({{"table", "events"}}, static_cast<double>(d.events))
      .sample({{"table", "deliveries"}}, static_cast<double>(d.deliveries))
      .sample({{"table", "forgotten_sessions"}}, static_cast<double>(d.forgotten_sessions));
  r.add("fjwatch_pruned_rows_total", metric_type::counter,
        "Rows retention deleted since start, by table.")
      .sample({{"table", "events"}}, static_cast<double>(d.pruned_events))
      .sample({{"table", "deliveries"}}, static_cast<double>(d.pruned_deliveries))
      .sample({{"table", "sessions"}}, static_cast<double>(d.pruned_sessions));
  r.add("fjwatch_pruned_bytes_total", metric_type::counter,
        "Bytes the database file gave back to the file system since start.")
      .sample({}, static_cast<double>(d.bytes_returned));
}

void add_delivery_metrics(metric_registry& r, const scheduler_stats& s,
                          const std::vector<delivery_counts>& deliveries,
                          const std::optional<outbox_totals>& outbox) {
  auto& events = r.add("fjwatch_events_total", metric_type::counter, "Events recorded, by type.");
  for (const auto t : event_types) {
    events.sample({{"type", std::string(to_string(t))}},
                  static_cast<double>(s.events_by_type[static_cast<std::size_t>(t)]));
  }
  auto& d = r.add("fjwatch_deliveries_total", metric_type::counter,
                  "Delivery attempts by action and outcome: delivered, retried (failed, tried "
                  "again later), failed (given up), gone (the receiver answered 410).");
  for (const auto& c : deliveries) {
    d.sample({{"action", c.action}, {"outcome", "delivered"}}, static_cast<double>(c.delivered));
    d.sample({{"action", c.action}, {"outcome", "retried"}}, static_cast<double>(c.retried));
    d.sample({{"action", c.action}, {"outcome", "failed"}}, static_cast<double>(c.failed));
    d.sample({{"action", c.action}, {"outcome", "gone"}}, static_cast<double>(c.gone));
  }
  auto& disabled = r.add("fjwatch_action_disabled", metric_type::gauge,
                         "1 while the action is disabled (its receiver answered 410 Gone) and its "
                         "deliveries are held until `fjwatch enable`, else 0.");
  for (const auto& c : deliveries) {
    disabled.sample({{"action", c.action}}, c.disabled.empty() ? 0 : 1);
  }
  if (outbox) {
    r.add("fjwatch_outbox_deliveries", metric_type::gauge,
          "Deliveries in the outbox: pending (waiting for an attempt) and failed (given up, kept "
          "for fjwatch redeliver).")
        .sample({{"state", "pending"}}, static_cast<double>(outbox->pending))
        .sample({{"state", "failed"}}, static_cast<double>(outbox->failed));
  }
  if (outbox && outbox->database) add_database_metrics(r, *outbox->database);
  r.add("fjwatch_store_full_failures_total", metric_type::counter,
        "Writes to the database that failed because the disk was full; each was rolled back "
        "and is tried again.")
      .sample({}, static_cast<double>(s.store_full_failures));
  r.add("fjwatch_store_full", metric_type::gauge,
        "1 from a write that failed because the disk was full until a write succeeds, else 0.")
      .sample({}, s.store_write_problem.empty() ? 0 : 1);
}

control_reply json_reply(int status, std::string body) {
  return control_reply{
      .status = status, .content_type = "application/json", .body = std::move(body)};
}

}  // namespace

health_report judge_health(const scheduler_stats& s, std::string_view database_problem,
                           std::chrono::steady_clock::time_point now, millis unreachable_after,
                           const std::vector<delivery_counts>& deliveries) {
  std::vector<std::string> problems;
  for (const auto& d : deliveries) {
    if (d.disabled.empty()) continue;
    problems.push_back("action " + d.action + " is disabled (" + d.disabled +
                       "): its deliveries are held until `fjwatch enable " + d.action + "`");
  }
  if (s.auth_failing) problems.emplace_back("the API rejects the key (401): polling is paused");
  if (s.api_failing_since && now - *s.api_failing_since >= unreachable_after) {
    problems.push_back("the API has been unreachable for " + rounded(now - *s.api_failing_since) +
                       " (" + s.api_last_failure + ")");
  }
  if (s.api_pause && s.api_pause->long_at(now)) {
    const auto& p = *s.api_pause;
    problems.push_back("the API asked to pause polling for " + rounded(p.until - p.from) + " (" +
                       p.cause + "): polling resumes at " + format_rfc3339(p.until_unix_ms));
  }
  if (!database_problem.empty()) {
    problems.push_back("the database failed: " + std::string(database_problem));
  }
  if (!s.store_write_problem.empty()) {
    problems.push_back("the database cannot be written (" + s.store_write_problem +
                       "): new events and delivery outcomes wait and are retried");
  }
  health_report h;
  for (const auto& p : problems) h.reason += (h.reason.empty() ? "" : "; ") + p;
  h.ok = problems.empty();
  return h;
}

std::string health_json(const health_report& h) {
  boost::json::object o;
  o["status"] = h.ok ? "ok" : "degraded";
  if (!h.ok) o["reason"] = h.reason;
  return boost::json::serialize(o);
}

std::string sessions_json(std::vector<session_view> sessions) {
  std::ranges::sort(sessions, {}, &session_view::id);
  boost::json::array out;
  out.reserve(sessions.size());
  for (const auto& v : sessions) {
    boost::json::object o;
    o["id"] = v.id;
    o["label"] = v.label;
    o["status"] = v.status ? boost::json::value(to_string(*v.status)) : nullptr;
    o["state"] = to_string(v.phase);
    o["matched"] = v.matched;
    o["total"] = v.total_for_matching;
    o["polls"] = v.polls;
    o["events"] = v.events;
    o["last_poll"] = time_or_null(v.last_poll_ms);
    o["last_poll_ms"] = ms_or_null(v.last_poll_ms);
    o["next_poll"] = time_or_null(v.next_poll_ms);
    o["next_poll_ms"] = ms_or_null(v.next_poll_ms);
    o["last_error"] =
        v.last_error.empty() ? boost::json::value(nullptr) : boost::json::value(v.last_error);
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

std::string metrics_text(const scheduler_stats& s, const session_counts& sessions,
                         const std::vector<delivery_counts>& deliveries,
                         const std::optional<outbox_totals>& outbox,
                         std::chrono::steady_clock::time_point now) {
  metric_registry r;
  r.add("fjwatch_build_info", metric_type::gauge, "The running fjwatch; always 1.")
      .sample({{"version", FJWATCH_VERSION}}, 1);
  add_session_metrics(r, sessions);
  add_api_metrics(r, s, now);
  add_delivery_metrics(r, s, deliveries, outbox);
  return r.render();
}

control_reply answer_control(std::string_view method, std::string_view target,
                             const control_source& source,
                             std::chrono::steady_clock::time_point now, millis unreachable_after) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/healthz" && path != "/metrics" && path != "/sessions") {
    return control_reply{.status = 404, .body = "not found: try /healthz, /metrics or /sessions\n"};
  }
  if (method != "GET" && method != "HEAD") {
    return control_reply{
        .status = 405, .body = "method not allowed: use GET\n", .allow = "GET, HEAD"};
  }
  if (path == "/sessions") return json_reply(200, sessions_json(source.sessions()) + "\n");
  std::optional<outbox_totals> outbox;
  std::string database_problem;
  try {
    outbox = source.outbox();
  } catch (const std::exception& e) {
    database_problem = e.what();
  }
  const auto stats = source.stats();
  if (path == "/metrics") {
    return control_reply{
        .content_type = "text/plain; version=0.0.4; charset=utf-8",
        .body = metrics_text(stats, source.counts(), source.deliveries(), outbox, now)};
  }
  const auto health =
      judge_health(stats, database_problem, now, unreachable_after, source.deliveries());
  return json_reply(health.ok ? 200 : 503, health_json(health) + "\n");
}

}  // namespace fjwatch
