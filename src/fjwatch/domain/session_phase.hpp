#pragma once
// Where a watched session stands in fjwatch's own life cycle (beside its status at the API).
#include <cstdint>
#include <optional>
#include <string_view>

namespace fjwatch {

// Only `active` sessions are polled; the others ended (done and not watched further, 404, or
// give_up_after passed).
enum class session_phase : std::uint8_t { active, done_stopped, not_found, timed_out };

// "active", "done_stopped", "not_found", "timed_out"; "unknown" outside the enum.
std::string_view to_string(session_phase p);
// The inverse of to_string; nullopt for any other text.
std::optional<session_phase> parse_session_phase(std::string_view text);

}  // namespace fjwatch
