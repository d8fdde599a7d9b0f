#include "fjwatch/util/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace fjwatch {
namespace {

std::string errno_text(int e) { return std::generic_category().message(e); }

// "64 MiB", "64 KiB", "100 bytes".
std::string size_text(std::size_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= (1u << 10) && n % (1u << 10) == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

// Closes the descriptor on every way out.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path,
                                                       std::size_t limit) {
  const fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0 && errno == ENOENT) return std::optional<std::string>();
  if (f.fd < 0) return fail(errno_text(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail(errno_text(errno));
  if (S_ISDIR(st.st_mode)) return fail(errno_text(EISDIR));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  const std::string too_large = "larger than " + size_text(limit);
  if (static_cast<std::size_t>(st.st_size) > limit) return fail(too_large);
  // One byte more than the size: a file that grows while it is read is seen, not cut.
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) text.resize(std::min(text.size() * 2, limit + 1));
    const ssize_t n = ::read(f.fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno_text(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used > limit) return fail(too_large);
  }
  text.resize(used);
  return std::optional<std::string>(std::move(text));
}

result<std::string> read_file(const std::filesystem::path& path, std::size_t limit) {
  auto text = read_file_if_exists(path, limit);
  if (!text) return text.error();
  if (!*text) return fail(errno_text(ENOENT));
  return std::move(**text);
}

}  // namespace fjwatch
