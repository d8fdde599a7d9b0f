// The webhook receiver: signature checks, the sink's listening and records, the public face.
// One connection's requests and replies are in receiver_conn.cpp.
#include "sim/receiver.hpp"

#include "sim/listen.hpp"
#include "sim/receiver_sink.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <stdexcept>

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

}  // namespace

std::string_view to_string(reply_kind k) {
  switch (k) {
    case reply_kind::status:
      return "status";
    case reply_kind::hang:
      return "hang";
    case reply_kind::close:
      return "close";
    case reply_kind::redirect:
      return "redirect";
    case reply_kind::huge:
      return "huge";
    case reply_kind::no_read:
      return "no_read";
    case reply_kind::partial:
      return "partial";
    case reply_kind::trickle:
      return "trickle";
    case reply_kind::gigantic:
      return "gigantic";
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

// The value of header `name` (lower-case) or "".
std::string header_of(const std::map<std::string, std::string>& h, const std::string& name) {
  const auto it = h.find(name);
  return it == h.end() ? std::string() : it->second;
}

}  // namespace

// Throws std::invalid_argument for a status reply outside 200..599.
void check_reply(const reply& r) {
  if (r.kind == reply_kind::status && (r.status < 200 || r.status > 599))
    throw std::invalid_argument("receiver reply status must be 200..599, not " +
                                std::to_string(r.status));
}

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
