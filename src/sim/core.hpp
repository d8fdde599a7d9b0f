#pragma once
// Internal to the simulator: what to answer to one request. No I/O here; the connection code
// (sim.cpp) acts the answer out.
#include "sim/model.hpp"
#include "sim/sim.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fjwatch::sim::detail {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// How a connection carries out an answer.
struct reply {
  // respond: res. reset: a TCP RST. endless: raw, then silence. garbage: raw, then a close.
  // stream: raw (headers and the first body bytes), then stream_bytes more body bytes (as
  // chunks when chunked), for as long as the client reads them.
  enum class how { respond, reset, endless, garbage, stream };
  how action = how::respond;
  std::chrono::milliseconds delay{0};  // wait this long first
  response res;                        // for respond
  std::string raw;                     // for endless, garbage and stream
  std::uint64_t stream_bytes = 0;      // for stream
  bool chunked = false;                // for stream
};

// The RateLimit-* view of the current window.
struct rate_info {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_seconds = 0;  // until the window ends, at least 1
  std::int64_t window_seconds = 0;
};

// A fixed-window counter aligned to the server's start. Not thread-safe.
class fixed_window {
 public:
  fixed_window(std::int64_t limit, std::chrono::seconds window, steady_clock::time_point start);
  // Counts one request; false (and nothing counted) when the window is exhausted.
  bool take(steady_clock::time_point now, rate_info& info);
  rate_info peek(steady_clock::time_point now);

 private:
  void roll(steady_clock::time_point now);
  rate_info info(steady_clock::time_point now) const;

  std::int64_t limit_;
  steady_clock::duration window_;
  steady_clock::time_point start_;
  std::int64_t index_ = 0;
  std::int64_t used_ = 0;
};

// Counters behind sim::stats.
struct counters {
  std::atomic<std::int64_t> requests{0}, requests_with_key{0}, ok_200{0}, not_modified_304{0},
      redirects_3xx{0}, unauthorized_401{0}, not_found_404{0}, rate_limited_429{0}, errors_5xx{0},
      resets{0}, endless_bodies{0}, tls_handshakes{0}, connections{0}, idle_closes{0}, pipelined{0},
      keepalive_closes{0}, streamed_bytes{0};
  stats snapshot() const;
};

// The simulator's state: sessions, key, limits, faults, counters. Thread-safe.
class core {
 public:
  explicit core(options opts);

  // Decides the answer to one request; never throws for anything a client can send.
  reply handle(const request& req);

  void add_session(session_script script);
  bool remove_session(std::string_view id);
  bool set_fault(std::string_view id, fault kind, int polls);
  void set_global_fault(fault kind, double fraction);
  void set_api_key(std::string key);
  void set_latency(std::chrono::milliseconds latency);
  std::int64_t polls_of(std::string_view id) const;
  std::vector<session_report> report() const;

  const options& opts() const { return opts_; }
  counters& count() { return counters_; }
  // Passes one line to options::log (stderr by default).
  void log(std::string_view line) const;

 private:
  struct entry {
    session_model model;
    std::int64_t polls = 0;
    fault fault_kind = fault::none;
    int faults_left = 0;
  };
  struct global_fault {
    fault kind;
    double fraction;
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct plan;

  plan decide(const request& req);
  void answer_session(plan& p, const request& req, std::string_view path, std::string_view id,
                      steady_clock::time_point now);
  static void set_error(plan& p, http::status status, std::string_view message);
  bool plan_fault(plan& p, fault f, entry* e);
  fault next_global_fault();
  reply build(const request& req, plan&& p);
  void tally(const reply& r);

  options opts_;
  std::atomic<std::int64_t> latency_ms_;
  std::atomic<std::uint64_t> request_seq_{0};
  counters counters_;
  std::uint64_t seed_;

  mutable std::mutex mu_;  // guards everything below
  std::string api_key_;
  fixed_window window_;
  std::vector<global_fault> global_faults_;
  std::uint64_t authorized_ = 0;
  std::uint64_t adds_ = 0;
  std::unordered_map<std::string, std::unique_ptr<entry>, string_hash, std::equal_to<>> sessions_;
};

}  // namespace fjwatch::sim::detail
