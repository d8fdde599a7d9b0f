#include "fjwatch/store/state_lock.hpp"

#include "fjwatch/store/store.hpp"
#include "fjwatch/store/detail/store_sql.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>

namespace fjwatch {
namespace {

std::string errno_text(int e) { return std::generic_category().message(e); }

// The pid written in the lock file; nullopt when it holds none (its holder has not written it
// yet) or cannot be read.
std::optional<pid_t> written_pid(int fd) {
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc() || pid <= 0 || end == buf) return std::nullopt;
  return pid;
}

std::string describe(const std::filesystem::path& dir, std::optional<pid_t> holder) {
  return dir.string() + " is in use by another fjwatch daemon (" +
         (holder ? "pid " + std::to_string(*holder) : std::string("pid unknown")) +
         "); one state directory serves one daemon";
}

}  // namespace

state_locked::state_locked(std::filesystem::path dir, std::optional<pid_t> holder)
    : std::runtime_error(describe(dir, holder)), dir_(std::move(dir)), holder_(holder) {}

state_lock::state_lock(const std::filesystem::path& state_dir) {
  store_sql::make_state_dir(state_dir);
  const auto path = file_in(state_dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) store_sql::fail(path, "cannot open the lock file: " + errno_text(errno));
  int rc;
  while ((rc = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int e = errno;
    const auto holder = e == EWOULDBLOCK ? written_pid(fd_) : std::nullopt;
    ::close(fd_);
    if (e == EWOULDBLOCK) throw state_locked(state_dir, holder);
    store_sql::fail(path, "cannot lock: " + errno_text(e));
  }
  // Ours now: say who holds it, for the next one to be refused.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int e = errno;
    ::close(fd_);
    store_sql::fail(path, "cannot write the lock file: " + errno_text(e));
  }
}

state_lock::~state_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace fjwatch
