#pragma once
// What fjwatch knows about one FJ sourcing session: its status and the fields of one answer.
#include "fjwatch/domain/session_id.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch {

// profileMatchingStatus.
enum class matching_status : std::uint8_t { processing, fetching_more, done };

std::string_view to_string(matching_status s);
// The API's spelling ("processing", "fetching_more", "done"); nullopt for any other value.
std::optional<matching_status> parse_matching_status(std::string_view text);

// The fields of one Get Session Details answer that fjwatch acts on, plus the session object as
// the API returned it (for webhook payloads). Missing optional fields are left empty / zero.
struct session_snapshot {
  matching_status status = matching_status::processing;
  std::string id;                       // _id
  std::string title;                    // sessionTitle
  std::string project;                  // projectName
  std::string project_id;               // projectId
  std::string workspace_id;             // workspaceId
  std::int64_t matched = 0;             // totalProfilesMatched
  std::int64_t total_for_matching = 0;  // totalProfilesForMatching
  std::int64_t available = 0;           // totalAvailableProfiles
  std::int64_t search_more_counter = 0;
  std::int64_t filter_changes_counter = 0;
  std::string last_candidates_fetched_at;
  std::string created_at;
  std::string updated_at;
  boost::json::object raw;  // data.session, untouched
};

}  // namespace fjwatch
