#pragma once
// Notices every change to one file: written in place, replaced by a rename (how editors and
// `fjwatch add` save), created, deleted. Watches the file's directory with inotify; where that
// is impossible (no directory yet, no inotify), checks the file's identity once a second.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace fjwatch {

class file_watch {
 public:
  // `on_change` runs on the io_context once changes have settled for `settle`.
  file_watch(boost::asio::io_context& ioc, std::filesystem::path file,
             std::function<void()> on_change,
             std::chrono::milliseconds settle = std::chrono::milliseconds(50));
  ~file_watch();
  file_watch(const file_watch&) = delete;
  file_watch& operator=(const file_watch&) = delete;

  void start();
  void stop();
  bool using_inotify() const { return inotify_; }

 private:
  void read_events();
  void poll_identity();
  void changed();
  std::string identity() const;

  boost::asio::io_context& ioc_;
  std::filesystem::path file_;
  std::string name_;
  std::function<void()> on_change_;
  std::chrono::milliseconds settle_;
  boost::asio::posix::stream_descriptor stream_;
  boost::asio::steady_timer settle_timer_;
  boost::asio::steady_timer poll_timer_;
  std::array<char, 8192> buffer_{};
  std::string last_identity_;
  bool inotify_ = false;
  bool stopped_ = false;
};

}  // namespace fjwatch
