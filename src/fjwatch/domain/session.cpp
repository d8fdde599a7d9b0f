#include "fjwatch/domain/session.hpp"

namespace fjwatch {

std::string_view to_string(matching_status s) {
  switch (s) {
    case matching_status::processing:
      return "processing";
    case matching_status::fetching_more:
      return "fetching_more";
    case matching_status::done:
      return "done";
  }
  return "unknown";
}

std::optional<matching_status> parse_matching_status(std::string_view text) {
  if (text == "processing") return matching_status::processing;
  if (text == "fetching_more") return matching_status::fetching_more;
  if (text == "done") return matching_status::done;
  return std::nullopt;
}

}  // namespace fjwatch
