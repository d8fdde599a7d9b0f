// The client of the control endpoint that `fjwatch status` uses.
#include "fjwatch/service/control_client.hpp"

#include "fjwatch/service/detail/control_target.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <vector>

namespace fjwatch {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using steady = std::chrono::steady_clock;
using control_detail::control_target;
using control_detail::proto;
using control_detail::stream_type;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Why one step of control_get failed: "timeout after 2s" or "<step>: <message>".
failure step_failure(std::string_view step, const boost::system::error_code& ec, millis timeout) {
  if (ec == beast::error::timeout) return fail("timeout after " + format_duration(timeout));
  return fail(std::string(step) + ": " + ec.message());
}

// The endpoints to try, in order: the socket file, or host:port resolved.
asio::awaitable<result<std::vector<proto::endpoint>>> endpoints_of(const control_target& t) {
  std::vector<proto::endpoint> out;
  if (t.unix_socket) {
    out.emplace_back(asio::local::stream_protocol::endpoint(t.path));
    co_return out;
  }
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  const std::string port = std::to_string(t.port);
  auto [ec, results] = co_await resolver.async_resolve(t.host, port, use_tuple);
  if (ec) co_return fail("resolve " + t.host + ": " + ec.message());
  for (const auto& r : results) out.emplace_back(r.endpoint());
  co_return out;
}

asio::awaitable<result<control_response>> fetch(control_target t, std::string target,
                                                millis timeout) {
  const auto deadline = steady::now() + timeout;
  stream_type stream(co_await asio::this_coro::executor);
  auto endpoints = co_await endpoints_of(t);
  if (!endpoints) co_return endpoints.error();
  boost::system::error_code ec;
  for (const auto& ep : *endpoints) {
    stream.expires_at(deadline);
    auto [cec] = co_await stream.async_connect(ep, use_tuple);
    ec = cec;
    if (!ec || ec == beast::error::timeout) break;
    stream.close();
  }
  if (ec) co_return step_failure("connect", ec, timeout);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, t.unix_socket ? "localhost" : t.host);
  req.set(http::field::user_agent, "fjwatch/" FJWATCH_VERSION);
  req.keep_alive(false);
  stream.expires_at(deadline);
  auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
  if (wec) co_return step_failure("write", wec, timeout);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  stream.expires_at(deadline);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (rec) co_return step_failure("read", rec, timeout);
  auto res = parser.release();
  co_return control_response{.status = static_cast<int>(res.result_int()),
                             .content_type = std::string(res[http::field::content_type]),
                             .body = std::move(res.body())};
}

}  // namespace

result<control_response> control_get(const std::string& address, std::string_view target,
                                     millis timeout) {
  const auto t = control_detail::parse_target(address);
  if (!t) return t.error();
  asio::io_context ioc(1);
  result<control_response> out = fail("no answer");
  asio::co_spawn(ioc, fetch(*t, std::string(target), timeout),
                 [&out](std::exception_ptr e, result<control_response> r) {
                   if (!e) {
                     out = std::move(r);
                     return;
                   }
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     out = fail(ex.what());
                   }
                 });
  ioc.run();
  return out;
}

}  // namespace fjwatch
