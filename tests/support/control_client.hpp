#pragma once
// Clients of the control endpoint for the tests: raw bytes over a blocking socket (TCP or unix)
// on a thread of its own, so that the test thread can keep running the daemon's io_context.
// Header-only; no Boost.Test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fjwatch::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick, released).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("free_port: " + std::string(std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A connected blocking socket to `address` ("127.0.0.1:PORT" or "unix:/path") whose reads give
// up after `read_timeout`; -1 when the connect fails.
inline int connect_to(const std::string& address, std::chrono::milliseconds read_timeout) {
  int fd = -1;
  if (address.starts_with("unix:")) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, address.c_str() + 5, sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
  } else {
    const auto colon = address.rfind(':');
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(read_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(read_timeout.count() % 1000 * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// What came back on one connection.
struct exchange {
  bool connected = false;
  std::string text;        // every byte read
  bool closed = false;     // the server closed the connection (EOF or reset)
  bool timed_out = false;  // a read waited read_timeout without a byte
};

// Sends `request` (which may be partial: the server then waits for the rest) and reads until the
// server closes or a read times out.
inline exchange send_raw(const std::string& address, std::string request,
                         std::chrono::milliseconds read_timeout = std::chrono::seconds(5)) {
  exchange out;
  const int fd = connect_to(address, read_timeout);
  if (fd < 0) return out;
  out.connected = true;
  if (!request.empty()) (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.text.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      out.timed_out = true;
    } else {
      out.closed = true;
    }
    break;
  }
  ::close(fd);
  return out;
}

// send_raw on another thread; the caller runs its io_context until the future is ready.
inline std::future<exchange> send_raw_async(
    std::string address, std::string request,
    std::chrono::milliseconds read_timeout = std::chrono::seconds(5)) {
  return std::async(std::launch::async,
                    [address = std::move(address), request = std::move(request), read_timeout] {
                      return send_raw(address, request, read_timeout);
                    });
}

// "GET /path HTTP/1.1" with Host and Connection: close.
inline std::string request_text(std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

// The status code of a raw HTTP response (0 when there is none).
inline int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

// The body of a raw HTTP response ("" when there is none).
inline std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

template <class T>
bool ready(const std::future<T>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace fjwatch::testing
