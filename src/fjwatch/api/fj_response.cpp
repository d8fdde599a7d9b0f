// Get Session Details: the JSON body into a snapshot, one HTTP answer into a poll_outcome.
#include "fjwatch/api/fj_response.hpp"
#include "fjwatch/util/text.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/http/http_date.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>

namespace fjwatch {
namespace {

namespace json = boost::json;

// Longest piece of server-supplied text (a status value, a Location) copied into a reason.
constexpr std::size_t max_echo = 200;

// True when `text` nests arrays/objects deeper than `limit`. Brackets inside strings do not count.
bool nested_too_deep(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// Printable ASCII only, at most max_echo characters, so a reason stays one short log-safe line.
std::string echo(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, max_echo)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max_echo) out += "...";
  return out;
}

std::string string_field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

// An integer sent as int64, uint64 or an integral double; anything else counts as absent (0).
std::int64_t int_field(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return 0;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64()) {
    return *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? static_cast<std::int64_t>(*u)
               : 0;
  }
  if (const auto* d = v->if_double()) {
    constexpr double limit = 9.2e18;
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < limit) {
      return static_cast<std::int64_t>(*d);
    }
  }
  return 0;
}

// The counts a session's progress and its events are made of; a negative one is not a count.
constexpr std::array<std::string_view, 3> count_fields{
    "totalProfilesMatched", "totalProfilesForMatching", "searchMoreCounter"};

void fill_fields(const json::object& s, session_snapshot& out) {
  out.id = string_field(s, "_id");
  out.title = string_field(s, "sessionTitle");
  out.project = string_field(s, "projectName");
  out.project_id = string_field(s, "projectId");
  out.workspace_id = string_field(s, "workspaceId");
  out.matched = int_field(s, "totalProfilesMatched");
  out.total_for_matching = int_field(s, "totalProfilesForMatching");
  out.available = int_field(s, "totalAvailableProfiles");
  out.search_more_counter = int_field(s, "searchMoreCounter");
  out.filter_changes_counter = int_field(s, "filterChangesCounter");
  out.last_candidates_fetched_at = string_field(s, "lastCandidatesFetchedAt");
  out.created_at = string_field(s, "createdAt");
  out.updated_at = string_field(s, "updatedAt");
}

std::string http_reason(int status) { return "HTTP " + std::to_string(status); }

std::optional<std::chrono::milliseconds> seconds_header(std::string_view value) {
  const auto n = parse_header_int(value);
  if (!n) return std::nullopt;
  constexpr std::int64_t max_seconds = 24 * 60 * 60;
  return std::chrono::seconds(std::min(*n, max_seconds));
}

// The body as JSON. A body that fails only for its text (invalid UTF-8, a lone surrogate escape)
// is parsed again repaired, each bad piece as U+FFFD: a title's bytes must never decide whether
// a session's status is read.
result<json::value> parse_json(std::string_view body) {
  if (nested_too_deep(body, max_json_depth)) return fail("nested too deep");
  json::parse_options options;
  options.max_depth = max_json_depth + 1;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec, json::storage_ptr(), options);
  if (!ec) return root;
  const std::string repaired = repair_json_text(body);
  if (repaired == body) return fail("not JSON");
  ec = {};
  root = json::parse(repaired, ec, json::storage_ptr(), options);
  if (ec) return fail("not JSON");
  return root;
}

}  // namespace

result<session_snapshot> parse_session_body(std::string_view body) {
  auto parsed_root = parse_json(body);
  if (!parsed_root) return parsed_root.error();
  json::value& root = *parsed_root;

  json::object* session = nullptr;
  if (auto* top = root.if_object()) {
    if (auto* data = top->if_contains("data"); data != nullptr && data->is_object()) {
      if (auto* s = data->get_object().if_contains("session"); s != nullptr) {
        session = s->if_object();
      }
    }
  }
  if (session == nullptr) return fail("no data.session");

  const json::value* status = session->if_contains("profileMatchingStatus");
  if (status == nullptr || !status->is_string()) {
    return fail("no data.session.profileMatchingStatus");
  }
  const std::string_view status_text = status->get_string();
  const auto parsed = parse_matching_status(status_text);
  if (!parsed) return fail("unknown profileMatchingStatus \"" + echo(status_text) + "\"");

  // The answer must say whose it is (check_answer_is_for compares it with the request).
  const json::value* id = session->if_contains("_id");
  if (id == nullptr || !id->is_string() || id->get_string().empty()) {
    return fail("no data.session._id");
  }
  for (const auto key : count_fields) {
    if (int_field(*session, key) < 0) return fail("negative data.session." + std::string(key));
  }

  session_snapshot out;
  out.status = *parsed;
  fill_fields(*session, out);
  out.raw = std::move(*session);
  return out;
}

poll_outcome classify_response(int status, const response_headers& headers, std::string_view body,
                               std::chrono::system_clock::time_point now) {
  using kind = poll_outcome::kind;
  poll_outcome out;
  out.http_status = status;
  out.request_id = std::string(headers.request_id);
  out.ratelimit_remaining = parse_header_int(headers.ratelimit_remaining);
  out.ratelimit_reset = seconds_header(headers.ratelimit_reset);
  out.retry_after = parse_retry_after(headers.retry_after, now);
  if (!out.retry_after && !headers.retry_after.empty())
    out.retry_after_ignored = echo(headers.retry_after);
  // RateLimit-Reset says when the window resets, which only matters once it is exhausted.
  if (!out.retry_after && status == 429) out.retry_after = out.ratelimit_reset;

  if (status == 200) {
    auto parsed = parse_session_body(body);
    if (parsed) {
      out.what = kind::ok;
      out.session = std::move(*parsed);
      out.etag = std::string(headers.etag);
    } else {
      out.what = kind::bad_response;
      out.reason = parsed.error().what;
    }
  } else if (status == 304) {
    out.what = kind::not_modified;
    out.etag = std::string(headers.etag);
  } else if (status == 401 || status == 404 || status == 429 || (status >= 500 && status <= 599)) {
    out.what = status == 401   ? kind::unauthorized
               : status == 404 ? kind::not_found
               : status == 429 ? kind::rate_limited
                               : kind::server_error;
    out.reason = http_reason(status);
  } else if (status >= 300 && status <= 399) {
    out.what = kind::bad_response;
    out.reason =
        "redirect to " +
        (headers.location.empty() ? std::string("(no location)") : echo(headers.location)) +
        " not followed";
  } else {
    out.what = kind::bad_response;
    out.reason = "unexpected " + http_reason(status);
  }
  return out;
}

void check_answer_is_for(poll_outcome& out, std::string_view requested) {
  if (out.what != poll_outcome::kind::ok || !out.session) return;
  const auto same =
      std::equal(out.session->id.begin(), out.session->id.end(), requested.begin(), requested.end(),
                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  if (same) return;
  out.what = poll_outcome::kind::bad_response;
  out.reason = "answer for another session (" + echo(out.session->id) + ")";
  out.session.reset();
  out.etag.clear();
}

}  // namespace fjwatch
