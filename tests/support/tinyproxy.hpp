#pragma once
// HTTP proxies for the proxy tests: Debian's tinyproxy on a free 127.0.0.1 port, in the
// foreground with a config of its own in a temp dir (never the system's), killed with the object;
// and a proxy that hangs (a loopback port whose connections are never answered). Header-only; no
// Boost.Test (failures to set up throw).
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace fjwatch::testing {

// The tinyproxy binary, "" when it is not installed (scripts/deps.sh test installs it).
inline std::string tinyproxy_binary() {
  for (const char* p : {"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

// A port on 127.0.0.1 that was free a moment ago.
inline std::uint16_t free_loopback_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0},
                                   /*reuse_address=*/false);
  return a.local_endpoint().port();
}

struct tinyproxy_options {
  std::string basic_auth;    // "user password": it asks for these (407 without them)
  bool only_port_1 = false;  // CONNECT allowed to port 1 only: every other one is refused, 403
};

class tinyproxy {
 public:
  using options = tinyproxy_options;

  // Starts it and waits until it accepts connections; throws std::runtime_error when it does not
  // (a few ports are tried, since another process may take a free one first).
  explicit tinyproxy(options o = {}) : opts_(std::move(o)) {
    for (int attempt = 0; attempt < 3 && !child_; ++attempt) start(free_loopback_port());
    if (!child_) throw std::runtime_error("tinyproxy did not start: " + last_output_);
  }
  ~tinyproxy() = default;  // the child is killed (SIGKILL) and reaped with child_process
  tinyproxy(const tinyproxy&) = delete;
  tinyproxy& operator=(const tinyproxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // CONNECT requests it has read for `port` (of any host) so far, from its log.
  std::size_t connects_to(std::uint16_t port) const {
    const std::string target = ":" + std::to_string(port) + " HTTP/1.";
    std::size_t n = 0;
    for (const auto& l : child_->err_lines()) {
      n += l.find("Request (file descriptor") != std::string::npos &&
           l.find(": CONNECT ") != std::string::npos && l.find(target) != std::string::npos;
    }
    return n;
  }
  // Every CONNECT request it has read, of any port.
  std::size_t connects() const {
    std::size_t n = 0;
    for (const auto& l : child_->err_lines()) {
      n += l.find("Request (file descriptor") != std::string::npos &&
           l.find(": CONNECT ") != std::string::npos;
    }
    return n;
  }
  std::vector<std::string> log() const { return child_->err_lines(); }

 private:
  void start(std::uint16_t port) {
    std::string conf = "Port " + std::to_string(port) +
                       "\nListen 127.0.0.1\nAllow 127.0.0.1\nMaxClients 50\nLogLevel Info\n"
                       "Timeout 30\n";
    if (!opts_.basic_auth.empty()) conf += "BasicAuth " + opts_.basic_auth + "\n";
    if (opts_.only_port_1) conf += "ConnectPort 1\n";
    const auto file = dir_.write("tinyproxy-" + std::to_string(port) + ".conf", conf);
    // Its log goes to stdout: sent to stderr, where child_process reads lines as they come.
    auto c = std::make_unique<child_process>(
        std::vector<std::string>{"/bin/sh", "-c", "exec \"$0\" -d -c \"$1\" 1>&2",
                                 tinyproxy_binary(), file.string()},
        base_env(), dir_.path());
    const auto ready = c->wait_for_text({"Accepting connections"}, std::chrono::seconds(5));
    last_output_ = c->err_text();
    if (!ready) return;
    child_ = std::move(c);
    port_ = port;
  }

  options opts_;
  temp_dir dir_{"fjwatch-tinyproxy"};
  std::unique_ptr<child_process> child_;
  std::uint16_t port_ = 0;
  std::string last_output_;
};

// A proxy that accepts TCP connections (the kernel's backlog does) and never answers a byte.
class hanging_proxy {
 public:
  hanging_proxy()
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0},
                  /*reuse_address=*/false) {}
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace fjwatch::testing
