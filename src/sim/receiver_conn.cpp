// One receiver connection: requests read in a loop on one keep-alive stream, each answered (or
// not) as the sink's next reply says.
#include "sim/filler.hpp"
#include "sim/receiver_sink.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <type_traits>

namespace fjwatch::sim::detail {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t body_limit = 1024 * 1024;
constexpr std::size_t huge_size = 2 * 1024 * 1024;
constexpr std::uint64_t gigantic_size = 50ull * 1024 * 1024;
// What a partial reply writes before it closes: the status line and half a header name.
constexpr std::string_view partial_answer = "HTTP/1.1 200 OK\r\nContent";
// What a trickle reply writes, a byte at a time; then 'a' until it stops.
constexpr std::string_view trickle_start = "HTTP/1.1 200 OK\r\nX-Trickle: ";
constexpr auto trickle_gap = std::chrono::milliseconds(100);

}  // namespace

namespace {

// The answer to `req` for a reply that answers (status, redirect, huge, no_read).
response make_response(const reply& r, const request& req) {
  response res;
  res.version(11);
  res.set(http::field::server, "fjwatch-sim-receiver");
  res.keep_alive(req.keep_alive());
  if (!r.retry_after.empty()) res.set(http::field::retry_after, r.retry_after);
  res.set(http::field::content_type, "text/plain");
  if (r.kind == reply_kind::redirect) {
    res.result(http::status::found);
    res.set(http::field::location,
            r.location.empty() ? std::string("https://elsewhere.invalid/") : r.location);
  } else if (r.kind == reply_kind::status) {
    res.result(static_cast<unsigned>(r.status));
  } else {
    res.result(http::status::ok);
  }
  if (r.kind == reply_kind::huge)
    res.body().assign(huge_size, 'x');
  else if (res.result() != http::status::no_content && res.result() != http::status::not_modified)
    res.body() = std::to_string(res.result_int()) + " " + std::string(res.reason()) + "\n";
  res.prepare_payload();
  return res;
}

// One client connection: requests in a loop on one keep-alive stream, each answered per the
// sink's next reply.
template <class Stream>
class connection final : public sink_conn, public std::enable_shared_from_this<connection<Stream>> {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  connection(std::shared_ptr<sink> owner, std::uint64_t id, Stream stream)
      : owner_(std::move(owner)), id_(id), stream_(std::move(stream)) {}
  ~connection() override { owner_->forget(id_); }

  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closed_ = true;
      beast::get_lowest_layer(self->stream_).close();
    });
  }

  // Serves the connection to its end; keeps it alive meanwhile.
  static asio::awaitable<void> run(std::shared_ptr<connection> self) { co_await self->serve(); }

 private:
  // TLS handshake, then requests until an error, a deadline, Connection: close or close().
  asio::awaitable<void> serve() {
    const receiver_options& o = owner_->opts();
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (is_tls) {
      lowest.expires_after(o.io_timeout);
      auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_tuple);
      if (ec) co_return;
    }
    beast::flat_buffer buffer;
    while (!closed_) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(body_limit);
      lowest.expires_after(o.idle_timeout);
      auto [hec, hn] = co_await http::async_read_header(stream_, buffer, parser, use_tuple);
      if (hec == http::error::body_limit) co_await refuse_too_large(parser.get());
      if (hec) co_return;
      const reply r = owner_->next_reply();
      if (r.kind == reply_kind::no_read) {
        owner_->record(parser.get(), r, 200, false);
        response res = make_response(r, parser.get());
        co_await answer_and_linger(res);
        co_return;
      }
      lowest.expires_after(o.io_timeout);
      auto [bec, bn] = co_await http::async_read(stream_, buffer, parser, use_tuple);
      if (bec == http::error::body_limit) co_await refuse_too_large(parser.get());
      if (bec) co_return;
      const request req = parser.release();
      if (!co_await act(r, req)) co_return;
    }
  }

  // Carries out `r` for a fully read request; true when the connection stays open.
  asio::awaitable<bool> act(const reply& r, const request& req) {
    auto& lowest = beast::get_lowest_layer(stream_);
    if (r.kind == reply_kind::hang || r.kind == reply_kind::close ||
        r.kind == reply_kind::partial || r.kind == reply_kind::trickle) {
      owner_->record(req, r, 0, true);
      if (r.kind == reply_kind::hang) co_await hold();
      if (r.kind == reply_kind::partial) co_await write_raw(partial_answer);
      if (r.kind == reply_kind::trickle) co_await trickle();
      lowest.close();
      co_return false;
    }
    if (r.kind == reply_kind::gigantic) {
      owner_->record(req, r, 200, true);
      co_await gigantic();
      lowest.close();
      co_return false;
    }
    response res = make_response(r, req);
    owner_->record(req, r, res.result_int(), true);
    lowest.expires_after(owner_->opts().io_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    if (ec) co_return false;
    if (res.keep_alive()) co_return true;
    if constexpr (is_tls) {
      lowest.expires_after(std::chrono::seconds(2));
      auto [sec] = co_await stream_.async_shutdown(use_tuple);
    }
    lowest.close();
    co_return false;
  }

  asio::awaitable<boost::system::error_code> write_raw(std::string_view bytes) {
    beast::get_lowest_layer(stream_).expires_after(owner_->opts().io_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes), use_tuple);
    co_return ec;
  }

  // trickle_start a byte at a time, then 'a' after 'a', trickle_gap apart, until a write fails,
  // close() or hang_hold.
  asio::awaitable<void> trickle() {
    asio::steady_timer gap(stream_.get_executor());
    const auto until = std::chrono::steady_clock::now() + owner_->opts().hang_hold;
    for (std::size_t i = 0; !closed_ && std::chrono::steady_clock::now() < until; ++i) {
      const std::string_view byte = i < trickle_start.size() ? trickle_start.substr(i, 1) : "a";
      if (co_await write_raw(byte)) co_return;
      gap.expires_after(trickle_gap);
      co_await gap.async_wait(use_tuple);
    }
  }

  // A 200 with a chunked gigantic_size body, for as long as the client reads it.
  asio::awaitable<void> gigantic() {
    const auto head =
        "HTTP/1.1 200 OK\r\nServer: fjwatch-sim-receiver\r\nContent-Type: text/plain\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if (co_await write_raw(head)) co_return;
    co_await write_filler(stream_, gigantic_size, true, owner_->opts().io_timeout,
                          owner_->streamed(), [this] { return closed_; });
  }

  // 413 for a body over body_limit, then the connection ends.
  asio::awaitable<void> refuse_too_large(const request& req) {
    const reply too_large{reply_kind::status, 413, {}};
    response res = make_response(too_large, req);
    co_await answer_and_linger(res);
  }

  // Reads and drops whatever arrives until the peer goes away, close() or hang_hold.
  asio::awaitable<void> hold() {
    beast::get_lowest_layer(stream_).expires_after(owner_->opts().hang_hold);
    std::array<char, 4096> scratch;
    while (!closed_) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), use_tuple);
      if (ec) break;
    }
  }

  // Writes `res` (Connection: close) though the request body may still be arriving, then stops
  // sending and drains raw bytes until the peer closes, so that no RST destroys the answer.
  asio::awaitable<void> answer_and_linger(response& res) {
    auto& lowest = beast::get_lowest_layer(stream_);
    res.keep_alive(false);
    lowest.expires_after(owner_->opts().io_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    if (ec) co_return;
    boost::system::error_code sec;
    lowest.socket().shutdown(tcp::socket::shutdown_send, sec);
    lowest.expires_after(owner_->opts().io_timeout);
    std::array<char, 4096> scratch;
    while (!closed_) {
      auto [rec, rn] = co_await lowest.async_read_some(asio::buffer(scratch), use_tuple);
      if (rec) break;
    }
    lowest.close();
  }

  std::shared_ptr<sink> owner_;
  std::uint64_t id_;
  Stream stream_;
  bool closed_ = false;
};

}  // namespace

void sink::serve(std::uint64_t gen, tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const asio::any_io_executor ex = socket.get_executor();
  std::uint64_t id = 0;
  {
    std::lock_guard lock(net_mu_);
    id = ++next_conn_;
  }
  const auto spawn = [&](auto conn) {
    if (!enlist(gen, id, conn)) return;
    using conn_t = typename decltype(conn)::element_type;
    asio::co_spawn(ex, conn_t::run(std::move(conn)),
                   [self = shared_from_this()](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       self->log(std::string("receiver connection failed: ") + x.what());
                     } catch (...) {
                       self->log("receiver connection failed: unknown exception");
                     }
                   });
  };
  if (tls_)
    spawn(std::make_shared<connection<tls_stream>>(shared_from_this(), id,
                                                   tls_stream(std::move(socket), *tls_)));
  else
    spawn(std::make_shared<connection<beast::tcp_stream>>(shared_from_this(), id,
                                                          beast::tcp_stream(std::move(socket))));
}

}  // namespace fjwatch::sim::detail
