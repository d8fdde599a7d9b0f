#include "sim/receiver.hpp"
#include "sim/listen.hpp"

#include "sim/filler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

namespace fjwatch::sim {
namespace {

// The key bytes of "whsec_<base64>" or bare base64; nullopt when empty or not padded base64.
// EVP_DecodeBlock counts '=' padding as zero bytes, so they are taken off again here.
std::optional<std::string> decode_secret(std::string_view text) {
  if (text.starts_with("whsec_")) text.remove_prefix(6);
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  const std::size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(out.size() - pad);
  if (out.empty()) return std::nullopt;
  return out;
}

// "v1," + base64(HMAC-SHA256(key, content)).
std::string v1_signature(const std::string& key, const std::string& content) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(content.data());
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, content.size(),
            mac.data(), &mac_len))
    throw std::runtime_error("HMAC-SHA256 failed");
  std::string out(3 + (mac_len + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()) + 3, mac.data(),
                                static_cast<int>(mac_len));
  out.resize(3 + static_cast<std::size_t>(n));
  out.replace(0, 3, "v1,");
  return out;
}

// Equal contents, compared in constant time for equal lengths.
bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Whether some space-separated entry of `header` is exactly `expected`.
bool any_entry_matches(std::string_view header, const std::string& expected) {
  while (!header.empty()) {
    const std::size_t end = header.find(' ');
    if (same(header.substr(0, end), expected)) return true;
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
  }
  return false;
}

// Throws std::invalid_argument for a status reply outside 200..599.
void check_reply(const reply& r) {
  if (r.kind == reply_kind::status && (r.status < 200 || r.status > 599))
    throw std::invalid_argument("receiver reply status must be 200..599, not " +
                                std::to_string(r.status));
}

}  // namespace

std::string_view to_string(reply_kind k) {
  switch (k) {
    case reply_kind::status: return "status";
    case reply_kind::hang: return "hang";
    case reply_kind::close: return "close";
    case reply_kind::redirect: return "redirect";
    case reply_kind::huge: return "huge";
    case reply_kind::no_read: return "no_read";
    case reply_kind::partial: return "partial";
    case reply_kind::trickle: return "trickle";
    case reply_kind::gigantic: return "gigantic";
  }
  return "unknown";
}

std::string signature_problem(const std::vector<std::string>& secrets, std::string_view id,
                              std::string_view timestamp, std::string_view body,
                              std::string_view signature, std::chrono::system_clock::time_point now,
                              std::chrono::seconds tolerance) {
  if (id.empty()) return "no webhook-id";
  if (timestamp.empty()) return "no webhook-timestamp";
  if (signature.empty()) return "no webhook-signature";
  std::int64_t seconds = 0;
  const auto [end, ec] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size() || timestamp[0] == '-')
    return "webhook-timestamp is not decimal seconds";
  std::string content;
  content.append(id).append(".").append(timestamp).append(".").append(body);
  bool usable = false;
  bool match = false;
  for (const std::string& secret : secrets) {
    std::optional<std::string> key = decode_secret(secret);
    if (!key) continue;
    usable = true;
    match = match || any_entry_matches(signature, v1_signature(*key, content));
    OPENSSL_cleanse(key->data(), key->size());
  }
  if (!usable) return "no usable secret";
  if (!match) return "no v1 signature matches";
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t off = now_s > seconds ? now_s - seconds : seconds - now_s;
  if (off > tolerance.count()) return "webhook-timestamp is " + std::to_string(off) + "s from now";
  return "";
}

namespace detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t body_limit = 1024 * 1024;
constexpr std::size_t huge_size = 2 * 1024 * 1024;
constexpr std::uint64_t gigantic_size = 50ull * 1024 * 1024;
// What a partial reply writes before it closes: the status line and half a header name.
constexpr std::string_view partial_answer = "HTTP/1.1 200 OK\r\nContent";
// What a trickle reply writes, a byte at a time; then 'a' until it stops.
constexpr std::string_view trickle_start = "HTTP/1.1 200 OK\r\nX-Trickle: ";
constexpr auto trickle_gap = std::chrono::milliseconds(100);

// The value of header `name` (lower-case) or "".
std::string header_of(const std::map<std::string, std::string>& h, const std::string& name) {
  const auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

}  // namespace

// A connection the sink can close from any thread.
class sink_conn {
 public:
  virtual ~sink_conn() = default;
  // Closes the socket and cancels any wait, on the connection's executor.
  virtual void close() = 0;
};

// The acceptor, the port-holding socket, live connections, the script and the records.
class sink : public std::enable_shared_from_this<sink> {
 public:
  // Loads the certificate; throws like receiver's constructor. Not listening yet.
  sink(asio::io_context& ioc, receiver_options opts);
  // receiver::go_up (also the first listen).
  void up();
  // receiver::go_down, or receiver::stop when `final`.
  void down(bool final);
  bool is_up() const {
    std::lock_guard lock(net_mu_);
    return up_;
  }
  // Registers a connection accepted in generation `gen`; false if the sink went down since.
  bool enlist(std::uint64_t gen, std::uint64_t id, std::weak_ptr<sink_conn> c) {
    std::lock_guard lock(net_mu_);
    return gen == gen_ && conns_.emplace(id, std::move(c)).second;
  }
  void forget(std::uint64_t id) {
    std::lock_guard lock(net_mu_);
    conns_.erase(id);
  }

  // Takes the head of the script, else the default.
  reply next_reply() {
    std::lock_guard lock(data_mu_);
    if (script_.empty()) return default_;
    reply r = std::move(script_.front());
    script_.pop_front();
    return r;
  }
  void set_script(std::vector<reply> next) {
    for (const reply& r : next) check_reply(r);
    std::lock_guard lock(data_mu_);
    script_.insert(script_.end(), next.begin(), next.end());
  }
  void set_default(reply r) {
    check_reply(r);
    std::lock_guard lock(data_mu_);
    default_ = std::move(r);
  }
  // Appends a `received` for `req`, answered (or not, for 0) with `status`.
  void record(const request& req, const reply& r, int status, bool body_read);
  std::atomic<std::int64_t>& streamed() { return streamed_; }
  std::vector<received> copy() const {
    std::lock_guard lock(data_mu_);
    return records_;
  }
  std::size_t count() const {
    std::lock_guard lock(data_mu_);
    return records_.size();
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds bound) const {
    std::unique_lock lock(data_mu_);
    return data_cv_.wait_for(lock, bound, [&] { return records_.size() >= n; });
  }
  // To options::log, else stderr.
  void log(std::string_view line) const {
    if (opts_.log)
      opts_.log(line);
    else
      std::cerr << line << '\n';
  }

  const receiver_options& opts() const { return opts_; }
  std::uint16_t port() const { return port_; }  // set once, in the constructor's up()
  const std::string& ca_pem() const { return ca_pem_; }
  bool tls() const { return tls_ != nullptr; }

 private:
  void accept_next(std::uint64_t gen);  // net_mu_ held
  void on_accept(std::uint64_t gen, boost::system::error_code ec, tcp::socket socket);
  void serve(std::uint64_t gen, tcp::socket socket);

  asio::io_context& ioc_;
  const receiver_options opts_;
  std::shared_ptr<ssl::context> tls_;
  std::string ca_pem_;
  std::uint16_t port_ = 0;

  mutable std::mutex net_mu_;  // guards the members up to conns_
  tcp::acceptor acceptor_;
  tcp::socket holder_;  // bound, never listening: keeps the port while down
  bool up_ = false;
  bool stopped_ = false;
  std::uint64_t gen_ = 0;  // bumped by every up and down; stale accepts and enlists fail
  std::uint64_t next_conn_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<sink_conn>> conns_;

  mutable std::mutex data_mu_;  // guards the members below
  mutable std::condition_variable data_cv_;
  std::deque<reply> script_;
  reply default_;
  std::vector<received> records_;
  std::atomic<std::int64_t> streamed_{0};  // not guarded: atomic
};

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

sink::sink(asio::io_context& ioc, receiver_options opts)
    : ioc_(ioc), opts_(std::move(opts)), acceptor_(ioc), holder_(ioc) {
  for (std::size_t i = 0; i < opts_.secrets.size(); ++i) {
    std::optional<std::string> key = decode_secret(opts_.secrets[i]);
    if (!key)
      throw std::invalid_argument("receiver secret " + std::to_string(i) + " is not base64");
    OPENSSL_cleanse(key->data(), key->size());
  }
  ca_pem_ = opts_.ca_pem;
  if (opts_.tls) {
    const pem_pair leaf =
        loopback_cert(opts_.cert, opts_.ca_pem, opts_.host, "fjwatch-sim receiver CA", ca_pem_);
    tls_ = server_tls_context(leaf);
  }
  port_ = opts_.port;
}

void sink::up() {
  std::lock_guard lock(net_mu_);
  if (up_ || stopped_) return;
  const tcp::endpoint ep(asio::ip::make_address(opts_.host), port_);
  port_ = listen_held(acceptor_, holder_, ep);  // the same port after the constructor's call
  up_ = true;
  accept_next(++gen_);
}

void sink::down(bool final) {
  std::vector<std::shared_ptr<sink_conn>> live;
  {
    std::lock_guard lock(net_mu_);
    boost::system::error_code ec;
    if (final) {
      stopped_ = true;
      holder_.close(ec);
    }
    if (up_) acceptor_.close(ec);
    up_ = false;
    ++gen_;
    for (auto& [id, weak] : conns_)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->close();
}

void sink::accept_next(std::uint64_t gen) {
  acceptor_.async_accept(
      asio::make_strand(ioc_),
      [self = shared_from_this(), gen](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(gen, ec, std::move(socket));
      });
}

void sink::on_accept(std::uint64_t gen, boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (!ec) {
    serve(gen, std::move(socket));
  } else {  // e.g. out of file descriptors: give the clients a moment to go away
    auto t = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(50));
    t->async_wait([self = shared_from_this(), gen, t](boost::system::error_code) {
      std::lock_guard lock(self->net_mu_);
      if (gen == self->gen_) self->accept_next(gen);
    });
    return;
  }
  std::lock_guard lock(net_mu_);
  if (gen == gen_) accept_next(gen);
}

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

void sink::record(const request& req, const reply& r, int status, bool body_read) {
  received d;
  d.method = std::string(req.method_string());
  d.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto [it, fresh] = d.headers.emplace(std::move(name), std::string(field.value()));
    if (!fresh) it->second.append(", ").append(field.value());
  }
  d.id = header_of(d.headers, "webhook-id");
  d.timestamp = header_of(d.headers, "webhook-timestamp");
  d.signature = header_of(d.headers, "webhook-signature");
  d.content_type = header_of(d.headers, "content-type");
  d.user_agent = header_of(d.headers, "user-agent");
  d.body_read = body_read;
  if (body_read) d.body = req.body();
  d.at = std::chrono::system_clock::now();
  d.signature_problem = body_read ? signature_problem(opts_.secrets, d.id, d.timestamp, d.body,
                                                      d.signature, d.at, opts_.tolerance)
                                  : "body not read";
  d.signature_ok = d.signature_problem.empty();
  d.kind = r.kind;
  d.answered_status = status;
  {
    std::lock_guard lock(data_mu_);
    records_.push_back(std::move(d));
  }
  data_cv_.notify_all();
}

}  // namespace detail

receiver::receiver(boost::asio::io_context& ioc, receiver_options opts)
    : impl_(std::make_shared<detail::sink>(ioc, std::move(opts))) {
  impl_->up();
}

receiver::~receiver() { stop(); }

std::uint16_t receiver::port() const { return impl_->port(); }

std::string receiver::url(std::string_view path) const {
  const std::string& h = impl_->opts().host;
  const std::string host = h == "127.0.0.1"                   ? "localhost"
                           : h.find(':') != std::string::npos ? "[" + h + "]"
                                                              : h;
  std::string out =
      std::string(impl_->tls() ? "https" : "http") + "://" + host + ":" + std::to_string(port());
  if (!path.starts_with('/')) out += '/';
  return out.append(path);
}

const std::string& receiver::ca_pem() const { return impl_->ca_pem(); }
void receiver::script(std::vector<reply> next) { impl_->set_script(std::move(next)); }
void receiver::set_default(reply r) { impl_->set_default(std::move(r)); }
void receiver::go_down() { impl_->down(false); }
void receiver::go_up() { impl_->up(); }
bool receiver::is_up() const { return impl_->is_up(); }
std::vector<received> receiver::deliveries() const { return impl_->copy(); }
std::size_t receiver::count() const { return impl_->count(); }
std::uint64_t receiver::streamed_bytes() const {
  return static_cast<std::uint64_t>(impl_->streamed().load(std::memory_order_relaxed));
}

std::set<std::string> receiver::ids() const {
  std::set<std::string> out;
  for (const received& d : impl_->copy())
    if (d.answered_status >= 200 && d.answered_status < 300) out.insert(d.id);
  return out;
}

bool receiver::wait_for_count(std::size_t n, std::chrono::milliseconds bound) const {
  return impl_->wait_for_count(n, bound);
}

void receiver::stop() { impl_->down(true); }

}  // namespace fjwatch::sim
