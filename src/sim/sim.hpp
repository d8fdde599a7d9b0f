#pragma once
// A simulated FJ Sourcing API on loopback: GET /api/v1/wl/sourcing-session/{id} over HTTPS or
// plain HTTP, with scripted session life cycles, ETags, rate limits and injectable faults.
#include "fjwatch/domain/session.hpp"
#include "sim/certs.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::sim {

// totalProfilesMatched reaching `matched` `at` after its step began (a batch of matching done).
struct progress_point {
  std::chrono::milliseconds at{0};
  std::int64_t matched = 0;
  friend bool operator==(const progress_point&, const progress_point&) = default;
};

// One state of a session's script. It applies from `at` after the session was added, or, when
// at_poll > 0, from the at_poll-th poll (1-based) on. While the status is not done,
// totalProfilesMatched rises linearly towards `total` until the next step begins; or, when
// `progress` is given (time-based steps only, in order of `at`), it stands at the matched of the
// last point reached (0 before the first), as a search that reports its matches in batches.
struct step {
  std::chrono::milliseconds at{0};
  int at_poll = 0;
  matching_status status = matching_status::processing;
  std::int64_t total = 25;  // totalProfilesForMatching
  std::int64_t search_more_counter = 0;
  std::vector<progress_point> progress;
};

// What a poll can be answered with instead of the session.
enum class fault {
  none,
  http_503,        // 503 with Retry-After
  http_500,        // 500
  rate_limited,    // 429 with Retry-After: retry_after
  malformed_json,  // 200, body cut in the middle
  reset,           // connection closed with a TCP RST, no answer
  endless_body,    // headers with a large Content-Length, a few bytes, then silence
  huge_body,       // 200 with over 2 MiB of valid JSON
  redirect,        // 302 to another host
  wrong_type,      // 200, profileMatchingStatus is a number
  slow,            // the normal answer, after slow_delay
  garbage,         // 2 KiB of binary noise ending in a blank line (not HTTP at all), then a close
  nested,          // 200, a body of 100,000 nested JSON arrays
  wrong_types,     // 200, every field of the answer and of data.session with a wrong type
  wrong_shape,     // 200, every top-level field mistyped: data is an array around the session
  huge_50mb,       // 200 with Content-Length: 50 MiB, written until the client goes away
  huge_50mb_chunked,  // 200, chunked, 50 MiB written until the client goes away
};

// "http_503", "reset", ...; "unknown" for a value outside the enum.
std::string_view to_string(fault f);

// A session the simulator serves. Steps are applied in order; the session is `processing`
// (total from the first step, or 25) until one applies. The first fault_polls polls of this
// session (-1: every poll) are answered with fault_kind.
struct session_script {
  std::string id;  // 24 lowercase hex characters
  std::string title = ".NET Developer";
  std::string project = "First Project";
  std::int64_t available = 333;  // totalAvailableProfiles
  std::vector<step> steps;
  fault fault_kind = fault::none;
  int fault_polls = 0;
  std::chrono::seconds retry_after{1};        // for http_503 and rate_limited
  std::chrono::milliseconds slow_delay{500};  // for slow
};

// processing from the start, done (25 profiles) `after` later.
session_script done_after(std::string id, std::chrono::milliseconds after);
// processing, done at done_at; fetching_more at fetch_at; done again at done_again_at with
// searchMoreCounter 1 and a second batch (25 more profiles). Times from when it is added.
session_script fetch_more_cycle(std::string id, std::chrono::milliseconds done_at,
                                std::chrono::milliseconds fetch_at,
                                std::chrono::milliseconds done_again_at);
// processing until the at_poll-th poll, done from then on.
session_script done_at_poll(std::string id, int at_poll);

// The "realistic" workload: session n (from 1) for `seed`, deterministic in both. processing for
// a log-normal duration (median 60 s, sigma 1, clamped to 20 s..10 min), then done with
// totalProfilesMatched == totalProfilesForMatching (log-uniform in 50..2000). While processing,
// the matched count rises in batches 1..5 s apart (each batch's size is +-50% of its share),
// after a setup of up to 8 s with nothing matched, at a rate that drifts linearly from one
// end of the search to the other by a factor within 0.75..1.25 at each end.
session_script realistic_session(std::string id, std::uint64_t seed, std::int64_t n);

// The "lagged" workload: a search that shows nothing for a while before its counts climb.
// Session n for `seed`: done after T, log-normal (median 60 s, sigma 0.8) clamped to
// 20 s..5 min; totalProfilesForMatching 20..50 (uniform); totalProfilesMatched stays 0 for a
// start lag of 10-30% of T, then rises one profile at a time, evenly, to the total at T.
session_script lagged_session(std::string id, std::uint64_t seed, std::int64_t n);

// When the script first turns done: the `at` of its first time-based done step; nullopt when
// it has none (a done step at a poll count has no instant of its own).
std::optional<std::chrono::milliseconds> first_done_at(const session_script& script);

// One session's account, for benchmarks: when it turned done and how often it was polled.
struct session_report {
  std::string id;
  std::int64_t added_unix_ms = 0;
  std::optional<std::int64_t> done_unix_ms;         // added + first_done_at()
  std::optional<std::int64_t> done_served_unix_ms;  // the first answer that said done
  std::int64_t polls = 0;                           // as polls_of()
};

// A fault hitting a deterministic fraction of all authorized requests (0..1): request n is hit
// when floor(n * fraction) grows, so 0.25 hits every 4th request.
struct fault_fraction {
  fault kind = fault::none;
  double fraction = 0;
};

// How the server takes a request that arrived behind another on the same connection before
// that one was answered (HTTP/1.1 pipelining): as HTTP/1.1 says, or as servers and proxies that
// mishandle it do.
enum class pipelining {
  serve,    // each answered in order
  ignore,   // never answered: the connection stays open and silent until the client leaves
  close,    // the connection closed after the answer before it, without Connection: close
  reverse,  // every request already received is answered, the last one first
};

struct options {
  std::string host = "127.0.0.1";  // listen address (an IP literal)
  std::uint16_t port = 0;          // 0: any free port, see server::port()
  bool tls = true;
  pem_pair cert;       // server certificate + key; empty: a fresh CA and a leaf for
                       // localhost and 127.0.0.1 are made
  std::string ca_pem;  // returned by ca_pem() when `cert` is given
  // The highest version offered; below 1.2, the only one (see server_tls_context).
  tls_version tls_max = tls_version::v1_3;
  std::string api_key = "fjk_sim_key";
  std::chrono::milliseconds latency{0};  // before every answer
  double fraction_503 = 0;               // shorthand for a {http_503, fraction} global fault
  std::vector<fault_fraction> global_faults;
  std::int64_t rate_limit = 1000000;  // authorized requests per fixed window
  std::chrono::seconds rate_window{60};
  bool hide_progress = false;  // totalProfilesMatched stays still until the status changes
  std::string redirect_to = "https://elsewhere.invalid";  // redirect fault: origin of Location
  std::chrono::milliseconds idle_timeout{30000};  // keep-alive idle and request-read deadline
  // Answers per connection; the last one says Connection: close and the connection is closed
  // (nginx's keepalive_requests). 0: no limit.
  std::int64_t keepalive_requests = 0;
  pipelining pipelined_requests = pipelining::serve;
  std::chrono::milliseconds io_timeout{10000};     // TLS handshake and response write deadline
  std::chrono::milliseconds endless_hold{120000};  // longest an endless body is held open
  // Receives one line per unexpected failure inside the server (never a key). Default: stderr.
  std::function<void(std::string_view)> log;
};

// Counters since the server started; a consistent-enough copy for assertions.
struct stats {
  std::int64_t requests = 0;           // complete HTTP requests read
  std::int64_t requests_with_key = 0;  // ... that carried an x-fj-api-key header
  std::int64_t ok_200 = 0;
  std::int64_t not_modified_304 = 0;
  std::int64_t redirects_3xx = 0;
  std::int64_t unauthorized_401 = 0;
  std::int64_t not_found_404 = 0;
  std::int64_t rate_limited_429 = 0;
  std::int64_t errors_5xx = 0;
  std::int64_t resets = 0;            // connections reset by the reset fault
  std::int64_t endless_bodies = 0;    // endless_body faults served
  std::int64_t tls_handshakes = 0;    // completed
  std::int64_t connections = 0;       // accepted
  std::int64_t idle_closes = 0;       // closed after idle_timeout without a request
  std::int64_t streamed_bytes = 0;    // body bytes the huge_50mb faults got written
  std::int64_t pipelined = 0;         // requests already received when the previous answer went out
  std::int64_t keepalive_closes = 0;  // connections closed after keepalive_requests answers
};

namespace detail {
class listener;
}

// The simulator. Listens from construction; serves on the io_context's threads. Every member is
// thread-safe. Throws std::runtime_error (or boost::system::system_error) if it cannot listen or
// the certificate does not load.
class server {
 public:
  server(boost::asio::io_context& ioc, options opts);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const;
  // "https://localhost:PORT" (or http://) when listening on 127.0.0.1, else scheme://host:PORT.
  std::string base_url() const;
  // The CA that signed the server certificate (PEM); empty for plain HTTP with no CA given.
  const std::string& ca_pem() const;

  // Adds the session, or replaces one with the same id (its clock and polls start again).
  // Throws std::invalid_argument if the id is not 24 lowercase hex characters.
  void add_session(session_script script);
  // Later polls of the id answer 404. False if it was unknown.
  bool remove_session(std::string_view id);
  // The next `polls` polls of the id (-1: all, 0: none) answer `kind`. False if the id is unknown.
  bool set_fault(std::string_view id, fault kind, int polls);
  // Replaces the global fraction for `kind` (0 removes it).
  void set_global_fault(fault kind, double fraction);
  // Requests must carry this key from now on.
  void set_api_key(std::string key);
  void set_latency(std::chrono::milliseconds latency);
  // Connections accepted from now on present `cert` and offer up to `max` (as options::cert and
  // options::tls_max); open ones keep what they have. ca_pem() is unchanged. Throws
  // std::logic_error for a plain-HTTP server, like the constructor if `cert` does not load.
  void set_tls(const pem_pair& cert, tls_version max = tls_version::v1_3);

  stats snapshot() const;
  // Authorized requests for the id that reached the session table (faulted ones included); 0 if
  // unknown.
  std::int64_t polls_of(std::string_view id) const;
  // Every session's account, in id order.
  std::vector<session_report> report() const;

  // Stops accepting and closes every connection; idempotent. The server's work on the
  // io_context ends shortly after (already-running handlers finish on their own thread).
  void stop();

  // Stops listening and closes every connection (answers being delayed are dropped); from return
  // on, connects are refused. The port stays bound by a socket that does not listen, so nothing
  // else takes it. Sessions and their clocks go on. Idempotent; no effect after stop().
  void go_down();
  // Listens again on the same port. Idempotent; no effect after stop(). Throws
  // boost::system::system_error if the port cannot be bound.
  void go_up();
  // Listening now.
  bool is_up() const;
  // go_down and go_up wait for the server's io_context: never call them on one of its threads.

 private:
  std::shared_ptr<detail::listener> impl_;
};

}  // namespace fjwatch::sim
