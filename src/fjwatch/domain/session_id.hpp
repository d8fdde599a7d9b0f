#pragma once
// A session id: what a watch list names, what reaches the API's URL.
#include <array>
#include <compare>
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

}  // namespace fjwatch

template <>
struct std::hash<fjwatch::session_id> {
  std::size_t operator()(const fjwatch::session_id& id) const noexcept {
    return std::hash<std::string_view>{}(id.view());
  }
};
