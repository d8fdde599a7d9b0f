#pragma once
// Private to the service module: what the control endpoint's server (control_server.cpp) and
// client (control_client.cpp) share.
#include "fjwatch/config/control_address.hpp"
#include "fjwatch/util/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>

#include <string>

namespace fjwatch::control_detail {

// TCP and unix sockets alike, with Beast's per-operation deadlines.
using proto = boost::asio::generic::stream_protocol;
using stream_type = boost::beast::basic_stream<proto, boost::asio::any_io_executor,
                                               boost::beast::unlimited_rate_policy>;

// Where to listen or connect: the config's `control` (config/control_address.hpp).
using control_target = control_address;

// The address to listen on or connect to; fails for "" (the endpoint is off) and anything else
// the config would refuse.
inline result<control_target> parse_target(const std::string& address) {
  return parse_control_address(address);
}

}  // namespace fjwatch::control_detail
