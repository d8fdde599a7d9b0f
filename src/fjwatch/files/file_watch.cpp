#include "fjwatch/files/file_watch.hpp"

#include "fjwatch/log/log.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace fjwatch {
namespace asio = boost::asio;

file_watch::file_watch(asio::io_context& ioc, std::filesystem::path file,
                       std::function<void()> on_change, std::chrono::milliseconds settle)
    : ioc_(ioc),
      file_(std::move(file)),
      name_(file_.filename().string()),
      on_change_(std::move(on_change)),
      settle_(settle),
      stream_(ioc),
      settle_timer_(ioc),
      poll_timer_(ioc) {}

file_watch::~file_watch() { stop(); }

void file_watch::start() {
  stopped_ = false;
  auto dir = file_.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                 IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  if (fd >= 0 && inotify_add_watch(fd, dir.c_str(), mask) >= 0) {
    stream_.assign(fd);
    inotify_ = true;
    read_events();
    return;
  }
  const int err = errno;
  if (fd >= 0) ::close(fd);
  log::warn("watchlist.watch_fallback",
            {{"dir", dir.string()}, {"reason", std::strerror(err)}, {"check_every", "1s"}});
  last_identity_ = identity();
  poll_identity();
}

void file_watch::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  stream_.close(ignored);
  settle_timer_.cancel();
  poll_timer_.cancel();
}

void file_watch::read_events() {
  stream_.async_read_some(
      asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
        if (ec || stopped_) return;
        bool relevant = false;
        for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(buffer_.data() + off);
          const std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
          // Events on the directory itself (deleted, moved) also matter: the file went with it.
          relevant = relevant || name == name_ || (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF));
          off += sizeof(inotify_event) + ev->len;
        }
        if (relevant) changed();
        read_events();
      });
}

// Fallback: the file's inode, size and mtime, compared once a second.
std::string file_watch::identity() const {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void file_watch::poll_identity() {
  poll_timer_.expires_after(std::chrono::seconds(1));
  poll_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    if (auto now = identity(); now != last_identity_) {
      last_identity_ = now;
      changed();
    }
    poll_identity();
  });
}

// Editors write in several steps: act once they have settled.
void file_watch::changed() {
  settle_timer_.expires_after(settle_);
  settle_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopped_) on_change_();
  });
}

}  // namespace fjwatch
