#include "fjwatch/domain/test_event.hpp"

#include <array>
#include <cstdio>

namespace fjwatch {

event_facts test_event_facts() {
  event_facts f;
  f.session_id = std::string(test_session_id);
  f.label = "fjwatch test-action";
  f.status = matching_status::done;
  f.title = "fjwatch test event";
  f.project = "fjwatch";
  f.matched = 3;
  f.total_for_matching = 10;
  f.available = 10;
  f.search_more_counter = 0;
  f.raw = {{"_id", f.session_id},
           {"sessionTitle", f.title},
           {"projectName", f.project},
           {"profileMatchingStatus", to_string(*f.status)},
           {"totalProfilesMatched", f.matched},
           {"totalProfilesForMatching", f.total_for_matching},
           {"totalAvailableProfiles", f.available},
           {"searchMoreCounter", f.search_more_counter}};
  return f;
}

std::string test_event_id(std::int64_t unix_ms, std::uint64_t nonce) {
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(nonce));
  return "fjw_test_" + std::to_string(unix_ms) + "_" + hex.data();
}

}  // namespace fjwatch
