// An LD_PRELOAD library for the fault tests: makes writes or syncs of the files under one
// directory fail, while a trigger file exists, as a full disk or a failing one would.
//
//   FJWATCH_FAULT_DIR      an absolute directory (no trailing slash): only files below it fail
//   FJWATCH_FAULT_TRIGGER  a file; while it exists, its first word picks the fault:
//                            enospc     write, pwrite(64), writev, pwritev(64): ENOSPC
//                            eio-write  the same calls: EIO
//                            eio-sync   fsync, fdatasync: EIO
//
// The trigger is read on every intercepted call, so a test switches the fault on and off by
// creating and removing the file while the process runs. Each file descriptor's path is read
// from /proc/self/fd. Calls on other files, and every call while no fault is on, go to the next
// definition (libc's, or a sanitizer's interceptor) with errno as it was. Built without the
// sanitizers: the process under test brings its own runtime (with ASan, its ASAN_OPTIONS need
// verify_asan_link_order=0).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum fault { fault_none, fault_enospc, fault_eio_write, fault_eio_sync };

static const char* fault_dir;
static size_t fault_dir_len;
static const char* fault_trigger;

__attribute__((constructor)) static void fault_init(void) {
  fault_dir = getenv("FJWATCH_FAULT_DIR");
  fault_dir_len = fault_dir ? strlen(fault_dir) : 0;
  fault_trigger = getenv("FJWATCH_FAULT_TRIGGER");
}

// The fault the trigger file names now; fault_none when it is absent or names none.
static enum fault current_fault(void) {
  if (fault_trigger == NULL || fault_dir_len == 0) return fault_none;
  const int fd = open(fault_trigger, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fault_none;
  char word[32] = {0};
  const ssize_t n = read(fd, word, sizeof word - 1);
  close(fd);
  if (n <= 0) return fault_none;
  word[strcspn(word, " \t\r\n")] = '\0';
  if (strcmp(word, "enospc") == 0) return fault_enospc;
  if (strcmp(word, "eio-write") == 0) return fault_eio_write;
  if (strcmp(word, "eio-sync") == 0) return fault_eio_sync;
  return fault_none;
}

// Whether fd is a file below FJWATCH_FAULT_DIR.
static int under_fault_dir(int fd) {
  char link[64];
  char target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0 || (size_t)n <= fault_dir_len) return 0;
  target[n] = '\0';
  return strncmp(target, fault_dir, fault_dir_len) == 0 && target[fault_dir_len] == '/';
}

// The errno a write (sync = 0) or sync (sync = 1) call on fd must fail with, or 0 to let it
// through. errno is left as it was.
static int injected(int fd, int sync) {
  const int saved = errno;
  int err = 0;
  const enum fault f = current_fault();
  if (f != fault_none && under_fault_dir(fd)) {
    if (!sync && f == fault_enospc) err = ENOSPC;
    if (!sync && f == fault_eio_write) err = EIO;
    if (sync && f == fault_eio_sync) err = EIO;
  }
  errno = saved;
  return err;
}

// next_<name>: the next definition of `name`, looked up on first use.
#define NEXT(name)                      \
  static __typeof__(&name) next_##name; \
  if (next_##name == NULL) next_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

// Returns -1 with the injected errno when the fault applies to fd.
#define FAIL_IF_INJECTED(fd, sync)      \
  do {                                  \
    const int err = injected(fd, sync); \
    if (err != 0) {                     \
      errno = err;                      \
      return -1;                        \
    }                                   \
  } while (0)

ssize_t write(int fd, const void* buf, size_t n) {
  NEXT(write);
  FAIL_IF_INJECTED(fd, 0);
  return next_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t at) {
  NEXT(pwrite);
  FAIL_IF_INJECTED(fd, 0);
  return next_pwrite(fd, buf, n, at);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t at) {
  NEXT(pwrite64);
  FAIL_IF_INJECTED(fd, 0);
  return next_pwrite64(fd, buf, n, at);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  NEXT(writev);
  FAIL_IF_INJECTED(fd, 0);
  return next_writev(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t at) {
  NEXT(pwritev);
  FAIL_IF_INJECTED(fd, 0);
  return next_pwritev(fd, iov, count, at);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t at) {
  NEXT(pwritev64);
  FAIL_IF_INJECTED(fd, 0);
  return next_pwritev64(fd, iov, count, at);
}

int fsync(int fd) {
  NEXT(fsync);
  FAIL_IF_INJECTED(fd, 1);
  return next_fsync(fd);
}

int fdatasync(int fd) {
  NEXT(fdatasync);
  FAIL_IF_INJECTED(fd, 1);
  return next_fdatasync(fd);
}
