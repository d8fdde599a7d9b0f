#pragma once
// The synthetic event `fjwatch test-action` sends through an action: type fjwatch.test, for a
// fixed session that is obviously fake, built by the same code as every real event's payload.
#include "fjwatch/domain/event.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch {

// The test event's session: a well-formed id (session_id::parse accepts it) that no real session
// has, 24 zeros.
inline constexpr std::string_view test_session_id = "000000000000000000000000";

// The test event's facts: session test_session_id, label "fjwatch test-action", title "fjwatch
// test event", project "fjwatch", status done, 3 of 10 profiles matched, 10 available, search more
// counter 0; raw is a session object of the API's shape (_id, sessionTitle, projectName,
// profileMatchingStatus, the counts) holding the same values.
event_facts test_event_facts();

// A test event's id, "fjw_test_<unix_ms>_<nonce as 16 lowercase hex digits>": the caller passes
// a fresh time and random nonce, so that a receiver that drops a webhook-id it has seen takes
// every test.
std::string test_event_id(std::int64_t unix_ms, std::uint64_t nonce);

}  // namespace fjwatch
