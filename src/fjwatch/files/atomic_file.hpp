#pragma once
// Replacing a small text file safely while others read it and edit it: an exclusive lock on a
// sidecar file, a read, and a replacement by rename that a reader sees whole or not at all.
#include "fjwatch/util/result.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fjwatch {

// An exclusive flock(2) held on a lock file until destroyed. Move-only.
class file_lock {
 public:
  // Opens (creating it, mode 0644, when missing) and locks `lock_path`, trying again until
  // `wait` has passed; nullopt when another process held it for the whole wait. Fails naming the
  // lock file when it cannot be opened or locked.
  static result<std::optional<file_lock>> acquire(const std::filesystem::path& lock_path,
                                                  std::chrono::milliseconds wait);

  file_lock(file_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  file_lock& operator=(file_lock&& other) noexcept;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock();

 private:
  explicit file_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The stable lock file for `file`: ".<name>.lock" in the same directory. It is never removed, so
// every editor locks the same inode while `file` itself is replaced by rename.
std::filesystem::path lock_path_for(const std::filesystem::path& file);

// Replaces `file` with `text` atomically: writes ".<name>.XXXXXX" in the same directory, fsyncs
// it, gives it the old file's mode and owner (a new file gets 0666 minus the umask), renames it
// over `file` and fsyncs the directory. When the owner cannot be kept (not root) this goes on
// only if the old file was owned by this user (its group may then change). On any failure the
// temporary file is removed and `file` is untouched; the failure names the path and the reason.
result<void> replace_text_file(const std::filesystem::path& file, std::string_view text);

}  // namespace fjwatch
