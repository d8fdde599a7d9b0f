#pragma once
// Listening that can be switched off and on again on the same port (the simulator's and the
// receiver's go_down / go_up): an acceptor, and beside it a socket bound to the same port that
// never listens, so that while the acceptor is closed connects are refused and nothing else
// takes the port.
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>

namespace fjwatch::sim {

// Opens `acceptor` on `ep` and listens; on first use also binds `holder` (not listening) to the
// same port. Both use reuse_address. Returns the port (the kernel's pick when ep's is 0). On
// failure the acceptor is closed again and the error thrown (boost::system::system_error).
inline std::uint16_t listen_held(boost::asio::ip::tcp::acceptor& acceptor,
                                 boost::asio::ip::tcp::socket& holder,
                                 const boost::asio::ip::tcp::endpoint& ep) {
  using tcp = boost::asio::ip::tcp;
  try {
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);  // beside holder: neither listens, both reuse_address
    const std::uint16_t port = acceptor.local_endpoint().port();
    if (!holder.is_open()) {
      holder.open(ep.protocol());
      holder.set_option(tcp::socket::reuse_address(true));
      holder.bind(tcp::endpoint(ep.address(), port));
    }
    acceptor.listen(boost::asio::socket_base::max_listen_connections);
    return port;
  } catch (...) {
    boost::system::error_code ec;
    acceptor.close(ec);
    throw;
  }
}

}  // namespace fjwatch::sim
