#pragma once
// Private to the control module: what the server (control.cpp) and the client
// (control_client.cpp) share.
#include "fjwatch/util/result.hpp"
#include "fjwatch/util/units.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>

#include <cstdint>
#include <string>

namespace fjwatch::control_detail {

// TCP and unix sockets alike, with Beast's per-operation deadlines.
using proto = boost::asio::generic::stream_protocol;
using stream_type =
    boost::beast::basic_stream<proto, boost::asio::any_io_executor, boost::beast::unlimited_rate_policy>;

// Where to listen or connect, from the config's `control`.
struct control_target {
  bool unix_socket = false;
  std::string path;  // unix
  std::string host;  // tcp
  std::uint16_t port = 0;
};

// "host:port" or "unix:/path" as the config has it; fails for "" (the endpoint is off) and for
// anything else.
inline result<control_target> parse_target(const std::string& address) {
  if (address.empty()) return fail("the control endpoint is off (control: \"\")");
  if (address.starts_with("unix:/")) return control_target{.unix_socket = true, .path = address.substr(5)};
  const auto u = parse_url("http://" + address);
  if (!u || !u->path.empty()) return fail("expected host:port or unix:/path");
  return control_target{.host = u->host, .port = u->port};
}

}  // namespace fjwatch::control_detail
