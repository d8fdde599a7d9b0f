#pragma once
// One daemon per state directory: two daemons on one database would both poll and both deliver.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace fjwatch {

// Another process holds the state directory's lock. what() names the directory and the holder's
// pid, e.g. "/var/lib/fjwatch is in use by another fjwatch daemon (pid 4242)".
class state_locked : public std::runtime_error {
 public:
  state_locked(std::filesystem::path dir, std::optional<pid_t> holder);
  const std::filesystem::path& dir() const { return dir_; }
  std::optional<pid_t> holder() const {
    return holder_;
  }  // nullopt: not written yet, or unreadable

 private:
  std::filesystem::path dir_;
  std::optional<pid_t> holder_;
};

// The daemon's claim on a state directory: an exclusive advisory lock (flock) on
// <state_dir>/fjwatch.lock, with the holder's pid written inside, held until destruction (or the
// process's end: a crash or kill -9 releases it). The lock is what counts, never the pid: a file
// left by a dead daemon is simply taken over. The CLI's commands do not take it (the database
// itself serialises their writes), so `list`, `deliveries` and `redeliver` work beside a daemon.
class state_lock {
 public:
  // Takes the lock at once, never waiting. Throws state_locked when another process holds it,
  // store_error when the directory or the file cannot be made or locked. Creates state_dir
  // (mode 0700) and the file (mode 0600) when missing. The descriptor is close-on-exec, so no
  // child holds the lock after the daemon is gone.
  explicit state_lock(const std::filesystem::path& state_dir);
  ~state_lock();
  state_lock(const state_lock&) = delete;
  state_lock& operator=(const state_lock&) = delete;

  static std::filesystem::path file_in(const std::filesystem::path& state_dir) {
    return state_dir / "fjwatch.lock";
  }

 private:
  int fd_ = -1;
};

}  // namespace fjwatch
