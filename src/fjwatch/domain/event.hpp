#pragma once
// Events fjwatch fires: their types, fields, stable ids and JSON payload.
#include "fjwatch/domain/session.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch {

// `test` is the synthetic event of `fjwatch test-action` (domain/test_event.hpp): never recorded,
// never routed by an action's `on:` list.
enum class event_type : std::uint8_t { done, not_found, timeout, status_changed, test };

// "session.done", "session.not_found", "session.timeout", "session.status_changed",
// "fjwatch.test".
std::string_view to_string(event_type t);
std::optional<event_type> parse_event_type(std::string_view text);

// What an event says of its session, as templates, the CLI and the store read it: the payload's
// "data" without the raw session object. For session.done and session.status_changed the snapshot
// of the poll that caused it; for not_found and timeout the last stored values.
struct event_fields {
  std::string session_id;
  std::string label;
  std::optional<matching_status> status;
  std::string title;
  std::string project;
  std::int64_t matched = 0;
  std::int64_t total_for_matching = 0;
  std::int64_t available = 0;
  std::int64_t search_more_counter = 0;
};

// The fields plus the session object as the API returned it (raw stays empty when the API never
// answered 200). Only the payload carries raw; a copy as event_fields drops it.
struct event_facts : event_fields {
  boost::json::object raw;
};

// Builds facts from a snapshot.
event_facts facts_from(const session_id& id, std::string_view label, const session_snapshot& s);

// The stable id of an event: the same for the same cause on every retry and after a restart.
//   session.done            fjw_<id>_done_<searchMoreCounter>
//   session.not_found       fjw_<id>_not_found
//   session.timeout         fjw_<id>_timeout_<searchMoreCounter>
//   session.status_changed  fjw_<id>_status_<searchMoreCounter>_<status>
//   fjwatch.test            fjw_<id>_test (a test-action run uses test_event_id() instead)
std::string event_id(event_type t, const event_facts& f);

// The event as delivered: {"type", "timestamp" (RFC 3339 UTC, from unix_ms), "data": {session_id,
// label, title, project, status, matched, total_for_matching, available, search_more_counter,
// session}}. Serialized once, when the event is created, and stored: every delivery of one event
// sends the same bytes.
std::string event_payload(event_type t, const event_facts& f, std::int64_t unix_ms);

}  // namespace fjwatch
