#pragma once
// The test's side of sd_notify: a unix datagram socket it owns, whose path goes into the child's
// $NOTIFY_SOCKET. Every datagram is split into its assignments ("READY=1", "STATUS=..."), each
// kept with the time it arrived. Single-threaded: messages are read while a wait runs.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::testing {

class notify_socket {
 public:
  using clock = std::chrono::steady_clock;
  struct message {
    clock::time_point at;
    std::string text;  // one assignment, e.g. "WATCHDOG=1"
  };
  using pred = std::function<bool(const std::vector<message>&)>;

  // Binds `path` (which must not exist). Throws std::runtime_error on failure.
  explicit notify_socket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto p = path_.string();
    if (fd_ < 0 || p.size() >= sizeof addr.sun_path)
      throw std::runtime_error("notify socket: " + p);
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("notify socket: cannot bind " + p);
    }
  }
  ~notify_socket() { ::close(fd_); }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  std::string path() const { return path_.string(); }
  const std::vector<message>& messages() const { return messages_; }

  // Reads datagrams until `done` holds over every message so far, at most `bound`; true when
  // it held.
  bool wait_for(const pred& done, std::chrono::milliseconds bound) {
    const auto deadline = clock::now() + bound;
    for (;;) {
      if (done(messages_)) return true;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) > 0) receive();
    }
  }

  // The index of the first message at or after `from` equal to `text` (or, when `text` ends in
  // '=', starting with it), waiting up to `bound`.
  std::optional<std::size_t> wait_for_text(std::string_view text, std::chrono::milliseconds bound,
                                           std::size_t from = 0) {
    std::optional<std::size_t> found;
    wait_for(
        [&](const std::vector<message>& all) {
          for (std::size_t i = from; i < all.size(); ++i) {
            if (matches(all[i].text, text)) {
              found = i;
              return true;
            }
          }
          return false;
        },
        bound);
    return found;
  }

  // Reads what has already arrived, without waiting.
  void drain() {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) receive();
  }

  static bool matches(std::string_view got, std::string_view text) {
    return text.ends_with('=') ? got.starts_with(text) : got == text;
  }

 private:
  void receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    const auto now = clock::now();
    std::string_view rest(buf, static_cast<std::size_t>(n));
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      if (auto line = rest.substr(0, nl); !line.empty())
        messages_.push_back({now, std::string(line)});
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<message> messages_;
};

}  // namespace fjwatch::testing
