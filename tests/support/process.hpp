#pragma once
// The real fjwatch binary as a child process: fork/execve with a chosen environment, stdout and
// stderr on pipes drained by reader threads, waits for lines and for exit with a bound; then the
// files a run needs (config, watch list, key) and a simulator to point it at. Header-only; no
// Boost.Test (failures to set up throw). The binary is the FJWATCH_BINARY macro.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "support/harness.hpp"

namespace fjwatch::testing {

// A child's whole environment: nothing from the test's own environment leaks in unless named.
using env_map = std::map<std::string, std::string>;

// PATH plus the sanitizer settings of the test run (so an ASan child reports like its parent).
inline env_map base_env() {
  env_map env{{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  for (const char* name :
       {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "TMPDIR"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  return env;
}

// The whole content of a file ("" when it cannot be read).
inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Who a child runs as: set between fork and exec (supplementary groups dropped), so the caller
// must be root. A failure to switch shows as exit code 126.
struct run_as {
  uid_t uid;
  gid_t gid;
};

// One run of a program. Its stdin is /dev/null; every other descriptor of the test is closed in
// the child. Destroying a child that still runs kills it with SIGKILL and reaps it.
class child_process {
 public:
  using clock = std::chrono::steady_clock;
  // Holds under the output lock; sees every stderr line so far and whether stderr has closed.
  using line_pred = std::function<bool(const std::vector<std::string>& lines, bool closed)>;

  // Starts argv[0] (a path; no PATH search) with exactly `env`, in `cwd` when given, as `user`
  // when given. Throws std::system_error when a pipe or fork fails; a failed exec shows as exit
  // code 127.
  child_process(std::vector<std::string> argv, const env_map& env, std::filesystem::path cwd = {},
                std::optional<run_as> user = std::nullopt) {
    std::vector<std::string> env_text;
    for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
    std::vector<char*> av = pointers(argv);
    std::vector<char*> ev = pointers(env_text);
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe2");
    if (::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const std::string dir = cwd.string();
    pid_ = ::fork();
    if (pid_ < 0) {
      const int saved = errno;
      for (int fd : {out[0], out[1], err[0], err[1], null_fd}) ::close(fd);
      throw std::system_error(saved, std::generic_category(), "fork");
    }
    if (pid_ == 0) {
      exec_child(av.data(), ev.data(), null_fd, out[1], err[1], dir.c_str(),
                 user ? &*user : nullptr);
    }
    ::close(out[1]);
    ::close(err[1]);
    if (null_fd >= 0) ::close(null_fd);
    out_reader_ = std::thread([this, fd = out[0]] { drain(fd, out_); });
    err_reader_ = std::thread([this, fd = err[0]] { drain(fd, err_); });
  }

  ~child_process() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    out_reader_.join();
    err_reader_.join();
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until `pred` holds over the stderr lines, at most `bound`; true when it held. Wakes on
  // every new line, not on a timer.
  bool wait_for(const line_pred& pred, std::chrono::milliseconds bound) {
    std::unique_lock lock(mutex_);
    return cv_.wait_until(lock, clock::now() + bound,
                          [&] { return pred(err_.lines, err_.closed); });
  }

  // The first stderr line at index >= from holding `pred` (waiting up to `bound`); nullopt when
  // the bound passed or stderr closed without one.
  std::optional<std::string> wait_for_line(const std::function<bool(std::string_view)>& pred,
                                           std::chrono::milliseconds bound, std::size_t from = 0) {
    std::optional<std::string> found;
    std::size_t next = from;
    wait_for(
        [&](const std::vector<std::string>& lines, bool closed) {
          for (; next < lines.size(); ++next) {
            if (pred(lines[next])) {
              found = lines[next];
              return true;
            }
          }
          return closed;
        },
        bound);
    return found;
  }

  // Shorthand: the first stderr line containing every one of `parts`.
  std::optional<std::string> wait_for_text(std::initializer_list<std::string_view> parts,
                                           std::chrono::milliseconds bound, std::size_t from = 0) {
    const std::vector<std::string_view> all(parts);
    return wait_for_line([&](std::string_view l) { return contains_all(l, all); }, bound, from);
  }

  std::vector<std::string> err_lines() const {
    std::lock_guard lock(mutex_);
    return err_.lines;
  }
  std::size_t err_line_count() const {
    std::lock_guard lock(mutex_);
    return err_.lines.size();
  }
  std::string err_text() const {
    std::lock_guard lock(mutex_);
    return err_.text;
  }
  std::string out_text() const {
    std::lock_guard lock(mutex_);
    return out_.text;
  }

  // Sends `signo`; throws std::system_error if the child is already reaped or kill() fails.
  void send_signal(int signo) {
    if (status_) throw std::system_error(ESRCH, std::generic_category(), "child already reaped");
    if (::kill(pid_, signo) != 0) throw_errno("kill");
  }

  // The exit code (128 + N when killed by signal N), polling waitpid(WNOHANG) every 2 ms for at
  // most `bound`; nullopt while it still runs. After a result, stdout and stderr are complete.
  std::optional<int> wait_exit(std::chrono::milliseconds bound) {
    const auto deadline = clock::now() + bound;
    while (!status_) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      if (r < 0 && errno != EINTR) throw_errno("waitpid");
      if (clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // The pipes close when the child dies; the readers finish right after.
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline + std::chrono::seconds(5),
                   [&] { return out_.closed && err_.closed; });
    return status_;
  }

  static bool contains_all(std::string_view line, const std::vector<std::string_view>& parts) {
    for (auto p : parts) {
      if (line.find(p) == std::string_view::npos) return false;
    }
    return true;
  }

 private:
  struct stream {
    std::string text;                // everything read
    std::vector<std::string> lines;  // complete lines, without '\n'
    std::string partial;
    bool closed = false;
  };

  static std::vector<char*> pointers(std::vector<std::string>& v) {
    std::vector<char*> p;
    for (auto& s : v) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  }

  [[noreturn]] static void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  // Between fork and execve: async-signal-safe calls only.
  [[noreturn]] static void exec_child(char** argv, char** envp, int in_fd, int out_fd, int err_fd,
                                      const char* dir, const run_as* user) {
    if (in_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
      ::_exit(126);
    }
    if (user != nullptr &&
        (::setgroups(0, nullptr) != 0 || ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)) {
      ::_exit(126);
    }
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
    if (*dir != '\0' && ::chdir(dir) != 0) ::_exit(126);
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }

  void drain(int fd, stream& s) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        if (!s.partial.empty()) s.lines.push_back(std::move(s.partial));
        s.closed = true;
        cv_.notify_all();
        break;
      }
      s.text.append(buf, static_cast<std::size_t>(n));
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        if (buf[i] == '\n') {
          s.lines.push_back(std::move(s.partial));
          s.partial.clear();
        } else {
          s.partial += buf[i];
        }
      }
      cv_.notify_all();
    }
    ::close(fd);
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  stream out_;
  stream err_;
  std::thread out_reader_;
  std::thread err_reader_;
};

// ---- fjwatch itself: its files, its runs ------------------------------------------------------

// The settings of a `fjwatch run` config the tests vary; paths are relative to the config's
// directory. Everything else is the product default, except control (off unless set).
struct run_config {
  std::string base_url = "https://127.0.0.1:9";
  std::string ca_file;  // "" leaves the key out
  std::string api_key_file = "api-key";
  std::string timeout = "10s";
  int max_in_flight = 8;
  int pipeline = 0;  // api.pipeline; 0 leaves the key out (the default)
  std::string rate = "1000/s";
  std::string interval = "200ms";
  std::string max_interval = "1s";
  std::string after_done;  // poll.after_done; "" leaves the key out (stop)
  std::string retry_initial = "100ms";
  std::string retry_max = "1s";
  std::string unreachable_after;  // api.unreachable_after; "" leaves the key out
  std::string max_server_pause;   // api.max_server_pause; "" leaves the key out
  std::string level = "info";
  std::string watchlist = "watchlist.yaml";
  std::string state_dir = "state";
  std::string more_actions;  // YAML items appended to `actions:`
  std::vector<std::string> default_actions = {"journal"};
  bool no_defaults = false;  // leave the defaults section out (every action is an entry's default)
  std::string control = "\"\"";  // the control endpoint: off unless a test sets it
};

// fjwatch.yaml for `c`: one log action ("journal"), then `more_actions`.
inline std::string config_yaml(const run_config& c) {
  std::string y = "api:\n  base_url: " + c.base_url + "\n  api_key_file: " + c.api_key_file +
                  "\n  timeout: " + c.timeout +
                  "\n  max_in_flight: " + std::to_string(c.max_in_flight) + "\n  rate: " + c.rate +
                  "\n";
  if (!c.ca_file.empty()) y += "  ca_file: " + c.ca_file + "\n";
  if (c.pipeline > 0) y += "  pipeline: " + std::to_string(c.pipeline) + "\n";
  if (!c.unreachable_after.empty()) y += "  unreachable_after: " + c.unreachable_after + "\n";
  if (!c.max_server_pause.empty()) y += "  max_server_pause: " + c.max_server_pause + "\n";
  y += "poll:\n  interval: " + c.interval + "\n  max_interval: " + c.max_interval + "\n";
  if (!c.after_done.empty()) y += "  after_done: " + c.after_done + "\n";
  y += "retry:\n  initial: " + c.retry_initial + "\n  max: " + c.retry_max + "\n";
  y += "watchlist: " + c.watchlist + "\nstate_dir: " + c.state_dir + "\ncontrol: " + c.control +
       "\n";
  y += "log: { level: " + c.level + ", format: text }\n";
  y += "actions:\n  - name: journal\n    type: log\n" + c.more_actions;
  if (c.no_defaults) return y;
  y += "defaults:\n  actions: [";
  for (std::size_t i = 0; i < c.default_actions.size(); ++i) {
    y += (i ? ", " : "") + c.default_actions[i];
  }
  return y + "]\n";
}

// A session id (24 lowercase hex), distinct for each n.
inline std::string hex_id(unsigned n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "6a0b%020x", n);
  return buf;
}

// The id of the first session.done event of session `id`.
inline std::string done_event(const std::string& id) { return "fjw_" + id + "_done_0"; }

// A webhook entry of `actions:`; what is left empty (or 0) is the product's default.
struct webhook_yaml {
  std::string name = "hook";
  std::string url;
  std::string secret_file = "hook.secret";  // relative to the config
  std::string ca_file = "hook-ca.pem";
  std::string timeout;
  std::string retry_schedule;  // a YAML flow list, "[1s, 2s]"
  int max_in_flight = 0;
};

inline std::string webhook_action(const webhook_yaml& w) {
  std::string y = "  - name: " + w.name + "\n    type: webhook\n    url: " + w.url +
                  "\n    secret_file: " + w.secret_file + "\n    ca_file: " + w.ca_file + "\n";
  if (!w.timeout.empty()) y += "    timeout: " + w.timeout + "\n";
  if (!w.retry_schedule.empty()) y += "    retry_schedule: " + w.retry_schedule + "\n";
  if (w.max_in_flight > 0) y += "    max_in_flight: " + std::to_string(w.max_in_flight) + "\n";
  return y;
}

// A watch list with `ids`, one plain entry each.
inline std::string watchlist_yaml(const std::vector<std::string>& ids) {
  std::string y = "sessions:\n";
  for (const auto& id : ids) y += "  - " + id + "\n";
  return y;
}

// True when `line` is a text log line (`<time> <level> <event> key=value...`) of `event`.
inline bool is_event(std::string_view line, std::string_view event) {
  for (int skip = 0; skip < 2; ++skip) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return false;
    line.remove_prefix(space + 1);
  }
  return line.substr(0, line.find(' ')) == event;
}

// The key every test workspace holds in api-key (and the simulator of a rig accepts).
inline constexpr std::string_view test_api_key = "fjk_itp_secret_9c1e5a7b3d2f4068";

// The last lines of the child's stderr, for a failure message.
inline std::string tail(const child_process& c, std::size_t n = 15) {
  const auto lines = c.err_lines();
  std::string out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += "\n  " + lines[i];
  }
  return out;
}

// `fjwatch args...` started in `dir` with exactly `env`, as `user` when given.
inline std::unique_ptr<child_process> spawn_fjwatch(std::vector<std::string> args,
                                                    const std::filesystem::path& dir,
                                                    const env_map& env = base_env(),
                                                    std::optional<run_as> user = std::nullopt) {
  args.insert(args.begin(), FJWATCH_BINARY);
  return std::make_unique<child_process>(std::move(args), env, dir, user);
}

// How a command that ran to its end ended.
struct finished {
  int code = -1;
  std::string out;
  std::vector<std::string> err;
};

// Runs `fjwatch args...` to its end (bounded to 30 s).
inline finished run_to_end(std::vector<std::string> args, const std::filesystem::path& dir,
                           const env_map& env = base_env()) {
  auto c = spawn_fjwatch(std::move(args), dir, env);
  const auto code = c->wait_exit(std::chrono::seconds(30));
  if (!code) throw std::runtime_error("fjwatch did not exit within 30 s");
  return {*code, c->out_text(), c->err_lines()};
}

// SIGTERM, then the exit code (-1 when it did not exit within `bound`).
inline int terminate(child_process& c, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  c.send_signal(SIGTERM);
  return c.wait_exit(bound).value_or(-1);
}

// Every value of `field` over the lines of `event`, counted.
inline std::map<std::string, int> count_field(const std::vector<std::string>& lines,
                                              std::string_view event, std::string_view field) {
  std::map<std::string, int> out;
  for (const auto& l : lines) {
    if (!is_event(l, event)) continue;
    if (auto v = log_field(l, field)) ++out[*v];
  }
  return out;
}

// A temp dir with a key file (api-key), an empty watch list and `cfg` written on start().
struct workspace {
  workspace() {
    dir.write("api-key", std::string(test_api_key) + "\n");
    watch({});
  }
  std::filesystem::path config_path() const { return dir / "fjwatch.yaml"; }
  void watch(const std::vector<std::string>& ids) const {
    dir.replace("watchlist.yaml", watchlist_yaml(ids));
  }
  // Writes the config and starts `fjwatch run -c <dir>/fjwatch.yaml` (as `user` when given:
  // the workspace must be open to that user).
  std::unique_ptr<child_process> start(const env_map& env = base_env(),
                                       std::optional<run_as> user = std::nullopt) const {
    dir.write("fjwatch.yaml", config_yaml(cfg));
    return spawn_fjwatch({"run", "-c", config_path().string()}, dir.path(), env, user);
  }
  // Starts the daemon and waits for daemon.ready (fails the test if it does not come in 15 s).
  std::unique_ptr<child_process> start_ready(const env_map& env = base_env(),
                                             std::optional<run_as> user = std::nullopt) const {
    auto c = start(env, user);
    const auto ready = c->wait_for_line([](auto l) { return is_event(l, "daemon.ready"); },
                                        std::chrono::seconds(15));
    if (!ready) throw std::runtime_error("no daemon.ready within 15 s:" + tail(*c));
    return c;
  }

  temp_dir dir{"fjwatch-proc"};
  run_config cfg;
};

// Runs `fjwatch args... -c <w's config>` to its end, in UTC, with w's config written first.
inline finished run_cli(const workspace& w, std::vector<std::string> args,
                        env_map env = base_env()) {
  w.dir.write("fjwatch.yaml", config_yaml(w.cfg));
  args.push_back("-c");
  args.push_back(w.config_path().string());
  env["TZ"] = "UTC";
  return run_to_end(std::move(args), w.dir.path(), env);
}

// Simulator options accepting test_api_key, answering after `latency`.
inline sim::options sim_options(std::chrono::milliseconds latency = std::chrono::milliseconds(0)) {
  sim::options o;
  o.api_key = std::string(test_api_key);
  o.latency = latency;
  return o;
}

// A workspace whose config points at a simulator over TLS (its CA in ca.pem).
struct rig : workspace {
  explicit rig(sim::options o = sim_options()) : api(std::move(o)) {
    dir.write("ca.pem", api->ca_pem());
    cfg.base_url = api->base_url();
    cfg.ca_file = "ca.pem";
  }
  sim_thread api;
};

// Where each key is put; nullopt leaves that place empty-handed (variable unset, file absent).
struct key_sources {
  std::optional<std::string> credential;  // $CREDENTIALS_DIRECTORY/fj-api-key
  std::optional<std::string> file;        // api.api_key_file (<dir>/api-key)
  std::optional<std::string> env;         // $FJ_API_KEY
};

// Puts the keys in place; returns the child's environment.
inline env_map place_keys(const workspace& w, const key_sources& k) {
  auto env = base_env();
  if (k.credential) {
    std::filesystem::create_directories(w.dir / "creds");
    w.dir.write("creds/fj-api-key", *k.credential);
    env["CREDENTIALS_DIRECTORY"] = (w.dir / "creds").string();
  }
  std::filesystem::remove(w.dir / "api-key");
  if (k.file) w.dir.write("api-key", *k.file);
  if (k.env) env["FJ_API_KEY"] = *k.env;
  return env;
}

}  // namespace fjwatch::testing
