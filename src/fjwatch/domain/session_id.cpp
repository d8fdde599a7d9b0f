#include "fjwatch/domain/session_id.hpp"

namespace fjwatch {

std::optional<session_id> session_id::parse(std::string_view text) {
  if (text.size() != 24) return std::nullopt;
  session_id id;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return std::nullopt;
    id.chars_[i] = c;
  }
  return id;
}

}  // namespace fjwatch
