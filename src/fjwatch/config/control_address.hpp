#pragma once
// Where the control endpoint listens (config `control`): the one parser the config check, the
// server and `fjwatch status` share.
#include "fjwatch/util/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch {

struct control_address {
  bool unix_socket = false;
  std::string path;  // unix: the socket's absolute path
  std::string host;  // tcp: a name, an IPv4 address or an IPv6 address (without brackets)
  std::uint16_t port = 0;
  // Whether `host` is loopback: "localhost", 127.0.0.0/8, ::1 or ::ffff:127.x.x.x (a unix socket
  // is local too). Any other name counts as remote: what it resolves to is not known here.
  bool local() const;
};

// "host:port" (with the port written) or "unix:/absolute/path" (at most 107 bytes). Fails for ""
// with "the control endpoint is off (control: \"\")", for a unix path too long with "a unix
// socket path is at most 107 bytes", and for anything else with "expected host:port,
// unix:/path or \"\"".
result<control_address> parse_control_address(std::string_view text);

}  // namespace fjwatch
