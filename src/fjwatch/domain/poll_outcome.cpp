#include "fjwatch/domain/poll_outcome.hpp"

namespace fjwatch {

std::string_view to_string(poll_outcome::kind k) {
  using enum poll_outcome::kind;
  switch (k) {
    case ok:
      return "ok";
    case not_modified:
      return "not_modified";
    case unauthorized:
      return "unauthorized";
    case not_found:
      return "not_found";
    case rate_limited:
      return "rate_limited";
    case server_error:
      return "server_error";
    case bad_response:
      return "bad_response";
    case network_error:
      return "network_error";
  }
  return "unknown";
}

}  // namespace fjwatch
