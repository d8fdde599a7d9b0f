#include "fjwatch/files/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

namespace fjwatch {

namespace {

namespace fs = std::filesystem;

// "<path>: <what>: <strerror(errno)>".
failure os_failure(const fs::path& p, std::string_view what, int err = errno) {
  return fail(p.string() + ": " + std::string(what) + ": " + std::generic_category().message(err));
}

fs::path dir_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// Closes fd on every path out of a scope.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes all of `text` to fd.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Gives the new file the old one's mode and owner; see replace_text_file.
result<void> copy_identity(int fd, const fs::path& tmp, const struct stat* old) {
  mode_t mode = 0;
  if (old != nullptr) {
    mode = old->st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd, mode) != 0) return os_failure(tmp, "cannot set the mode");
  if (old == nullptr || (old->st_uid == ::geteuid() && old->st_gid == ::getegid())) return {};
  if (::fchown(fd, old->st_uid, old->st_gid) != 0 && old->st_uid != ::geteuid()) {
    return os_failure(tmp, "cannot give it the owner " + std::to_string(old->st_uid) + ":" +
                               std::to_string(old->st_gid) +
                               " of the file it replaces (run as that user or root)");
  }
  return {};
}

// Fsyncs a directory so that a rename in it survives a crash.
result<void> sync_dir(const fs::path& dir) {
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return os_failure(dir, "cannot open the directory");
  if (::fsync(d.fd) != 0) return os_failure(dir, "cannot sync the directory");
  return {};
}

}  // namespace

result<std::optional<file_lock>> file_lock::acquire(const fs::path& lock_path,
                                                    std::chrono::milliseconds wait) {
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno == EACCES) fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return os_failure(lock_path, "cannot open the lock file");
  file_lock lock(fd);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(1);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return os_failure(lock_path, "cannot lock");
    if (std::chrono::steady_clock::now() >= deadline) return std::optional<file_lock>();
    std::this_thread::sleep_for(pause);  // a short backoff: edits take milliseconds
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return std::optional<file_lock>(std::move(lock));
}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

file_lock::~file_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

fs::path lock_path_for(const fs::path& file) {
  return dir_of(file) / ("." + file.filename().string() + ".lock");
}

result<void> replace_text_file(const fs::path& file, std::string_view text) {
  struct stat old {};
  const bool existed = ::stat(file.c_str(), &old) == 0;
  if (!existed && errno != ENOENT) return os_failure(file, "cannot look at");
  std::string tmp = (dir_of(file) / ("." + file.filename().string() + ".XXXXXX")).string();
  fd_guard f{::mkostemp(tmp.data(), O_CLOEXEC)};
  if (f.fd < 0) return os_failure(tmp, "cannot create a temporary file");
  auto written = [&]() -> result<void> {
    if (!write_all(f.fd, text)) return os_failure(tmp, "cannot write");
    if (auto r = copy_identity(f.fd, tmp, existed ? &old : nullptr); !r) return r;
    if (::fsync(f.fd) != 0) return os_failure(tmp, "cannot sync");
    if (::rename(tmp.c_str(), file.c_str()) != 0) return os_failure(file, "cannot replace");
    return {};
  }();
  if (!written) {
    ::unlink(tmp.c_str());
    return written;
  }
  return sync_dir(dir_of(file));
}

}  // namespace fjwatch
