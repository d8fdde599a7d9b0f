#include "fjwatch/domain/session_phase.hpp"

#include <array>

namespace fjwatch {
namespace {

constexpr std::array<std::string_view, 4> phase_names{"active", "done_stopped", "not_found",
                                                      "timed_out"};

}  // namespace

std::string_view to_string(session_phase p) {
  const auto i = static_cast<std::size_t>(p);
  return i < phase_names.size() ? phase_names[i] : "unknown";
}

std::optional<session_phase> parse_session_phase(std::string_view text) {
  for (std::size_t i = 0; i < phase_names.size(); ++i) {
    if (phase_names[i] == text) return static_cast<session_phase>(i);
  }
  return std::nullopt;
}

}  // namespace fjwatch
