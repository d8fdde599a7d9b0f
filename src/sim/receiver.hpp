#pragma once
// A webhook sink on loopback for the tests and `fjwatch demo`: records every request, checks its
// Standard Webhooks signature with code of its own (not fjwatch's), and answers as scripted:
// a status, a hang, a close, a redirect, a huge body, an answer before the body is read. It can
// go down (connections refused) and come back up on the same port.
#include "sim/certs.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::sim {

struct receiver_options {
  std::string host = "127.0.0.1";  // listen address (an IP literal)
  std::uint16_t port = 0;          // 0: any free port; either way it is kept until stop()
  bool tls = true;
  pem_pair cert;       // server certificate + key; empty: a fresh CA and a leaf for localhost
                       // and 127.0.0.1 are made
  std::string ca_pem;  // returned by ca_pem() when `cert` is given
  // Keys that verify signatures: "whsec_<base64>" or bare base64, standard alphabet, padded.
  std::vector<std::string> secrets;
  std::chrono::seconds tolerance{300};            // accepted webhook-timestamp distance from now
  std::chrono::milliseconds idle_timeout{30000};  // keep-alive idle and request-header deadline
  std::chrono::milliseconds io_timeout{10000};    // TLS handshake, body read and write deadline
  std::chrono::milliseconds hang_hold{120000};    // longest a `hang` holds its connection
  // Receives one line per unexpected failure inside the receiver (never a secret). Default: stderr.
  std::function<void(std::string_view)> log;
};

// How the receiver answers one request.
enum class reply_kind {
  status,    // `status` (200..599) with a small body, plus Retry-After when set
  hang,      // read the request, never answer; hold the connection until stop/go_down/hang_hold
  close,     // read the request, close the connection without answering
  redirect,  // 302 with Location: `location` (default https://elsewhere.invalid/)
  huge,      // 200 with a 2 MiB body
  no_read,   // 200 as soon as the header is read, the body left unread; then the connection closes
  partial,   // read the request, write the first 24 bytes of a 200 answer, then close
  trickle,   // read the request, then write a 200 answer's header one byte per 100 ms, never
             // ending it, until the client goes away, stop/go_down or hang_hold
  gigantic,  // 200, chunked, a 50 MiB body written for as long as the client reads it
};

// "status", "hang", ...; "unknown" for a value outside the enum.
std::string_view to_string(reply_kind k);

struct reply {
  reply_kind kind = reply_kind::status;
  int status = 200;         // for reply_kind::status
  std::string retry_after;  // sent as Retry-After when not empty (any reply that answers)
  std::string location;     // for reply_kind::redirect; "" means https://elsewhere.invalid/
};

// One request as it arrived. Requests whose header or body could not be read (timeout, reset,
// body over 1 MiB, which is answered 413) are not recorded.
struct received {
  std::string method;                                              // "POST"
  std::string target;                                              // "/hook"
  std::string id, timestamp, signature, content_type, user_agent;  // "" when absent
  std::string body;                                                // "" when !body_read
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined with ", "
  bool body_read = true;                       // false for reply_kind::no_read
  bool signature_ok = false;                   // signature_problem.empty()
  std::string signature_problem;             // see signature_problem(); "body not read" for no_read
  std::chrono::system_clock::time_point at;  // when the request was read
  reply_kind kind = reply_kind::status;      // how it was answered
  // The status written (set just before writing); 0 for hang, close, partial and trickle.
  int answered_status = 0;
};

// Why a Standard Webhooks delivery does not verify, or "" when it does: some space-separated
// "v1,<base64>" entry of `signature` equals base64(HMAC-SHA256(key, id.timestamp.body)) for one
// of `secrets`, and `timestamp` (decimal seconds) is within `tolerance` of `now`, bounds
// included. Checks in this order: "no webhook-id", "no webhook-timestamp", "no
// webhook-signature", "webhook-timestamp is not decimal seconds", "no usable secret" (every
// secret empty or not base64), "no v1 signature matches", "webhook-timestamp is <n>s from now".
std::string signature_problem(const std::vector<std::string>& secrets, std::string_view id,
                              std::string_view timestamp, std::string_view body,
                              std::string_view signature, std::chrono::system_clock::time_point now,
                              std::chrono::seconds tolerance = std::chrono::seconds(300));

namespace detail {
class sink;
}

// The receiver. Listens from construction and serves on the io_context's threads. Every member
// is thread-safe; the io_context may run on another thread. Throws std::invalid_argument for a
// secret that is not usable base64, std::runtime_error or boost::system::system_error if it
// cannot listen or the certificate does not load.
class receiver {
 public:
  receiver(boost::asio::io_context& ioc, receiver_options opts);
  ~receiver();  // stop()
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  // The listening port, the same for the receiver's whole life (also while down).
  std::uint16_t port() const;
  // "https://localhost:PORT/hook" (or http://; the host itself when it is not 127.0.0.1).
  std::string url(std::string_view path = "/hook") const;
  // The CA that signed the certificate (PEM); empty for plain HTTP with no CA given.
  const std::string& ca_pem() const;

  // The next requests, in arrival order of their headers, get these replies, after any still
  // queued; then the default. Throws std::invalid_argument for a status reply outside 200..599.
  void script(std::vector<reply> next);
  // The reply once the script is used up (initially 200). Throws like script().
  void set_default(reply r);

  // Stops listening and closes every connection (asynchronously, on their executors); from
  // return on, connects are refused. The port stays bound by a socket that does not listen, so
  // nothing else takes it. Idempotent; no effect after stop().
  void go_down();
  // Listens again on the same port. Idempotent; no effect after stop(). Throws
  // boost::system::system_error if the port cannot be bound (another listener took it).
  void go_up();
  // Listening now.
  bool is_up() const;

  // Copies of every recorded request, in order.
  std::vector<received> deliveries() const;
  std::size_t count() const;
  // Distinct webhook-id values of requests answered 2xx.
  std::set<std::string> ids() const;
  // Body bytes the gigantic replies got written, in all.
  std::uint64_t streamed_bytes() const;
  // Blocks the calling thread until count() >= n or `bound` passes; true if reached. Must not be
  // called on a thread that runs the receiver's io_context.
  bool wait_for_count(std::size_t n, std::chrono::milliseconds bound) const;

  // go_down() for good and releases the port; idempotent. The receiver's work on the io_context
  // ends shortly after.
  void stop();

 private:
  std::shared_ptr<detail::sink> impl_;
};

}  // namespace fjwatch::sim
