#include "fjwatch/domain/event.hpp"

#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <boost/json.hpp>

#include <array>

namespace fjwatch {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> event_names{"session.done", "session.not_found",
                                                      "session.timeout", "session.status_changed",
                                                      "fjwatch.test"};

}  // namespace

std::string_view to_string(event_type t) { return event_names[static_cast<std::size_t>(t)]; }

std::optional<event_type> parse_event_type(std::string_view text) {
  for (std::size_t i = 0; i < event_names.size(); ++i) {
    if (event_names[i] == text) return static_cast<event_type>(i);
  }
  return std::nullopt;
}

event_facts facts_from(const session_id& id, std::string_view label, const session_snapshot& s) {
  event_facts f;
  f.session_id = id.str();
  f.label = std::string(label);
  f.status = s.status;
  f.title = s.title;
  f.project = s.project;
  f.matched = s.matched;
  f.total_for_matching = s.total_for_matching;
  f.available = s.available;
  f.search_more_counter = s.search_more_counter;
  f.raw = s.raw;
  return f;
}

std::string event_id(event_type t, const event_facts& f) {
  const std::string base = "fjw_" + f.session_id;
  const std::string counter = std::to_string(f.search_more_counter);
  switch (t) {
    case event_type::done:
      return base + "_done_" + counter;
    case event_type::not_found:
      return base + "_not_found";
    case event_type::timeout:
      return base + "_timeout_" + counter;
    case event_type::status_changed:
      return base + "_status_" + counter + "_" +
             std::string(f.status ? to_string(*f.status) : "unknown");
    case event_type::test:
      return base + "_test";
  }
  return base;
}

std::string event_payload(event_type t, const event_facts& f, std::int64_t unix_ms) {
  json::object data;
  data["session_id"] = f.session_id;
  data["label"] = f.label.empty() ? json::value(nullptr) : json::value(f.label);
  data["title"] = f.title;
  data["project"] = f.project;
  data["status"] = f.status ? json::value(to_string(*f.status)) : json::value(nullptr);
  data["matched"] = f.matched;
  data["total_for_matching"] = f.total_for_matching;
  data["available"] = f.available;
  data["search_more_counter"] = f.search_more_counter;
  data["session"] = f.raw.empty() ? json::value(nullptr) : json::value(f.raw);
  json::object root;
  root["type"] = to_string(t);
  root["timestamp"] = format_rfc3339(unix_ms);
  root["data"] = std::move(data);
  return json::serialize(root);
}

}  // namespace fjwatch
