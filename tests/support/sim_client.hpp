#pragma once
// A small HTTP(S) client and loop harness for the simulator's tests (real sockets on 127.0.0.1).
#include "sim/sim.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace fjwatch::sim::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

inline std::string session_path(const std::string& id) {
  return "/api/v1/wl/sourcing-session/" + id;
}

// Trivially destructible on purpose: GCC 12 may corrupt a class temporary that lives across a
// co_await, so callers' temporaries of this type must have nothing to destroy.
struct request_options {
  const char* key = "fjk_sim_key";  // nullptr: no x-fj-api-key header
  std::string_view if_none_match;   // must outlive the get() call only
  bool close = false;               // Connection: close
  std::chrono::milliseconds timeout{3000};
};

struct answer {
  boost::system::error_code ec;  // of the header read, else of the body read
  bool header_read = false;
  http::response<http::string_body> res;
  std::chrono::milliseconds took{0};
  std::string header(std::string_view name) const {
    const auto it = res.find(name);
    return it == res.end() ? std::string() : std::string(it->value());
  }
};

// One connection to the simulator; TLS verifies the sim's CA and the name "localhost".
template <class Stream>
class basic_client {
 public:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  basic_client(asio::any_io_executor ex, const server& srv)
      : port_(srv.port()), tls_ctx_(ssl::context::tls_client), stream_(make_stream(ex, srv)) {}

  asio::awaitable<boost::system::error_code> connect() {
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(std::chrono::seconds(3));
    auto [ec] = co_await lowest.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), use_tuple);
    if (ec) co_return ec;
    if constexpr (is_tls) {
      SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
      auto [hec] = co_await stream_.async_handshake(ssl::stream_base::client, use_tuple);
      co_return hec;
    }
    co_return ec;
  }

  // Neither overload is a coroutine nor has a default argument (GCC 12, see request_options).
  asio::awaitable<answer> get(const std::string& target) { return get(target, request_options()); }
  asio::awaitable<answer> get(const std::string& target, const request_options& o) {
    auto req = std::make_unique<http::request<http::empty_body>>(http::verb::get, target, 11);
    req->set(http::field::host, "localhost");
    if (o.key) req->set("x-fj-api-key", o.key);
    if (!o.if_none_match.empty()) req->set(http::field::if_none_match, o.if_none_match);
    req->keep_alive(!o.close);
    return exchange(std::move(req), o.timeout);
  }

  // Whether the server closed the connection: a read within `bound` ends in EOF or an error.
  asio::awaitable<bool> closed_by_peer(std::chrono::milliseconds bound) {
    beast::get_lowest_layer(stream_).expires_after(bound);
    char byte;
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(&byte, 1), use_tuple);
    co_return ec&& ec != beast::error::timeout;
  }

  void close() { beast::get_lowest_layer(stream_).close(); }

 private:
  Stream make_stream(asio::any_io_executor ex, const server& srv) {
    if constexpr (is_tls) {
      tls_ctx_.add_certificate_authority(asio::buffer(srv.ca_pem()));
      tls_ctx_.set_verify_mode(ssl::verify_peer);
      Stream s(ex, tls_ctx_);
      s.set_verify_callback(ssl::host_name_verification("localhost"));
      return s;
    } else {
      return Stream(ex);
    }
  }

  asio::awaitable<answer> exchange(std::unique_ptr<http::request<http::empty_body>> req,
                                   std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    answer a;
    beast::get_lowest_layer(stream_).expires_after(timeout);
    auto [wec, wn] = co_await http::async_write(stream_, *req, use_tuple);
    a.ec = wec;
    if (!wec) co_await read(a);
    a.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    co_return a;
  }

  asio::awaitable<void> read(answer& a) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    auto [hec, hn] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    a.ec = hec;
    a.header_read = !hec;
    if (!hec) {
      auto [bec, bn] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
      a.ec = bec;
    }
    a.res = parser.release();
  }

  std::uint16_t port_;
  ssl::context tls_ctx_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

using tls_client = basic_client<beast::ssl_stream<beast::tcp_stream>>;
using plain_client = basic_client<beast::tcp_stream>;

// An io_context and a simulator; run() drives one test coroutine to its end, then stops the
// server, and checks that the loop ran out of work within the bound.
struct harness {
  asio::io_context ioc;
  server srv;

  explicit harness(options o = {}) : srv(ioc, std::move(o)) {}

  void run(std::function<asio::awaitable<void>()> body,
           std::chrono::seconds bound = std::chrono::seconds(5)) {
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          co_await body();
          finished = true;
        },
        [&](std::exception_ptr e) {
          failure = e;
          srv.stop();
        });
    ioc.run_for(bound);
    if (failure) std::rethrow_exception(failure);
    BOOST_TEST(finished);
    BOOST_TEST(ioc.stopped());  // the server left no work behind after stop()
  }

  // Waits `d` on the loop (for scripts that move with time), without blocking it.
  asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(ioc, d);
    co_await t.async_wait(asio::use_awaitable);
  }
};

}  // namespace fjwatch::sim::testing
