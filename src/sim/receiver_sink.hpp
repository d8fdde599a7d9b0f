#pragma once
// Internal to the receiver: the sink (acceptor, live connections, script, records) shared by
// receiver.cpp (listening, recording, the public face) and receiver_conn.cpp (one connection).
#include "sim/receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace fjwatch::sim::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Throws std::invalid_argument for a status reply outside 200..599.
void check_reply(const reply& r);

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

}  // namespace fjwatch::sim::detail
