// The control endpoint's listener and connections. One generic stream socket type serves TCP
// and unix sockets alike.
#include "fjwatch/service/control_server.hpp"

#include "fjwatch/service/detail/control_target.hpp"

#include "fjwatch/log/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <unordered_map>

namespace fjwatch {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using steady = std::chrono::steady_clock;
using control_detail::control_target;
using control_detail::parse_target;
using control_detail::proto;
using control_detail::stream_type;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr mode_t socket_mode = 0660;

// "127.0.0.1:9470", "[::1]:9470".
std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

[[noreturn]] void refuse(const std::string& address, const std::string& why) {
  throw std::runtime_error("control endpoint " + address + ": " + why);
}

// The TCP endpoints host:port stands for (a name is resolved now, at startup).
std::vector<asio::ip::tcp::endpoint> resolve_all(asio::io_context& ioc, const std::string& address,
                                                 const control_target& t) {
  asio::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(t.host, std::to_string(t.port),
                                        asio::ip::tcp::resolver::numeric_service, ec);
  if (ec) refuse(address, "resolve " + t.host + ": " + ec.message());
  std::vector<asio::ip::tcp::endpoint> out;
  for (const auto& r : results) out.push_back(r.endpoint());
  return out;
}

// Makes room for a unix socket at `path`: a stale socket file (nobody accepts on it) is removed;
// anything else there is refused.
void clear_stale_socket(asio::io_context& ioc, const std::string& address,
                        const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) refuse(address, path + " exists and is not a socket");
  asio::local::stream_protocol::socket probe(ioc);
  boost::system::error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) refuse(address, "another process is listening on " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    refuse(address, "cannot remove the stale socket " + path + ": " + std::strerror(errno));
  }
}

}  // namespace

struct control_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& c, control_options o, control_source s)
      : ioc(c), opts(std::move(o)), source(std::move(s)), acceptor(c) {}

  void listen();
  void listen_unix(const std::string& path);
  void listen_tcp(const control_target& t);
  void close_all();
  asio::awaitable<void> accept_loop();
  // One accepted connection: its stream, and since when it waits for a request's header (the
  // time_point's epoch when it does not: a request is being answered).
  struct connection {
    stream_type* stream = nullptr;
    steady::time_point waiting_since{};
  };
  bool make_room();
  asio::awaitable<void> serve(connection& c);
  asio::awaitable<bool> answer_one(connection& c, beast::flat_buffer& buffer);
  asio::awaitable<bool> write_reply(stream_type& stream, control_reply reply, bool head,
                                    bool keep_alive);
  asio::awaitable<void> linger(stream_type& stream);
  void spawn_connection(proto::socket socket);

  asio::io_context& ioc;
  control_options opts;
  control_source source;
  asio::basic_socket_acceptor<proto> acceptor;
  std::string where;
  std::string unix_path;  // set once the socket file is ours
  ino_t unix_inode = 0;
  dev_t unix_device = 0;
  std::unordered_map<std::uint64_t, connection> connections;
  std::uint64_t next_id = 0;
  int tasks = 0;  // accept loop + connections still running
  bool stopping = false;
  std::uint64_t refused = 0;
};

void control_server::impl::listen() {
  const auto target = parse_target(opts.address);
  if (!target) refuse(opts.address, target.error().what);
  if (target->unix_socket) {
    listen_unix(target->path);
  } else {
    listen_tcp(*target);
  }
}

void control_server::impl::listen_unix(const std::string& path) {
  clear_stale_socket(ioc, opts.address, path);
  const proto::endpoint ep{asio::local::stream_protocol::endpoint(path)};
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (ec) refuse(opts.address, "bind: " + ec.message());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    unix_path = path;
    unix_inode = st.st_ino;
    unix_device = st.st_dev;
  }
  if (::chmod(path.c_str(), socket_mode) != 0) {
    refuse(opts.address, "chmod " + path + ": " + std::strerror(errno));
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) refuse(opts.address, "listen: " + ec.message());
  where = "unix:" + path;
}

void control_server::impl::listen_tcp(const control_target& t) {
  const auto endpoints = resolve_all(ioc, opts.address, t);
  for (const auto& ep : endpoints) {
    if (!opts.allow_remote && !ep.address().is_loopback()) {
      refuse(opts.address, endpoint_text(ep) +
                               " is not a loopback address; set "
                               "control_allow_remote: true to listen there");
    }
  }
  std::string last = "no address to listen on";
  for (const auto& ep : endpoints) {
    boost::system::error_code ec;
    acceptor.open(proto::endpoint(ep).protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(proto::endpoint(ep), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      where = endpoint_text(ep);
      return;
    }
    last = "cannot listen on " + endpoint_text(ep) + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
  }
  refuse(opts.address, last);
}

void control_server::impl::close_all() {
  stopping = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  for (auto& [id, c] : connections) c.stream->close();
  if (unix_path.empty()) return;
  struct stat st {};
  // Only the file this server made: a successor may already have replaced it.
  if (::lstat(unix_path.c_str(), &st) == 0 && st.st_ino == unix_inode && st.st_dev == unix_device) {
    ::unlink(unix_path.c_str());
  }
  unix_path.clear();
}

asio::awaitable<void> control_server::impl::accept_loop() {
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (stopping) break;
    if (ec) {  // e.g. out of file descriptors: give the clients a moment to go away
      log::warn("control.accept_failed", {{"address", where}, {"reason", ec.message()}});
      asio::steady_timer pause(ioc, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (connections.size() >= opts.max_connections && !make_room()) {
      if (refused++ == 0) {
        log::warn("control.busy",
                  {{"address", where},
                   {"max_connections", static_cast<std::int64_t>(opts.max_connections)}});
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    spawn_connection(std::move(socket));
  }
}

// Every slot is taken: the connection that has waited longest for a request's header is closed
// to make room, so that clients holding connections open (slowly or idly) cannot lock others
// out. False when every connection is busy answering.
bool control_server::impl::make_room() {
  connection* oldest = nullptr;
  for (auto& [id, c] : connections) {
    if (c.waiting_since == steady::time_point{}) continue;
    if (oldest == nullptr || c.waiting_since < oldest->waiting_since) oldest = &c;
  }
  if (oldest == nullptr) return false;
  oldest->waiting_since = {};  // closed once; its coroutine leaves the map when it resumes
  oldest->stream->close();
  return true;
}

void control_server::impl::spawn_connection(proto::socket socket) {
  ++tasks;
  auto run = [](std::shared_ptr<impl> self, proto::socket s) -> asio::awaitable<void> {
    stream_type stream(std::move(s));
    const auto id = self->next_id++;
    auto& c = self->connections.emplace(id, connection{.stream = &stream}).first->second;
    try {
      co_await self->serve(c);
    } catch (...) {
      self->connections.erase(id);
      throw;
    }
    self->connections.erase(id);
  };
  asio::co_spawn(ioc, run(shared_from_this(), std::move(socket)),
                 [self = shared_from_this()](std::exception_ptr e) {
                   --self->tasks;
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     log::warn("control.connection_failed", {{"reason", ex.what()}});
                   }
                 });
}

// Requests in a loop on one keep-alive connection, each within the deadlines.
asio::awaitable<void> control_server::impl::serve(connection& c) {
  beast::flat_buffer buffer;
  for (int n = 0; n < opts.max_requests_per_connection && !stopping; ++n) {
    if (!co_await answer_one(c, buffer)) break;
  }
  boost::system::error_code ignored;
  c.stream->socket().shutdown(proto::socket::shutdown_send, ignored);
  c.stream->close();
}

// Reads one request and answers it; true when the connection may serve another. The header must
// arrive within header_timeout of the wait's start (a client trickling it is cut off), the
// body within io_timeout.
asio::awaitable<bool> control_server::impl::answer_one(connection& c, beast::flat_buffer& buffer) {
  stream_type& stream = *c.stream;
  http::request_parser<http::string_body> parser;
  parser.header_limit(opts.max_header_bytes);
  parser.body_limit(opts.max_body_bytes);
  c.waiting_since = steady::now();
  stream.expires_after(opts.header_timeout);
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  c.waiting_since = {};
  if (!ec && !parser.is_done()) {
    stream.expires_after(opts.io_timeout);
    std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
  }
  if (ec == http::error::header_limit || ec == http::error::body_limit) {
    const bool header = ec == http::error::header_limit;
    control_reply too_large{
        .status = header ? 431 : 413,
        .body = header ? "request header too large\n" : "request body too large\n"};
    if (co_await write_reply(stream, std::move(too_large), false, false)) co_await linger(stream);
    co_return false;
  }
  if (ec) co_return false;
  const auto& req = parser.get();
  const bool head = req.method() == http::verb::head;
  const bool keep_alive = req.keep_alive() && !stopping;
  control_reply reply = answer_control(req.method_string(), req.target(), source, steady::now(),
                                       opts.unreachable_after);
  const bool written = co_await write_reply(stream, std::move(reply), head, keep_alive);
  co_return written&& keep_alive;
}

// Writes one answer (for HEAD: its header only); true when it was written.
asio::awaitable<bool> control_server::impl::write_reply(stream_type& stream, control_reply reply,
                                                        bool head, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(reply.status));
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  if (!reply.allow.empty()) res.set(http::field::allow, reply.allow);
  res.keep_alive(keep_alive);
  res.content_length(reply.body.size());
  if (!head) res.body() = std::move(reply.body);
  stream.expires_after(opts.io_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return !ec;
}

// After an answer sent while the request was still arriving: stops sending and reads what
// comes until the client closes (within io_timeout), so that no reset destroys the answer.
asio::awaitable<void> control_server::impl::linger(stream_type& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(proto::socket::shutdown_send, ignored);
  stream.expires_after(opts.io_timeout);
  std::array<char, 4096> scratch;
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), use_tuple);
    if (ec) break;
  }
}

control_server::control_server(asio::io_context& ioc, control_options opts, control_source source)
    : impl_(std::make_shared<impl>(ioc, std::move(opts), std::move(source))) {}

control_server::~control_server() { impl_->close_all(); }

void control_server::start() {
  impl_->listen();
  ++impl_->tasks;
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), [self = impl_](std::exception_ptr e) {
    --self->tasks;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("control.failed", {{"address", self->where}, {"reason", ex.what()}});
    }
  });
  log::info("control.listening", {{"address", impl_->where}});
}

void control_server::stop() { impl_->close_all(); }

bool control_server::running() const { return impl_->tasks > 0; }

std::size_t control_server::open_connections() const { return impl_->connections.size(); }

const std::string& control_server::where() const { return impl_->where; }

}  // namespace fjwatch
