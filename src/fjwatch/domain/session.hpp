#pragma once
// What fjwatch knows about one FJ sourcing session: its id, its status, and one poll's outcome.
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch {

// A session id: a MongoDB ObjectId, 24 lowercase hex characters. Only a valid id can be built,
// so only a valid id can ever reach a URL.
class session_id {
 public:
  // Accepts 24 hex characters in any case (folded to lower); nullopt for anything else.
  static std::optional<session_id> parse(std::string_view text);

  std::string_view view() const { return {chars_.data(), chars_.size()}; }
  std::string str() const { return std::string(view()); }

  friend auto operator<=>(const session_id&, const session_id&) = default;

 private:
  session_id() = default;
  std::array<char, 24> chars_{};
};

// profileMatchingStatus.
enum class matching_status : std::uint8_t { processing, fetching_more, done };

std::string_view to_string(matching_status s);
// The API's spelling ("processing", "fetching_more", "done"); nullopt for any other value.
std::optional<matching_status> parse_matching_status(std::string_view text);

// The fields of one Get Session Details answer that fjwatch acts on, plus the session object as
// the API returned it (for webhook payloads). Missing optional fields are left empty / zero.
struct session_snapshot {
  matching_status status = matching_status::processing;
  std::string id;             // _id
  std::string title;          // sessionTitle
  std::string project;        // projectName
  std::string project_id;     // projectId
  std::string workspace_id;   // workspaceId
  std::int64_t matched = 0;             // totalProfilesMatched
  std::int64_t total_for_matching = 0;  // totalProfilesForMatching
  std::int64_t available = 0;           // totalAvailableProfiles
  std::int64_t search_more_counter = 0;
  std::int64_t filter_changes_counter = 0;
  std::string last_candidates_fetched_at;
  std::string created_at;
  std::string updated_at;
  boost::json::object raw;    // data.session, untouched
};

// The outcome of one poll: a typed value, never an exception.
struct poll_outcome {
  enum class kind : std::uint8_t {
    ok,             // 200 with the documented JSON: `session` is set
    not_modified,   // 304 to our If-None-Match: nothing changed
    unauthorized,   // 401: the API key is rejected (concerns every session)
    not_found,      // 404: this session does not exist or is in another workspace
    rate_limited,   // 429
    server_error,   // 5xx
    bad_response,   // anything else: not JSON, missing fields, unknown status, too large, 3xx...
    network_error,  // resolve, connect, TLS, timeout, reset
  };
  kind what = kind::network_error;
  std::optional<session_snapshot> session;  // set when what == ok
  std::string etag;                         // the ETag of a 200 or 304, if any
  std::string reason;                       // short, for logs; never holds the API key
  int http_status = 0;                      // 0 when no response was read
  std::string request_id;                   // X-Request-Id, if any
  // The server's wait hint: Retry-After (seconds or HTTP-date), or for a 429 without one,
  // RateLimit-Reset.
  std::optional<std::chrono::milliseconds> retry_after;
  std::string retry_after_ignored;  // a Retry-After in neither form, as sent (printable, cut)
  std::optional<std::int64_t> ratelimit_remaining;          // RateLimit-Remaining
  std::optional<std::chrono::milliseconds> ratelimit_reset;  // RateLimit-Reset
  std::chrono::microseconds latency{0};                     // request start to outcome

  bool failed() const { return what != kind::ok && what != kind::not_modified; }
};

std::string_view to_string(poll_outcome::kind k);

}  // namespace fjwatch

template <>
struct std::hash<fjwatch::session_id> {
  std::size_t operator()(const fjwatch::session_id& id) const noexcept {
    return std::hash<std::string_view>{}(id.view());
  }
};
