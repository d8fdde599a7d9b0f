#include "sim/sim.hpp"
#include "sim/core.hpp"
#include "sim/filler.hpp"
#include "sim/listen.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace fjwatch::sim {
namespace detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// A co_spawn completion handler that reports an escaped exception through core::log.
auto log_failure(std::shared_ptr<core> c, const char* task) {
  return [c = std::move(c), task](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      c->log(std::string(task) + " failed: " + x.what());
    } catch (...) {
      c->log(std::string(task) + " failed: unknown exception");
    }
  };
}

}  // namespace

// A connection the listener can close from any thread.
class conn_base {
 public:
  virtual ~conn_base() = default;
  // Closes the socket and cancels any wait, on the connection's strand.
  virtual void close() = 0;
};

// Owns the acceptor, the TLS context and the registry of live connections.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& ioc, options opts);
  // Spawns the accept loop; call once, right after construction.
  void start();
  void stop();
  // server::go_down, server::go_up; each waits until its work on the acceptor's strand is done.
  void go_down();
  void go_up();
  bool is_up() const { return up_; }
  bool enlist(std::uint64_t id, std::weak_ptr<conn_base> c);
  void forget(std::uint64_t id);

  core& state() { return *core_; }
  const std::shared_ptr<core>& state_ptr() const { return core_; }
  bool tls() const { return core_->opts().tls; }
  // The context new connections get; null for plain HTTP.
  std::shared_ptr<ssl::context> tls_context() const {
    std::lock_guard lock(tls_mu_);
    return tls_;
  }
  void set_tls(const pem_pair& leaf, tls_version max);
  std::uint16_t port() const { return port_; }
  const std::string& ca_pem() const { return ca_pem_; }
  const std::string& host() const { return core_->opts().host; }

 private:
  static asio::awaitable<void> accept_loop(std::shared_ptr<listener> self, std::uint64_t gen);
  void serve(tcp::socket socket, asio::any_io_executor ex);
  // Runs `task` on the acceptor's strand and waits for it (never call on an io_context thread).
  void on_strand(std::function<void()> task);
  void close_connections();

  asio::any_io_executor ioc_ex_;
  std::shared_ptr<core> core_;
  mutable std::mutex tls_mu_;
  std::shared_ptr<ssl::context> tls_;  // guarded by tls_mu_
  std::string ca_pem_;
  tcp::acceptor acceptor_;
  tcp::socket holder_;  // bound to port_, never listening: keeps the port while down
  std::uint16_t port_ = 0;
  std::uint64_t gen_ = 0;  // the accept loop's generation; the strand's alone
  std::atomic<bool> up_{true};
  std::atomic<bool> stopped_{false};
  std::mutex conns_mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<conn_base>> conns_;
  std::uint64_t next_conn_ = 0;
};

namespace {

// One client connection: requests in a loop on one keep-alive stream, each acted out per core.
template <class Stream>
class connection final : public conn_base, public std::enable_shared_from_this<connection<Stream>> {
 public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  // `tls` is the context `stream` was made with (null for plain TCP); it is kept alive here.
  connection(std::shared_ptr<listener> owner, std::uint64_t id, std::shared_ptr<ssl::context> tls,
             Stream stream)
      : owner_(std::move(owner)),
        id_(id),
        tls_(std::move(tls)),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()) {}
  ~connection() override { owner_->forget(id_); }

  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closed_ = true;
      self->timer_.cancel();
      beast::get_lowest_layer(self->stream_).close();
    });
  }

  static asio::awaitable<void> run(std::shared_ptr<connection> self) { co_await self->serve(); }

 private:
  asio::awaitable<void> serve() {
    const options& o = owner_->state().opts();
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (is_tls) {
      lowest.expires_after(o.io_timeout);
      auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_tuple);
      if (ec) co_return;
      owner_->state().count().tls_handshakes.fetch_add(1, std::memory_order_relaxed);
    }
    beast::flat_buffer buffer;
    std::int64_t answered = 0;
    while (!closed_) {
      if (buffer.size() > 0) {  // the next request came before this answer went out
        owner_->state().count().pipelined.fetch_add(1, std::memory_order_relaxed);
        if (o.pipelined_requests == pipelining::ignore) {
          co_await hold_open({});
          co_return;
        }
        if (o.pipelined_requests == pipelining::close) {
          co_await shut_down();
          co_return;
        }
      }
      if (o.pipelined_requests == pipelining::reverse && buffer.size() > 0) {
        if (!co_await answer_reversed(buffer)) co_return;
        continue;
      }
      auto [ec, req] = co_await read_request(buffer);
      if (ec == beast::error::timeout && buffer.size() == 0) {
        owner_->state().count().idle_closes.fetch_add(1, std::memory_order_relaxed);
      }
      if (ec) co_return;
      reply r = owner_->state().handle(req);
      if (r.delay.count() > 0) {
        const bool waited = co_await wait(r.delay);
        if (!waited) co_return;
      }
      if (r.action == reply::how::reset) {
        reset();
        co_return;
      }
      if (r.action == reply::how::endless) {
        co_await hold_open(r.raw);
        co_return;
      }
      if (r.action == reply::how::garbage) {
        auto [gec, gn] = co_await asio::async_write(stream_, asio::buffer(r.raw), use_tuple);
        if (!gec) co_await shut_down();
        co_return;
      }
      if (r.action == reply::how::stream) {
        co_await stream_body(r);
        co_return;
      }
      const bool limit = o.keepalive_requests > 0 && ++answered >= o.keepalive_requests;
      if (limit) {
        r.res.keep_alive(false);
        owner_->state().count().keepalive_closes.fetch_add(1, std::memory_order_relaxed);
      }
      lowest.expires_after(o.io_timeout);
      auto [wec, wn] = co_await http::async_write(stream_, r.res, use_tuple);
      if (wec) co_return;
      if (!r.res.keep_alive()) {
        co_await shut_down();
        co_return;
      }
    }
  }

  asio::awaitable<std::tuple<boost::system::error_code, http::request<http::string_body>>>
  read_request(beast::flat_buffer& buffer) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(owner_->state().opts().idle_timeout);
    auto [ec, n] = co_await http::async_read(stream_, buffer, parser, use_tuple);
    co_return std::tuple{ec, parser.release()};
  }

  // pipelining::reverse: every request already in `buffer` is read and answered (plain answers
  // only), the last one first. False when the connection is done.
  asio::awaitable<bool> answer_reversed(beast::flat_buffer& buffer) {
    std::vector<reply> replies;
    while (buffer.size() > 0) {
      auto [ec, req] = co_await read_request(buffer);
      if (ec) co_return false;
      replies.push_back(owner_->state().handle(req));
    }
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->action != reply::how::respond) co_return false;
      beast::get_lowest_layer(stream_).expires_after(owner_->state().opts().io_timeout);
      auto [wec, wn] = co_await http::async_write(stream_, it->res, use_tuple);
      if (wec) co_return false;
    }
    co_return true;
  }

  // False when the wait was cut short by close().
  asio::awaitable<bool> wait(std::chrono::milliseconds d) {
    if (closed_) co_return false;
    timer_.expires_after(d);
    auto [ec] = co_await timer_.async_wait(use_tuple);
    co_return !ec && !closed_;
  }

  // A TCP RST: SO_LINGER 0, then close.
  void reset() {
    auto& lowest = beast::get_lowest_layer(stream_);
    boost::system::error_code ec;
    lowest.socket().set_option(asio::socket_base::linger(true, 0), ec);
    lowest.close();
  }

  // Sends `raw`, then keeps the stream open, sending nothing, until the client goes away,
  // close() or endless_hold.
  asio::awaitable<void> hold_open(const std::string& raw) {
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(owner_->state().opts().io_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(raw), use_tuple);
    lowest.expires_after(owner_->state().opts().endless_hold);
    std::array<char, 1024> sink;
    while (!ec && !closed_) {
      auto [rec, rn] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
      ec = rec;
    }
  }

  // Sends r.raw, then r.stream_bytes of filler for as long as the client reads it.
  asio::awaitable<void> stream_body(const reply& r) {
    auto& lowest = beast::get_lowest_layer(stream_);
    const auto timeout = owner_->state().opts().io_timeout;
    lowest.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(r.raw), use_tuple);
    if (!ec) {
      ec =
          co_await write_filler(stream_, r.stream_bytes, r.chunked, timeout,
                                owner_->state().count().streamed_bytes, [this] { return closed_; });
    }
    if (!ec && !closed_) co_await shut_down();
  }

  asio::awaitable<void> shut_down() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (is_tls) {
      lowest.expires_after(std::chrono::seconds(2));
      auto [ec] = co_await stream_.async_shutdown(use_tuple);
    } else {
      boost::system::error_code ec;
      lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  std::shared_ptr<listener> owner_;
  std::uint64_t id_;
  std::shared_ptr<ssl::context> tls_;
  Stream stream_;
  asio::steady_timer timer_;
  bool closed_ = false;
};

}  // namespace

listener::listener(asio::io_context& ioc, options opts)
    : ioc_ex_(ioc.get_executor()),
      core_(std::make_shared<core>(std::move(opts))),
      acceptor_(asio::make_strand(ioc)),
      holder_(acceptor_.get_executor()) {
  const options& o = core_->opts();
  ca_pem_ = o.ca_pem;
  if (o.tls) {
    const pem_pair leaf = loopback_cert(o.cert, o.ca_pem, o.host, "fjwatch-sim CA", ca_pem_);
    tls_ = server_tls_context(leaf, o.tls_max);
  }
  port_ = listen_held(acceptor_, holder_, tcp::endpoint(asio::ip::make_address(o.host), o.port));
}

void listener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(shared_from_this(), gen_),
                 log_failure(core_, "accept loop"));
}

asio::awaitable<void> listener::accept_loop(std::shared_ptr<listener> self, std::uint64_t gen) {
  asio::steady_timer backoff(self->acceptor_.get_executor());
  while (!self->stopped_) {
    asio::any_io_executor ex = asio::make_strand(self->ioc_ex_);
    auto [ec, socket] = co_await self->acceptor_.async_accept(ex, use_tuple);
    // A connection accepted just before go_down() is dropped with the old generation.
    if (self->stopped_ || ec == asio::error::operation_aborted || gen != self->gen_) co_return;
    if (ec) {  // e.g. out of file descriptors: give the clients a moment to go away
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    self->core_->count().connections.fetch_add(1, std::memory_order_relaxed);
    self->serve(std::move(socket), ex);
  }
}

void listener::serve(tcp::socket socket, asio::any_io_executor ex) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const std::uint64_t id = ++next_conn_;  // only the accept loop's strand touches next_conn_
  const auto spawn = [&](auto conn) {
    if (!enlist(id, conn)) return;
    using conn_t = typename decltype(conn)::element_type;
    asio::co_spawn(ex, conn_t::run(std::move(conn)), log_failure(core_, "connection"));
  };
  if (auto ctx = tls_context()) {
    tls_stream stream(std::move(socket), *ctx);
    spawn(std::make_shared<connection<tls_stream>>(shared_from_this(), id, std::move(ctx),
                                                   std::move(stream)));
  } else {
    spawn(std::make_shared<connection<beast::tcp_stream>>(shared_from_this(), id, nullptr,
                                                          beast::tcp_stream(std::move(socket))));
  }
}

void listener::set_tls(const pem_pair& leaf, tls_version max) {
  if (!tls()) throw std::logic_error("sim: set_tls on a plain-HTTP server");
  auto next = server_tls_context(leaf, max);
  std::lock_guard lock(tls_mu_);
  tls_ = std::move(next);
}

bool listener::enlist(std::uint64_t id, std::weak_ptr<conn_base> c) {
  std::lock_guard lock(conns_mu_);
  if (stopped_) return false;
  conns_.emplace(id, std::move(c));
  return true;
}

void listener::forget(std::uint64_t id) {
  std::lock_guard lock(conns_mu_);
  conns_.erase(id);
}

void listener::stop() {
  if (stopped_.exchange(true)) return;
  up_ = false;
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->holder_.close(ec);
  });
  close_connections();
}

void listener::close_connections() {
  std::vector<std::shared_ptr<conn_base>> live;
  {
    std::lock_guard lock(conns_mu_);
    for (auto& [id, weak] : conns_)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->close();
}

void listener::on_strand(std::function<void()> task) {
  std::promise<void> done;
  asio::post(acceptor_.get_executor(), [&] {
    try {
      task();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
}

void listener::go_down() {
  if (stopped_) return;
  on_strand([this] {
    if (!up_) return;
    up_ = false;
    ++gen_;
    boost::system::error_code ec;
    acceptor_.close(ec);
    // Every connection is enlisted on this strand, so none accepted so far is missed.
    close_connections();
  });
}

void listener::go_up() {
  if (stopped_) return;
  on_strand([this] {
    if (up_ || stopped_) return;
    const tcp::endpoint ep(asio::ip::make_address(core_->opts().host), port_);
    listen_held(acceptor_, holder_, ep);
    up_ = true;
    asio::co_spawn(acceptor_.get_executor(), accept_loop(shared_from_this(), ++gen_),
                   log_failure(core_, "accept loop"));
  });
}

}  // namespace detail

server::server(boost::asio::io_context& ioc, options opts)
    : impl_(std::make_shared<detail::listener>(ioc, std::move(opts))) {
  impl_->start();
}

server::~server() { stop(); }

std::uint16_t server::port() const { return impl_->port(); }

std::string server::base_url() const {
  const std::string& h = impl_->host();
  const std::string host = h == "127.0.0.1"                   ? "localhost"
                           : h.find(':') != std::string::npos ? "[" + h + "]"
                                                              : h;
  return detail::concat({impl_->tls() ? "https://" : "http://", host, ":", std::to_string(port())});
}

const std::string& server::ca_pem() const { return impl_->ca_pem(); }
void server::add_session(session_script script) { impl_->state().add_session(std::move(script)); }
bool server::remove_session(std::string_view id) { return impl_->state().remove_session(id); }
bool server::set_fault(std::string_view id, fault kind, int polls) {
  return impl_->state().set_fault(id, kind, polls);
}
void server::set_global_fault(fault kind, double fraction) {
  impl_->state().set_global_fault(kind, fraction);
}
void server::set_api_key(std::string key) { impl_->state().set_api_key(std::move(key)); }
void server::set_latency(std::chrono::milliseconds latency) { impl_->state().set_latency(latency); }
void server::set_tls(const pem_pair& cert, tls_version max) { impl_->set_tls(cert, max); }
stats server::snapshot() const { return impl_->state().count().snapshot(); }
std::int64_t server::polls_of(std::string_view id) const { return impl_->state().polls_of(id); }
std::vector<session_report> server::report() const { return impl_->state().report(); }
void server::stop() { impl_->stop(); }
void server::go_down() { impl_->go_down(); }
void server::go_up() { impl_->go_up(); }
bool server::is_up() const { return impl_->is_up(); }

}  // namespace fjwatch::sim
