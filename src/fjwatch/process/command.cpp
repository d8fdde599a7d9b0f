// The `command` action's runner: posix_spawnp into a process group of its own, stdin fed and
// stderr read through non-blocking pipes on the loop, exit awaited on a pidfd.
#include "fjwatch/process/command.hpp"

#include "fjwatch/log/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

extern char** environ;

namespace fjwatch {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::posix::stream_descriptor;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

constexpr milliseconds kill_grace{2000};    // SIGTERM, then this long, then SIGKILL
constexpr milliseconds stderr_linger{250};  // after the exit, for a grandchild's last words
constexpr milliseconds poll_interval{10};   // waitpid polling when there is no pidfd
constexpr std::size_t max_stderr_lines = 64;
constexpr std::size_t max_stderr_bytes = 16 * 1024;

// Names the daemon holds for itself; a prefix ends in '_'.
constexpr std::array<std::string_view, 5> private_env{"FJ_API_KEY", "CREDENTIALS_DIRECTORY",
                                                      "NOTIFY_SOCKET", "WATCHDOG_", "LISTEN_"};

bool is_private(std::string_view name) {
  for (const std::string_view p : private_env) {
    if (p.ends_with('_') ? name.starts_with(p) : name == p) return true;
  }
  return false;
}

std::string signal_text(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string timeout_text(milliseconds d) {
  const auto n = d.count();
  return n % 1000 == 0 ? std::to_string(n / 1000) + "s" : std::to_string(n) + "ms";
}

// `s` with each byte that does not begin a well-formed UTF-8 sequence replaced by U+FFFD, so that
// JSON log lines stay valid whatever the program printed.
std::string valid_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned c = byte(0);
    const std::size_t n = c < 0x80   ? 1
                          : c < 0xc2 ? 0
                          : c < 0xe0 ? 2
                          : c < 0xf0 ? 3
                          : c < 0xf5 ? 4
                                     : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (byte(k) & 0xc0) == 0x80;
    // The second byte's range rules out overlong forms, surrogates and values past U+10FFFF.
    if (ok && n > 2) {
      const unsigned b = byte(1);
      ok = !(c == 0xe0 && b < 0xa0) && !(c == 0xed && b > 0x9f) && !(c == 0xf0 && b < 0x90) &&
           !(c == 0xf4 && b > 0x8f);
    }
    out.append(ok ? s.substr(i, n) : std::string_view("\xef\xbf\xbd"));
    i += ok ? n : 1;
  }
  return out;
}

// Splits the child's stderr into lines and logs them within the per-run caps; once a line does
// not fit, it and every later line are only counted.
class stderr_logger {
 public:
  stderr_logger(std::string action, std::string event_id)
      : action_(std::move(action)), event_id_(std::move(event_id)) {}

  void feed(std::string_view chunk) {
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      const auto part = chunk.substr(0, nl);
      if (line_.size() <= max_stderr_bytes)
        line_.append(part.substr(0, max_stderr_bytes + 1 - line_.size()));
      line_bytes_ += part.size();
      if (nl == std::string_view::npos) return;
      end_line();
      chunk.remove_prefix(nl + 1);
    }
  }

  // Logs an unterminated last line, then how much was dropped (if anything).
  void finish() {
    end_line();
    if (dropped_lines_ == 0) return;
    log::warn("action.command.stderr_dropped",
              {{"action", action_},
               {"event_id", event_id_},
               {"lines", static_cast<std::uint64_t>(dropped_lines_)},
               {"bytes", static_cast<std::uint64_t>(dropped_bytes_)}});
  }

 private:
  void end_line() {
    if (line_bytes_ <= max_stderr_bytes && line_.ends_with('\r')) {
      line_.pop_back();
      --line_bytes_;
    }
    const std::string text = std::exchange(line_, {});
    const std::size_t bytes = std::exchange(line_bytes_, 0);
    if (bytes == 0) return;
    if (dropped_lines_ > 0 || logged_lines_ == max_stderr_lines ||
        logged_bytes_ + bytes > max_stderr_bytes) {
      ++dropped_lines_;
      dropped_bytes_ += bytes;
      return;
    }
    ++logged_lines_;
    logged_bytes_ += bytes;
    log::warn("action.command.stderr",
              {{"action", action_}, {"event_id", event_id_}, {"line", valid_utf8(text)}});
  }

  std::string action_;
  std::string event_id_;
  std::string line_;
  std::size_t line_bytes_ = 0;
  std::size_t logged_lines_ = 0;
  std::size_t logged_bytes_ = 0;
  std::size_t dropped_lines_ = 0;
  std::size_t dropped_bytes_ = 0;
};

// Owns one file descriptor (-1: none).
struct unique_fd {
  int fd = -1;
  unique_fd() = default;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  void reset(int to = -1) {
    if (fd >= 0) ::close(fd);
    fd = to;
  }
};

// A close-on-exec pipe whose ends are both above 0/1/2 (so the child's dup2s cannot clobber
// one another even when the daemon runs with a standard stream closed). 0 or an errno.
int make_pipe(unique_fd& read_end, unique_fd& write_end) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return errno;
  for (int& fd : fds) {
    if (fd > 2) continue;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    fd = moved;
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return fds[0] < 0 || fds[1] < 0 ? EMFILE : 0;
}

// Starts argv in a new process group with stdin/stderr from the given fds, stdout on /dev/null,
// no other fd, default signal handling and an empty signal mask. The pid, or -errno.
pid_t spawn_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  int stdin_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (int rc = ::posix_spawn_file_actions_init(&actions)) return -rc;
  if (int rc = ::posix_spawnattr_init(&attr)) {
    ::posix_spawn_file_actions_destroy(&actions);
    return -rc;
  }
  sigset_t no_signals;
  sigset_t all_signals;
  ::sigemptyset(&no_signals);
  ::sigfillset(&all_signals);
  constexpr short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  int rc = 0;  // the first failure; the steps are cheap, so all of them run
  for (const int step :
       {::posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0),
        ::posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2),
        ::posix_spawn_file_actions_addclosefrom_np(&actions, 3),
        ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0),
        ::posix_spawnattr_setflags(&attr, flags), ::posix_spawnattr_setpgroup(&attr, 0),
        ::posix_spawnattr_setsigmask(&attr, &no_signals),
        ::posix_spawnattr_setsigdefault(&attr, &all_signals)}) {
    if (rc == 0) rc = step;
  }
  pid_t pid = -1;
  if (rc == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  }
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -rc;
}

// write(2) with SIGPIPE blocked in this thread; a SIGPIPE it raises is consumed, never delivered.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_only;
  ::sigemptyset(&pipe_only);
  ::sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  ::sigpending(&pending);
  const bool was_pending = ::sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  const ssize_t n = ::write(fd, data, size);
  const int err = errno;
  if (n < 0 && err == EPIPE && !was_pending) {
    const timespec no_wait{};
    while (::sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = err;
  return n;
}

// Kills the process group and reaps the child if nobody else did: the child never outlives its
// run, whether the run ends normally, throws or has its coroutine frame destroyed.
struct process_guard {
  pid_t pid;
  int status = 0;
  bool reaped = false;
  bool status_lost = false;  // someone else reaped it (SIGCHLD ignored?)

  ~process_guard() {
    if (reaped) return;
    ::kill(-pid, SIGKILL);
    reap();
  }

  // True once it has exited (a zombie waiting for reap(), or already gone).
  bool exited() const {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return errno == ECHILD;
    }
    return info.si_pid == pid;
  }

  // Blocks until it exits: call it only once exited() is true or after SIGKILL.
  void reap() {
    pid_t r;
    while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    status_lost = r < 0;
    reaped = true;
  }
};

// The parent's side of one running child.
struct child_process {
  child_process(asio::any_io_executor ex, pid_t pid, unique_fd& stdin_fd, unique_fd& stderr_fd)
      : process{pid}, stdin_pipe(ex), stderr_pipe(ex), timer(ex), linger_timer(ex) {
    stdin_pipe.assign(std::exchange(stdin_fd.fd, -1));
    stderr_pipe.assign(std::exchange(stderr_fd.fd, -1));
    stdin_pipe.non_blocking(true);
    stderr_pipe.non_blocking(true);
#ifdef SYS_pidfd_open
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) pidfd.emplace(ex, fd);
#endif
  }

  process_guard process;  // first member: still kills and reaps if a later member throws
  stream_descriptor stdin_pipe;
  stream_descriptor stderr_pipe;
  std::optional<stream_descriptor> pidfd;  // empty: poll waitpid instead
  asio::steady_timer timer;
  asio::steady_timer linger_timer;
  bool stdin_stop = false;   // it exited: stop feeding
  bool stderr_stop = false;  // it exited and the linger is over: stop reading
  bool stderr_done = false;
};

// Writes `data` to the child's stdin, then closes it. Stops early, silently, when the child
// closes its end (EPIPE), exits, or the run is cancelled.
awaitable<void> feed_stdin(child_process& c, std::string_view data) {
  constexpr std::size_t max_write = 64 * 1024;
  while (!data.empty() && !c.stdin_stop) {
    const int fd = c.stdin_pipe.native_handle();
    const ssize_t n = write_without_sigpipe(fd, data.data(), std::min(data.size(), max_write));
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN) {
      auto [ec] = co_await c.stdin_pipe.async_wait(stream_descriptor::wait_write, tuple_awaitable);
      if (ec) break;
    } else if (errno != EINTR) {
      break;
    }
  }
  boost::system::error_code ignored;
  c.stdin_pipe.close(ignored);
}

// Logs the child's stderr until EOF, or until told to stop once the child is gone.
awaitable<void> drain_stderr(child_process& c, stderr_logger& out) {
  std::array<char, 4096> buf;
  while (!c.stderr_stop) {
    auto [ec, n] = co_await c.stderr_pipe.async_read_some(asio::buffer(buf), tuple_awaitable);
    out.feed(std::string_view(buf.data(), n));
    if (ec) break;
  }
  out.finish();
  c.stderr_done = true;
  c.linger_timer.cancel();
}

enum class wait_outcome { exited, deadline, cancelled };

// Waits until the child has exited (without reaping it) or `deadline` passes.
awaitable<wait_outcome> wait_exit(child_process& c, clock_type::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  for (;;) {
    if (c.process.exited()) co_return wait_outcome::exited;
    const auto now = clock_type::now();
    if (now >= deadline) co_return wait_outcome::deadline;
    if (!c.pidfd) {
      c.timer.expires_at(deadline - now < poll_interval ? deadline : now + poll_interval);
      auto [ec] = co_await c.timer.async_wait(tuple_awaitable);
      if (ec) co_return wait_outcome::cancelled;
      continue;
    }
    c.timer.expires_at(deadline);
    auto first = co_await (c.pidfd->async_wait(stream_descriptor::wait_read, tuple_awaitable) ||
                           c.timer.async_wait(tuple_awaitable));
    const auto ec =
        first.index() == 0 ? std::get<0>(std::get<0>(first)) : std::get<0>(std::get<1>(first));
    if (ec == asio::error::operation_aborted) co_return wait_outcome::cancelled;
    if (ec && first.index() == 0) c.pidfd.reset();
  }
}

struct exit_info {
  bool timed_out = false;
  bool cancelled = false;
};

// Waits for the child's exit, enforcing the timeout (SIGTERM to the group, SIGKILL after the
// grace), reaps it, then gives its stderr a short linger before the reader is stopped.
awaitable<exit_info> supervise(child_process& c, clock_type::time_point deadline) {
  exit_info info;
  const pid_t group = c.process.pid;
  auto outcome = co_await wait_exit(c, deadline);
  if (outcome == wait_outcome::deadline) {
    info.timed_out = true;
    ::kill(-group, SIGTERM);
    outcome = co_await wait_exit(c, clock_type::now() + kill_grace);
    if (outcome == wait_outcome::deadline) {
      ::kill(-group, SIGKILL);
      outcome = co_await wait_exit(c, clock_type::time_point::max());
    }
  }
  info.cancelled = outcome == wait_outcome::cancelled;
  // Until reaped, the leader's id still names its group: no other process can have taken it.
  if (info.timed_out || info.cancelled) ::kill(-group, SIGKILL);
  c.process.reap();
  c.stdin_stop = true;
  if (c.stdin_pipe.is_open()) c.stdin_pipe.cancel();
  if (!c.stderr_done && !info.cancelled) {
    c.linger_timer.expires_after(stderr_linger);
    co_await c.linger_timer.async_wait(tuple_awaitable);
  }
  c.stderr_stop = true;
  c.stderr_pipe.cancel();
  co_return info;
}

command_result cannot_run(std::string why, clock_type::time_point start) {
  return {false, -1, "cannot run: " + why,
          std::chrono::duration_cast<milliseconds>(clock_type::now() - start)};
}

std::string reason_for(const process_guard& p, const exit_info& info, milliseconds timeout) {
  if (info.cancelled) return "cancelled";
  std::string why;
  if (p.status_lost) {
    why = "exit status lost";
  } else if (WIFEXITED(p.status)) {
    why = "exit " + std::to_string(WEXITSTATUS(p.status));
  } else if (WIFSIGNALED(p.status)) {
    why = "killed by " + signal_text(WTERMSIG(p.status));
  }
  if (info.timed_out) why += " after timeout " + timeout_text(timeout);
  return why;
}

std::string event_id_of(const env_vars& env) {
  for (const auto& [name, value] : env) {
    if (name == "FJWATCH_EVENT_ID") return value;
  }
  return {};
}

}  // namespace

awaitable<command_result> run_command(asio::any_io_executor ex, command_spec spec) {
  using namespace asio::experimental::awaitable_operators;
  const auto start = clock_type::now();
  if (spec.argv.empty() || spec.argv[0].empty()) co_return cannot_run("empty argv", start);
  const auto env = child_environment(environ, spec.extra_env, spec.hidden_env);
  unique_fd stdin_read, stdin_write, stderr_read, stderr_write;
  if (int err = make_pipe(stdin_read, stdin_write)) co_return cannot_run(std::strerror(err), start);
  if (int err = make_pipe(stderr_read, stderr_write))
    co_return cannot_run(std::strerror(err), start);
  const pid_t pid = spawn_child(spec.argv, env, stdin_read.fd, stderr_write.fd);
  if (pid < 0) co_return cannot_run(std::strerror(-pid), start);
  child_process c(ex, pid, stdin_write, stderr_read);
  stdin_read.reset();
  stderr_write.reset();
  stderr_logger err_log(spec.action_name, event_id_of(spec.extra_env));
  const exit_info info = co_await (feed_stdin(c, spec.stdin_data) && drain_stderr(c, err_log) &&
                                   supervise(c, start + spec.timeout));
  command_result out;
  const int status = c.process.status;
  if (!info.cancelled && !c.process.status_lost && WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  }
  out.ok = out.exit_code == 0 && !info.timed_out;
  if (!out.ok) out.reason = reason_for(c.process, info, spec.timeout);
  out.duration = std::chrono::duration_cast<milliseconds>(clock_type::now() - start);
  co_return out;
}

std::vector<std::string> child_environment(const char* const* parent, const env_vars& extra,
                                           const std::vector<std::string>& hidden) {
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw std::invalid_argument("bad environment variable name \"" + name + "\"");
    }
  }
  std::vector<std::string> out;
  for (; parent != nullptr && *parent != nullptr; ++parent) {
    const std::string_view entry(*parent);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = entry.substr(0, eq);
    const bool replaced =
        std::any_of(extra.begin(), extra.end(), [&](const auto& kv) { return kv.first == name; });
    const bool secret = std::find(hidden.begin(), hidden.end(), name) != hidden.end();
    if (!replaced && !secret && !is_private(name)) out.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

env_vars event_environment(std::string event_type, std::string event_id, std::string session_id) {
  return {{"FJWATCH_EVENT", std::move(event_type)},
          {"FJWATCH_EVENT_ID", std::move(event_id)},
          {"FJWATCH_SESSION_ID", std::move(session_id)}};
}

}  // namespace fjwatch
