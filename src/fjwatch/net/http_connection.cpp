// HTTP/1.1 client connections over Beast: plain TCP or TLS (OpenSSL), deadlines on every step.
#include "fjwatch/net/http_connection.hpp"

#include "fjwatch/http/proxy.hpp"
#include "fjwatch/http/wire.hpp"
#include "fjwatch/http/url.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

namespace fjwatch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

std::string format_millis(millis d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// The deadlines of one request: the whole request, and the cap on each step.
struct budget {
  steady::time_point deadline;
  millis timeout;
  millis step;

  // The expiry of a step starting now, and whether it is the whole request's deadline.
  steady::time_point step_expiry() const { return std::min(deadline, steady::now() + step); }
  bool whole_request_bound(steady::time_point expiry) const { return expiry == deadline; }
};

// The deadline of a connection's step under way, kept by one timer per connection rather than
// one armed and cancelled per read and write: a step only sets `deadline`, and the timer is
// re-armed only when it would fire later than that; when it fires it closes the socket if the
// step under way is past its deadline, or sleeps on until the deadline otherwise. Steps follow
// each other with later deadlines, so a request (or a pipelined set) arms the timer once and
// cancels it once at the end: an idle connection leaves no timer behind.
class watchdog {
 public:
  explicit watchdog(asio::any_io_executor ex) : state_(std::make_shared<state>(std::move(ex))) {}
  ~watchdog() { state_->socket = nullptr; }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  // The socket to close when a deadline passes (null: none, between connections).
  void watch(tcp::socket* socket) { state_->socket = socket; }

  // A step begins that must end by `t` (no timer without a socket: after stop(), a step fails
  // at once on the closed socket).
  void expires_at(steady::time_point t) {
    state& s = *state_;
    s.deadline = t;
    s.expired = false;
    if (s.socket != nullptr && t < s.armed) arm(state_, t);
  }
  // No step under way (an idle connection): nothing left waiting, so that an io_context with
  // nothing else to do can return.
  void expires_never() {
    state& s = *state_;
    s.deadline = steady::time_point::max();
    if (s.armed == steady::time_point::max()) return;
    s.armed = steady::time_point::max();
    s.timer.cancel();
  }
  // The connection is gone: as expires_never, and later steps arm nothing.
  void stop() {
    state_->socket = nullptr;
    expires_never();
  }
  // Whether the step under way ran out of time (its socket was closed for it).
  bool expired() const { return state_->expired; }

 private:
  struct state {
    explicit state(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    steady::time_point deadline = steady::time_point::max();
    steady::time_point armed = steady::time_point::max();  // when the timer fires; max: idle
    std::uint64_t waits = 0;  // arms so far: a handler acts only for the latest
    bool expired = false;
    tcp::socket* socket = nullptr;
  };

  // The handler holds the state weakly: destroying the connection cancels the wait, and a
  // cancelled handler finds nothing left to touch.
  static void arm(const std::shared_ptr<state>& self, steady::time_point t) {
    self->armed = t;
    const auto wait = ++self->waits;
    self->timer.expires_at(t);
    self->timer.async_wait([weak = std::weak_ptr<state>(self), wait](const error_code& ec) {
      if (ec) return;  // re-armed earlier, or the connection is gone
      const auto s = weak.lock();
      if (!s || s->waits != wait) return;  // a later wait replaced this one as it fired
      s->armed = steady::time_point::max();
      if (s->deadline == steady::time_point::max()) return;
      if (steady::now() < s->deadline) {
        arm(s, s->deadline);
        return;
      }
      s->expired = true;
      if (s->socket != nullptr) {
        error_code ignored;
        s->socket->close(ignored);  // the step's pending operation ends with operation_aborted
      }
    });
  }

  std::shared_ptr<state> state_;
};

http_error timeout_error(const budget& b, std::string_view step, steady::time_point expiry) {
  if (b.whole_request_bound(expiry)) {
    return {http_error::kind::timeout, "timeout after " + format_millis(b.timeout)};
  }
  return {http_error::kind::timeout,
          std::string(step) + ": timeout after " + format_millis(b.step)};
}

// The OpenSSL reason of a TLS failure, with the certificate verification detail when there is one.
std::string tls_reason(const error_code& ec, SSL* ssl) {
  std::string out;
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    out = reason != nullptr ? reason : "TLS error";
  } else {
    out = ec.message();
  }
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    out += " (";
    out += X509_verify_cert_error_string(verify);
    out += ")";
  }
  return out;
}

// A failed transfer step as an http_error; never includes request or response content.
http_error transfer_error(const budget& b, std::string_view step, const error_code& ec,
                          steady::time_point expiry, bool expired) {
  using kind = http_error::kind;
  if (expired) return timeout_error(b, step, expiry);
  if (ec == bhttp::error::body_limit) return {kind::too_large, "body too large"};
  if (ec == bhttp::error::header_limit) return {kind::too_large, "header too large"};
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::ssl::error::stream_truncated) {
    return {kind::network, "connection closed"};
  }
  if (ec == bhttp::error::partial_message) return {kind::network, "connection closed mid-response"};
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return {kind::network, "connection reset"};
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return {kind::bad_http, "bad HTTP response: " + ec.message()};
  }
  return {kind::network, std::string(step) + ": " + ec.message()};
}

// Resolves host:port, giving up at `deadline` even while getaddrinfo is still blocked.
asio::awaitable<boost::system::result<tcp::resolver::results_type, http_error>> resolve(
    asio::any_io_executor ex, const std::string& host, std::uint16_t port, const budget& b) {
  struct race {
    explicit race(asio::any_io_executor e) : wake(std::move(e)) {}
    asio::steady_timer wake;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
  };
  auto state = std::make_shared<race>(ex);
  auto resolver = std::make_shared<tcp::resolver>(ex);
  const auto expiry = b.step_expiry();
  state->wake.expires_at(expiry);
  resolver->async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                          [state, resolver](const error_code& ec, tcp::resolver::results_type r) {
                            state->done = true;
                            state->ec = ec;
                            state->results = std::move(r);
                            state->wake.cancel();
                          });
  (void)co_await state->wake.async_wait(use_tuple);
  if (!state->done) {
    resolver->cancel();
    co_return timeout_error(b, "resolve", expiry);
  }
  if (state->ec) co_return http_error{http_error::kind::network, "resolve: " + state->ec.message()};
  co_return std::move(state->results);
}

// The most of a proxy's answer to CONNECT read (status line and headers; its body never is).
constexpr std::size_t max_tunnel_answer = 8 * 1024;

// A proxy's reason phrase as a message may show it: printable ASCII, cut short.
std::string printable_reason(std::string_view reason) {
  std::string out;
  for (const char c : reason.substr(0, 64)) out += (c >= ' ' && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("TLS: cannot require TLS 1.2");
  }
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) throw std::runtime_error("TLS: cannot load the system trust store: " + ec.message());
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load ca_file " + ca_file + ": " + ec.message());
  }
  return ctx;
}

struct http_connection::impl {
  impl(asio::any_io_executor e, std::shared_ptr<asio::ssl::context> t, url_parts o, http_limits l,
       std::optional<proxy_route> p)
      : ex(std::move(e)),
        tls(std::move(t)),
        origin(std::move(o)),
        host(host_field(origin)),
        limits(l),
        proxy(std::move(p)),
        dog(ex) {}

  asio::any_io_executor ex;
  std::shared_ptr<asio::ssl::context> tls;
  url_parts origin;
  std::string host;  // the Host field
  http_limits limits;
  std::optional<proxy_route> proxy;  // none: connect to the origin directly
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> secure;
  watchdog dog;  // the deadline of every step
  beast::flat_buffer buffer;
  std::string wire;                 // the requests being sent, kept to reuse the storage
  std::vector<std::size_t> starts;  // where each request begins in wire
  std::size_t wire_from = 0;        // the first byte still to send
  bool open = false;
  std::uint64_t generation = 0;  // bumped by http_connection::close
  std::uint64_t opened = 0;
  std::string pipelining_problem;  // of the last set (see http_connection::pipelining_problem)

  tcp::socket& socket() { return secure ? secure->next_layer() : *plain; }

  // Drops the connection without a TLS close_notify; the next request reconnects.
  void drop() {
    open = false;
    buffer.clear();
    if (!plain && !secure) return;
    dog.stop();
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  // The Host field: the name (IPv6 literals bracketed), and the port unless it is the scheme's.
  static std::string host_field(const url_parts& origin) {
    std::string host =
        origin.host.find(':') != std::string::npos ? "[" + origin.host + "]" : origin.host;
    const std::uint16_t default_port = origin.https() ? 443 : 80;
    if (origin.port != default_port) host += ":" + std::to_string(origin.port);
    return host;
  }

  // SNI for names only; the peer's name (or IP address) checked by OpenSSL's verification.
  std::optional<http_error> prepare_tls() {
    SSL* ssl = secure->native_handle();
    const char* host = origin.host.c_str();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    bool ok = true;
    if (is_ip_literal(origin.host)) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1;
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set_tlsext_host_name(ssl, host) == 1 &&
           X509_VERIFY_PARAM_set1_host(param, host, 0) == 1;
    }
    secure->set_verify_mode(asio::ssl::verify_peer);
    if (!ok) return http_error{http_error::kind::network, "TLS setup: bad host name"};
    return std::nullopt;
  }

  asio::awaitable<std::optional<http_error>> connect(const budget& b, std::uint64_t generation) {
    drop();
    // Through a proxy: the TCP connection goes to it, then a tunnel to the origin (step 2b).
    const std::string via = proxy ? " to proxy " + proxy->address() : "";
    // (No conditional expression inside co_await: GCC 12 destroys its temporaries twice.)
    const std::string& to_host = proxy ? proxy->host : origin.host;
    const std::uint16_t to_port = proxy ? proxy->port : origin.port;
    auto endpoints = co_await resolve(ex, to_host, to_port, b);
    if (!endpoints) {
      if (!proxy) co_return endpoints.error();
      co_return http_error{endpoints.error().what, "proxy: " + endpoints.error().reason};
    }
    // Closed while resolving: no socket is made (nor a deadline left behind).
    if (generation != this->generation) co_return http_error{http_error::kind::network, "closed"};
    dog.watch(nullptr);
    plain.reset();
    secure.reset();
    if (origin.https()) {
      if (!tls) co_return http_error{http_error::kind::network, "TLS: no context"};
      secure.emplace(ex, *tls);
    } else {
      plain.emplace(ex);
    }
    dog.watch(&socket());
    auto expiry = b.step_expiry();
    dog.expires_at(expiry);
    auto [ec, ep] = co_await asio::async_connect(socket(), *endpoints, use_tuple);
    if (dog.expired()) co_return timeout_error(b, "connect" + via, expiry);
    if (ec) co_return http_error{http_error::kind::network, "connect" + via + ": " + ec.message()};
    ++opened;
    if (proxy) {
      if (auto failed = co_await open_tunnel(b)) co_return failed;
    }
    if (secure) {
      if (auto failed = prepare_tls()) co_return failed;
      expiry = b.step_expiry();
      dog.expires_at(expiry);
      auto [hec] = co_await secure->async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (dog.expired()) co_return timeout_error(b, "TLS handshake", expiry);
      if (hec) {
        co_return http_error{http_error::kind::network,
                             "TLS handshake: " + tls_reason(hec, secure->native_handle())};
      }
    }
    dog.expires_never();
    open = true;
    co_return std::nullopt;
  }

  // Step 2b: a tunnel through the proxy to the origin: CONNECT, then the proxy's status line and
  // headers (a 2xx opens the tunnel; its answer has no body). The Host, SNI and certificate
  // checks that follow are the origin's: the proxy relays bytes it cannot read.
  asio::awaitable<std::optional<http_error>> open_tunnel(const budget& b) {
    using kind = http_error::kind;
    const std::string where = "proxy " + proxy->address();
    const std::string authority = host_port(origin.host, origin.port);
    std::string req = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!proxy->authorization.empty()) {
      req += "Proxy-Authorization: " + proxy->authorization + "\r\n";
    }
    req += "\r\n";
    auto expiry = b.step_expiry();
    dog.expires_at(expiry);
    auto [wec, written] = co_await asio::async_write(socket(), asio::buffer(req), use_tuple);
    if (dog.expired()) co_return timeout_error(b, where + " CONNECT", expiry);
    if (wec) co_return http_error{kind::network, where + " CONNECT: " + wec.message()};
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);
    parser.header_limit(max_tunnel_answer);
    beast::flat_buffer answer(max_tunnel_answer);
    expiry = b.step_expiry();
    dog.expires_at(expiry);
    auto [rec, read] = co_await bhttp::async_read_header(socket(), answer, parser, use_tuple);
    if (dog.expired()) co_return timeout_error(b, where + " CONNECT", expiry);
    if (rec == bhttp::error::end_of_stream || rec == asio::error::eof) {
      co_return http_error{kind::network, where + " closed the connection at CONNECT"};
    }
    if (rec) co_return http_error{kind::network, where + " CONNECT: " + rec.message()};
    const auto& res = parser.get();
    if (res.result_int() / 100 != 2) {
      co_return http_error{kind::network,
                           where + " refused CONNECT: " + std::to_string(res.result_int()) + " " +
                               printable_reason(res.reason())};
    }
    // The origin speaks first only after the client's hello: nothing may follow the answer yet.
    if (answer.size() != 0) {
      co_return http_error{kind::bad_http, where + " sent data after its CONNECT answer"};
    }
    co_return std::nullopt;
  }

  // What one attempt at a run of pipelined requests got: `answered` answers appended to the
  // results, then `error` for the next request (none when all were answered, or the server
  // closed the connection cleanly after its last answer); `early` when that error came before any
  // byte of the next answer.
  struct attempt_end {
    std::size_t answered = 0;
    std::optional<http_error> error;
    bool early = false;
  };

  // The last `count` requests in `wire` (from wire_from) on the open connection: one write, then
  // their answers in order, appended to `out`.
  template <class Stream>
  asio::awaitable<attempt_end> exchange(Stream& stream, std::size_t count, const budget& b,
                                        std::vector<http_result>& out) {
    attempt_end end;
    // Step 1: every request, in one write.
    auto expiry = b.step_expiry();
    dog.expires_at(expiry);
    const auto bytes = asio::buffer(wire.data() + wire_from, wire.size() - wire_from);
    auto [wec, written] = co_await asio::async_write(stream, bytes, use_tuple);
    if (wec) {
      end.error = transfer_error(b, "write", wec, expiry, dog.expired());
      end.early = true;
      co_return end;
    }
    // Step 2: the answers in order, each status and headers first; a body over the limit fails
    // it unless the caller wants only the status.
    while (end.answered < count) {
      http_response res;
      wire::response_reader parser(res);
      parser.body_limit(limits.max_body);
      parser.header_limit(limits.max_header);
      expiry = b.step_expiry();
      dog.expires_at(expiry);
      auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      const bool dropped =
          rec == bhttp::error::body_limit && limits.drop_oversized_body && parser.is_header_done();
      if (rec && !dropped) {
        end.error = transfer_error(b, "read", rec, expiry, dog.expired());
        end.early = !parser.got_some() && buffer.size() == 0;
        co_return end;
      }
      // An unread body still on its way, or the server's close: this connection is done.
      const bool last = dropped || !parser.keep_alive();
      if (dropped) {
        res.body.clear();
        res.body_dropped = true;
      }
      out.emplace_back(std::move(res));
      ++end.answered;
      if (last) {
        drop();
        co_return end;
      }
    }
    dog.expires_never();
    co_return end;
  }

  // `generation`: the one the request began in; a close() since then ends it.
  asio::awaitable<attempt_end> attempt(std::size_t count, const budget& b,
                                       std::vector<http_result>& out, std::uint64_t generation) {
    if (!open) {
      if (auto failed = co_await connect(b, generation)) {
        co_return attempt_end{.error = std::move(failed), .early = true};
      }
    }
    if (secure) co_return co_await exchange(*secure, count, b, out);
    co_return co_await exchange(*plain, count, b, out);
  }

  // Every request as bytes in `wire`, starts[i] where request i begins; the name of the first
  // part that cannot be written, "" when all can.
  std::string write_all(std::span<const http_request> reqs) {
    wire.clear();
    starts.clear();
    for (const auto& r : reqs) {
      starts.push_back(wire.size());
      if (auto bad = wire::write_request(r, host, wire); !bad.empty()) return bad;
    }
    return {};
  }
};

http_connection::http_connection(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls,
                                 url_parts origin, http_limits limits,
                                 std::optional<proxy_route> proxy)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(tls), std::move(origin), limits,
                                   std::move(proxy))) {}

http_connection::~http_connection() = default;

asio::awaitable<http_result> http_connection::request(const http_request& req, millis timeout) {
  auto results = co_await request_all(std::span(&req, 1), timeout);
  co_return std::move(results.front());
}

asio::awaitable<std::vector<http_result>> http_connection::request_all(
    std::span<const http_request> reqs, millis timeout) {
  const budget b{steady::now() + timeout, timeout, std::min(timeout, impl_->limits.step_timeout)};
  impl& self = *impl_;
  std::vector<http_result> out;
  out.reserve(reqs.size());
  const auto fail_rest = [&](const http_error& e) {
    while (out.size() < reqs.size()) out.emplace_back(e);
  };
  if (auto bad = self.write_all(reqs); !bad.empty()) {
    fail_rest({http_error::kind::network, "request not sent: invalid " + bad});
    co_return out;
  }
  self.pipelining_problem.clear();
  try {
    bool stale_retried = false;
    int unannounced_closes = 0;  // after answers, with requests of the set still unanswered
    while (out.size() < reqs.size()) {
      const std::size_t next = out.size();
      const bool reused = self.open;
      const auto generation = self.generation;
      self.wire_from = self.starts[next];
      auto end = co_await self.attempt(reqs.size() - next, b, out, generation);
      if (!end.error) continue;  // the rest, if any, go on a fresh connection
      if (end.early && end.answered > 0) {
        if (end.error->what == http_error::kind::timeout) {
          self.pipelining_problem = "no answer after " + std::to_string(out.size()) + " of " +
                                    std::to_string(reqs.size()) + " pipelined requests";
        } else if (++unannounced_closes == 2) {
          self.pipelining_problem = "the connection closed twice within one set of " +
                                    std::to_string(reqs.size()) + " pipelined requests";
        }
      }
      const bool closed_by_owner = self.generation != generation;
      if (!closed_by_owner) self.drop();
      // A failure inside an answer (not HTTP, too large, cut off, too slow) is that request's
      // alone; the requests behind it go again on a fresh connection.
      const bool own_failure = !end.early;
      if (own_failure) {
        out.emplace_back(*end.error);
        if (out.size() == reqs.size()) break;
      }
      // A failure before any byte of the next answer is sent again on a fresh connection: after
      // answers on this one (the server stopped taking requests), or once when a reused
      // connection turns out stale.
      const bool idempotent = std::all_of(reqs.begin() + static_cast<std::ptrdiff_t>(out.size()),
                                          reqs.end(), [](const auto& r) { return r.idempotent; });
      const bool retry = idempotent && !closed_by_owner && steady::now() < b.deadline &&
                         (own_failure || (end.error->what == http_error::kind::network &&
                                          (end.answered > 0 || (reused && !stale_retried))));
      if (!retry) {
        fail_rest(*end.error);
        break;
      }
      stale_retried = stale_retried || (!own_failure && end.answered == 0);
    }
  } catch (const boost::system::system_error& e) {
    self.drop();
    fail_rest({http_error::kind::network, "socket: " + e.code().message()});
  }
  co_return out;
}

void http_connection::close() {
  ++impl_->generation;
  impl_->drop();
}

std::uint64_t http_connection::connections_opened() const { return impl_->opened; }

const std::string& http_connection::pipelining_problem() const { return impl_->pipelining_problem; }

}  // namespace fjwatch
