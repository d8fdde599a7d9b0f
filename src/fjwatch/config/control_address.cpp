#include "fjwatch/config/control_address.hpp"

#include "fjwatch/http/url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace fjwatch {
namespace {

// sockaddr_un's sun_path holds 108 bytes, the terminating NUL included.
constexpr std::size_t max_unix_path = 107;

}  // namespace

bool control_address::local() const {
  if (unix_socket || host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

result<control_address> parse_control_address(std::string_view text) {
  if (text.empty()) return fail("the control endpoint is off (control: \"\")");
  if (text.starts_with("unix:/")) {
    if (text.size() - 5 > max_unix_path) return fail("a unix socket path is at most 107 bytes");
    return control_address{.unix_socket = true, .path = std::string(text.substr(5))};
  }
  const std::size_t colon = text.rfind(':');
  const std::size_t bracket = text.rfind(']');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  const auto parts = parse_url("http://" + std::string(text));
  if (!has_port || !parts || !parts->path.empty() || text.find('/') != std::string_view::npos) {
    return fail("expected host:port, unix:/path or \"\"");
  }
  return control_address{.host = parts->host, .port = parts->port};
}

}  // namespace fjwatch
