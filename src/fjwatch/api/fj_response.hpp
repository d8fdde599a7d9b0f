#pragma once
// Turning one HTTP answer of Get Session Details into a poll_outcome. Pure: no sockets, no clock
// except the `now` passed in, so every case is tested directly.
#include "fjwatch/http/http_date.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fjwatch {

// Largest body accepted from the API; a longer one is a bad_response "body too large".
inline constexpr std::size_t max_api_body = 1024 * 1024;
// JSON nested deeper than this is rejected before Boost.JSON sees it.
inline constexpr int max_json_depth = 64;

// {"data":{"session":{...}}} into a snapshot. Fails with a short reason: "not JSON",
// "nested too deep", "no data.session", "no data.session.profileMatchingStatus",
// "unknown profileMatchingStatus \"x\"", "no data.session._id" (absent, null, empty or not a
// string), "negative data.session.<count>" (totalProfilesMatched, totalProfilesForMatching,
// searchMoreCounter). Other fields are optional; a field of the wrong type is treated as absent.
// Extra fields are ignored. Text that is not valid UTF-8 (or a lone \uD800-\uDFFF escape) does
// not fail the parse: each bad piece reads as U+FFFD.
result<session_snapshot> parse_session_body(std::string_view body);

// The response headers classify_response looks at, as received ("" when absent).
struct response_headers {
  std::string_view etag;
  std::string_view retry_after;
  std::string_view ratelimit_remaining;
  std::string_view ratelimit_reset;
  std::string_view request_id;
  std::string_view location;
};

// Maps status + headers + body to an outcome: 200 -> ok (or bad_response when the body is not
// the documented JSON), 304 -> not_modified, 401, 404, 429, 5xx, 3xx -> bad_response "redirect
// to <location> not followed", anything else -> bad_response "unexpected HTTP <n>".
// retry_after is Retry-After, or for a 429 without one, RateLimit-Reset. latency is left for
// the caller.
poll_outcome classify_response(int status, const response_headers& headers, std::string_view body,
                               std::chrono::system_clock::time_point now);

// A 200 whose data.session._id names another session than the one asked for (`requested`, 24
// lowercase hex) becomes a bad_response "answer for another session (<id>)": its facts must never
// be taken for the requested session's (parse_session_body already refused one without _id).
void check_answer_is_for(poll_outcome& out, std::string_view requested);

}  // namespace fjwatch
