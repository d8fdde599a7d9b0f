#include <boost/test/unit_test.hpp>

#include "support/temp_dir.hpp"

#include "fjwatch/process/command.hpp"
#include "fjwatch/log/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace lg = fjwatch::log;
using namespace std::chrono_literals;
using fjwatch::command_result;
using fjwatch::command_spec;
using fjwatch::log_format;
using fjwatch::log_level;

// The logger reads $JOURNAL_STREAM once: pin it so captured lines are "<4>warn ..." exactly.
struct journal_env {
  journal_env() { ::setenv("JOURNAL_STREAM", "8:12345", 1); }
};
BOOST_TEST_GLOBAL_FIXTURE(journal_env);

// A fresh directory for scripts and their output; captures log lines.
struct sandbox {
  fjwatch::testing::temp_dir tmp{"fjwatch-command"};
  fs::path dir = tmp.path();
  std::vector<std::string> lines;

  sandbox() {
    lg::configure(log_level::info, log_format::text);
    lg::set_sink([this](std::string_view line) { lines.emplace_back(line); });
  }
  ~sandbox() { lg::set_sink({}); }

  // Writes an executable /bin/sh script and returns its path.
  std::string script(const std::string& name, const std::string& body) {
    const auto path = dir / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  std::string path(const std::string& name) const { return (dir / name).string(); }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs run_command on `ioc` for at most `bound`; empty if it did not finish in time.
std::optional<command_result> run_on(asio::io_context& ioc, const command_spec& spec,
                                     std::chrono::milliseconds bound = 10s) {
  std::optional<command_result> out;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        out = co_await fjwatch::run_command(ioc.get_executor(), spec);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  ioc.run_for(bound);
  return out;
}

std::optional<command_result> run(const command_spec& spec, std::chrono::milliseconds bound = 10s) {
  asio::io_context ioc;
  return run_on(ioc, spec, bound);
}

command_spec spec_for(std::vector<std::string> argv, std::string stdin_data = {}) {
  command_spec s;
  s.action_name = "hook";
  s.argv = std::move(argv);
  s.stdin_data = std::move(stdin_data);
  s.extra_env = fjwatch::event_environment("session.done", "fjw_ev_1", "69f45196c8bbf1ce65b5bcd6");
  return s;
}

// The pid a script wrote with `echo $$ > file`.
pid_t pid_in(const std::string& path) {
  const std::string text = read_file(path);
  BOOST_TEST_REQUIRE(!text.empty(), "no pid in " << path);
  return static_cast<pid_t>(std::stol(text));
}

// True when `pid` is not our child any more: reaped by us, nothing left to wait for.
bool reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD; }

// Waits (bounded) until `pid` is gone or a zombie of someone else's.
bool dies_within(pid_t pid, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close_paren = stat.rfind(')');
    if (stat.empty() ||
        (close_paren != std::string::npos && stat.substr(close_paren + 2, 1) == "Z")) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string stderr_line(const std::string& text) {
  return "<4>" + lg::format_line(log_format::text, log_level::warn, "action.command.stderr",
                                 {{"action", "hook"}, {"event_id", "fjw_ev_1"}, {"line", text}},
                                 false);
}

std::string dropped_line(std::uint64_t lines, std::uint64_t bytes) {
  return "<4>" +
         lg::format_line(
             log_format::text, log_level::warn, "action.command.stderr_dropped",
             {{"action", "hook"}, {"event_id", "fjw_ev_1"}, {"lines", lines}, {"bytes", bytes}},
             false);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(environment)

BOOST_AUTO_TEST_CASE(drops_private_names_and_applies_extra) {
  struct row {
    std::string name;
    std::vector<const char*> parent;
    fjwatch::env_vars extra;
    std::vector<std::string> expected;
  };
  const std::vector<row> rows{
      {"kept as is", {"PATH=/bin", "HOME=/root", nullptr}, {}, {"PATH=/bin", "HOME=/root"}},
      {"secrets dropped",
       {"FJ_API_KEY=k", "CREDENTIALS_DIRECTORY=/run/c", "NOTIFY_SOCKET=/run/n", "A=1", nullptr},
       {},
       {"A=1"}},
      {"prefixes dropped",
       {"WATCHDOG_USEC=1", "WATCHDOG_PID=2", "LISTEN_FDS=1", "LISTEN_FDNAMES=x", "LISTEN_PID=3",
        "WATCHDOG=kept", "FJ_API_KEY_FILE=/k", nullptr},
       {},
       {"WATCHDOG=kept", "FJ_API_KEY_FILE=/k"}},
      {"extra replaces and appends",
       {"FJWATCH_EVENT=stale", "B=2", nullptr},
       {{"FJWATCH_EVENT", "session.done"}, {"C", ""}},
       {"B=2", "FJWATCH_EVENT=session.done", "C="}},
      {"entries without '=' skipped", {"JUNK", "D=a=b", nullptr}, {}, {"D=a=b"}},
      {"empty parent", {nullptr}, {{"E", "1"}}, {"E=1"}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(fjwatch::child_environment(r.parent.data(), r.extra) == r.expected,
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(hidden_names_are_dropped) {
  const char* parent[] = {"HOOK_SECRET=whsec_x", "OTHER_SECRET=y", "PATH=/bin",
                          "HOOK_SECRET_NOT=kept", nullptr};
  const std::vector<std::string> hidden{"HOOK_SECRET", "OTHER_SECRET"};
  BOOST_TEST(fjwatch::child_environment(parent, {{"FJWATCH_EVENT", "session.done"}}, hidden) ==
                 (std::vector<std::string>{"PATH=/bin", "HOOK_SECRET_NOT=kept",
                                           "FJWATCH_EVENT=session.done"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_extra_name_is_a_bug) {
  const char* parent[] = {nullptr};
  BOOST_CHECK_THROW(fjwatch::child_environment(parent, {{"", "x"}}), std::invalid_argument);
  BOOST_CHECK_THROW(fjwatch::child_environment(parent, {{"A=B", "x"}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(event_environment_names) {
  const fjwatch::env_vars expected{{"FJWATCH_EVENT", "session.timeout"},
                                   {"FJWATCH_EVENT_ID", "id1"},
                                   {"FJWATCH_SESSION_ID", "s1"}};
  BOOST_TEST((fjwatch::event_environment("session.timeout", "id1", "s1") == expected));
}

BOOST_AUTO_TEST_CASE(child_sees_filtered_environment) {
  sandbox box;
  ::setenv("FJ_API_KEY", "fj-test-secret-123", 1);
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  ::setenv("NOTIFY_SOCKET", "/run/notify", 1);
  ::setenv("FJWATCH_EVENT", "stale", 1);
  ::setenv("FJWATCH_TEST_KEEP", "kept", 1);
  const auto out = box.path("env.txt");
  const auto r = run(spec_for({box.script("env.sh", "env > \"$1\""), out}));
  ::unsetenv("FJ_API_KEY");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("FJWATCH_EVENT");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->ok);
  std::set<std::string> vars;
  std::istringstream in(read_file(out));
  for (std::string line; std::getline(in, line);) vars.insert(line);
  for (const char* want :
       {"FJWATCH_EVENT=session.done", "FJWATCH_EVENT_ID=fjw_ev_1",
        "FJWATCH_SESSION_ID=69f45196c8bbf1ce65b5bcd6", "FJWATCH_TEST_KEEP=kept"}) {
    BOOST_TEST(vars.count(want) == 1, want);
  }
  BOOST_TEST(vars.count("FJWATCH_EVENT=stale") == 0);
  for (const auto& v : vars) {
    BOOST_TEST_CONTEXT(v) {
      BOOST_TEST(!v.starts_with("FJ_API_KEY="));
      BOOST_TEST(!v.starts_with("WATCHDOG_"));
      BOOST_TEST(!v.starts_with("NOTIFY_SOCKET="));
      BOOST_TEST(v.find("fj-test-secret-123") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(outcome)

BOOST_AUTO_TEST_CASE(exit_status_and_reason) {
  sandbox box;
  const auto not_executable = box.path("plain.txt");
  std::ofstream(not_executable) << "exit 0\n";
  struct row {
    std::vector<std::string> argv;
    bool ok;
    int exit_code;
    std::string reason;
  };
  const std::vector<row> rows{
      {{"true"}, true, 0, ""},
      {{"false"}, false, 1, "exit 1"},
      {{"/bin/sh", "-c", "exit 3"}, false, 3, "exit 3"},
      {{"/bin/sh", "-c", "exit 255"}, false, 255, "exit 255"},
      {{"/bin/sh", "-c", "kill -USR1 $$"}, false, -1, "killed by SIGUSR1"},
      {{"fjwatch-test-no-such-program"}, false, -1, "cannot run: No such file or directory"},
      {{"/nonexistent/fjwatch/prog"}, false, -1, "cannot run: No such file or directory"},
      {{not_executable}, false, -1, "cannot run: Permission denied"},
      {{box.dir.string()}, false, -1, "cannot run: Permission denied"},
      {{}, false, -1, "cannot run: empty argv"},
      {{""}, false, -1, "cannot run: empty argv"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT((r.argv.empty() ? std::string("(none)") : r.argv.back())) {
      const auto res = run(spec_for(r.argv));
      BOOST_TEST_REQUIRE(res.has_value());
      BOOST_TEST(res->ok == r.ok);
      BOOST_TEST(res->exit_code == r.exit_code);
      BOOST_TEST(res->reason == r.reason);
    }
  }
}

BOOST_AUTO_TEST_CASE(stdin_is_the_event_and_then_closed) {
  sandbox box;
  std::string payload = "{\"type\":\"session.done\"}\n";
  payload.push_back('\0');
  while (payload.size() < (1u << 20)) payload += "0123456789abcdef\n";
  const auto out = box.path("stdin.txt");
  const auto r = run(spec_for({box.script("cat.sh", "cat > \"$1\""), out}, payload));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->ok);
  BOOST_TEST(r->reason == "");
  BOOST_TEST((read_file(out) == payload));
}

BOOST_AUTO_TEST_CASE(program_that_ignores_stdin_costs_no_sigpipe) {
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  BOOST_TEST_REQUIRE((current.sa_handler == SIG_DFL), "SIGPIPE must be fatal for this test");
  const std::string payload(1u << 20, 'x');
  struct row {
    std::vector<std::string> argv;
    std::string reason;
  };
  const std::vector<row> rows{{{"true"}, ""}, {{"/bin/sh", "-c", "exit 4"}, "exit 4"}};
  for (int round = 0; round < 3; ++round) {
    for (const auto& r : rows) {
      BOOST_TEST_CONTEXT(r.argv.back() << " round " << round) {
        const auto res = run(spec_for(r.argv, payload));
        BOOST_TEST_REQUIRE(res.has_value());
        BOOST_TEST(res->reason == r.reason);
      }
    }
  }
  sigset_t mask;
  sigset_t pending;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  ::sigpending(&pending);
  BOOST_TEST(::sigismember(&mask, SIGPIPE) == 0);
  BOOST_TEST(::sigismember(&pending, SIGPIPE) == 0);
}

BOOST_AUTO_TEST_CASE(timeout_signals_the_group_and_reaps) {
  struct row {
    std::string name;
    std::string on_term;  // the script's SIGTERM trap ("" for none)
    std::chrono::milliseconds timeout;
    int exit_code;
    std::string reason;
    std::chrono::milliseconds at_least, below;
  };
  const std::vector<row> rows{
      {"dies of SIGTERM", "", 300ms, -1, "killed by SIGTERM after timeout 300ms", 300ms, 1500ms},
      {"ignores SIGTERM", "trap '' TERM;", 300ms, -1, "killed by SIGKILL after timeout 300ms",
       2300ms, 3500ms},
      {"exits 0 on SIGTERM", "trap 'exit 0' TERM;", 200ms, 0, "exit 0 after timeout 200ms", 200ms,
       1500ms},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      sandbox box;
      // The grandchild shares the group (and the trap: an ignored signal stays ignored in it).
      auto spec = spec_for({box.script("sleepy.sh", r.on_term + " sleep 60 & echo $! > \"$2\";"
                                                                " echo $$ > \"$1\"; wait"),
                            box.path("pid"), box.path("grandchild")});
      spec.timeout = r.timeout;
      const auto res = run(spec);
      BOOST_TEST_REQUIRE(res.has_value());
      BOOST_TEST(!res->ok);
      BOOST_TEST(res->exit_code == r.exit_code);
      BOOST_TEST(res->reason == r.reason);
      BOOST_TEST(res->duration >= r.at_least);
      BOOST_TEST(res->duration < r.below);
      BOOST_TEST(reaped(pid_in(box.path("pid"))));
      BOOST_TEST(dies_within(pid_in(box.path("grandchild")), 2s));
    }
  }
}

BOOST_AUTO_TEST_CASE(status_reaped_by_someone_else_is_a_failure) {
  // With SIGCHLD ignored the kernel reaps children itself: the run must still end, as a failure.
  struct sigaction ignore {};
  struct sigaction saved {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ignore, &saved);
  const auto r = run(spec_for({"true"}));
  ::sigaction(SIGCHLD, &saved, nullptr);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(!r->ok);
  BOOST_TEST(r->exit_code == -1);
  BOOST_TEST(r->reason == "exit status lost");
}

BOOST_AUTO_TEST_CASE(spec_may_be_a_temporary) {
  sandbox box;
  const auto out = box.path("args.txt");
  asio::io_context ioc;
  std::optional<command_result> result;
  // The awaitable starts only after the temporary spec is gone (ASan would see a dangling read).
  asio::co_spawn(ioc,
                 fjwatch::run_command(ioc.get_executor(),
                                      spec_for({"/bin/sh", "-c", "cat > \"$0\"", out}, "event")),
                 [&](std::exception_ptr e, command_result r) {
                   if (e) std::rethrow_exception(e);
                   result = std::move(r);
                 });
  ioc.run_for(10s);
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->ok);
  BOOST_TEST(read_file(out) == "event");
}

BOOST_AUTO_TEST_CASE(cancelled_run_kills_and_reaps) {
  using namespace asio::experimental::awaitable_operators;
  sandbox box;
  const auto pid_file = box.path("pid");
  const auto spec =
      spec_for({box.script("sleepy.sh", "echo $$ > \"$1\"; exec sleep 60"), pid_file});
  asio::io_context ioc;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(ioc, 300ms);
        co_await (fjwatch::run_command(ioc.get_executor(), spec) ||
                  t.async_wait(asio::use_awaitable));
        done = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  const auto started = std::chrono::steady_clock::now();
  ioc.run_for(5s);
  BOOST_TEST_REQUIRE(done);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));
  BOOST_TEST(reaped(pid_in(pid_file)));
}

BOOST_AUTO_TEST_CASE(destroyed_loop_kills_and_reaps) {
  sandbox box;
  const auto pid_file = box.path("pid");
  {
    asio::io_context ioc;
    const auto r = run_on(
        ioc, spec_for({box.script("sleepy.sh", "echo $$ > \"$1\"; exec sleep 60"), pid_file}),
        300ms);
    BOOST_TEST_REQUIRE(!r.has_value());
  }
  BOOST_TEST(reaped(pid_in(pid_file)));
}

BOOST_AUTO_TEST_CASE(without_pidfd_waitpid_is_polled) {
  asio::io_context ioc;
  asio::steady_timer warm_up(ioc);  // creates the reactor's fds before the limit is lowered
  // Lower RLIMIT_NOFILE so that exactly the four pipe ends fit: pidfd_open then fails.
  std::vector<int> free_fds;
  for (int fd = 0; free_fds.size() < 4; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) free_fds.push_back(fd);
  }
  struct lowered_limit {
    rlimit saved{};
    explicit lowered_limit(int fds) {
      ::getrlimit(RLIMIT_NOFILE, &saved);
      rlimit lowered = saved;
      lowered.rlim_cur = static_cast<rlim_t>(fds);
      BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    }
    ~lowered_limit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  };
  std::optional<lowered_limit> limit(std::in_place, free_fds.back() + 1);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const long probe = ::syscall(SYS_pidfd_open, ::getpid(), 0);
  const int probe_errno = errno;
  for (int fd : held) ::close(fd);
  auto spec = spec_for({"/bin/sh", "-c", "exit 5"});
  const auto exited = run_on(ioc, spec);
  spec = spec_for({"sleep", "60"});
  spec.timeout = 200ms;
  ioc.restart();
  const auto timed_out = run_on(ioc, spec);
  limit.reset();
  BOOST_TEST(probe == -1);
  BOOST_TEST(probe_errno == EMFILE);
  BOOST_TEST(std::count(held.begin(), held.end(), -1) == 0);
  BOOST_TEST_REQUIRE(exited.has_value());
  BOOST_TEST(exited->reason == "exit 5");
  BOOST_TEST_REQUIRE(timed_out.has_value());
  BOOST_TEST(timed_out->reason == "killed by SIGTERM after timeout 200ms");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(child_io)

BOOST_AUTO_TEST_CASE(stderr_goes_to_the_log_line_by_line) {
  sandbox box;
  // printf's octal escapes write raw bytes: \377 and \300\257 (overlong) are never UTF-8,
  // \355\240\200 is a surrogate, \342\202 is cut short; é (\303\251) is fine.
  const auto r =
      run(spec_for({box.script("talk.sh",
                               R"(printf 'first\nsecond\r\n\n  indented "q"\n\377bad\n' >&2
printf '\300\257 \355\240\200 caf\303\251 \342\202\n' >&2
printf 'no newline' >&2)")}));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->ok);
  const std::string bad = "\xef\xbf\xbd";
  const std::vector<std::string> expected{
      stderr_line("first"),
      stderr_line("second"),
      stderr_line("  indented \"q\""),
      stderr_line(bad + "bad"),
      stderr_line(bad + bad + " " + bad + bad + bad + " caf\xc3\xa9 " + bad + bad),
      stderr_line("no newline")};
  BOOST_TEST(box.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stderr_flood_is_capped) {
  sandbox box;
  struct row {
    std::string name;
    std::string body;
    std::vector<std::string> kept;
    std::uint64_t dropped_lines;
    std::uint64_t dropped_bytes;
  };
  std::vector<std::string> first_64;
  std::uint64_t flood_rest = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string text = "line " + std::to_string(i);
    if (i < 64)
      first_64.push_back(text);
    else
      flood_rest += text.size();
  }
  const std::string x5000(5000, 'x');
  const std::vector<row> rows{
      {"lines", "i=0; while [ $i -lt 1000 ]; do echo \"line $i\"; i=$((i+1)); done >&2", first_64,
       936, flood_rest},
      {"bytes",
       "for i in 1 2 3 4 5; do printf '%5000s\\n' '' | tr ' ' x; done >&2",
       {x5000, x5000, x5000},
       2,
       10000},
      {"one long line",
       "echo short >&2; head -c 102400 /dev/zero | tr '\\0' y >&2",
       {"short"},
       1,
       102400},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      box.lines.clear();
      const auto res = run(spec_for({box.script("flood.sh", r.body)}));
      BOOST_TEST_REQUIRE(res.has_value());
      BOOST_TEST(res->ok);
      std::vector<std::string> expected;
      for (const auto& k : r.kept) expected.push_back(stderr_line(k));
      expected.push_back(dropped_line(r.dropped_lines, r.dropped_bytes));
      BOOST_TEST(box.lines == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(only_stdio_fds_reach_the_child) {
  sandbox box;
  // Descriptors the daemon forgot to mark close-on-exec must not leak either. They sit high, so
  // that they cannot hide behind the fds the child itself sets up below.
  const int opened = ::open("/dev/null", O_RDONLY);
  const int leaky_file = ::fcntl(opened, F_DUPFD, 100);
  ::close(opened);
  int leaky_pipe[2];
  BOOST_TEST_REQUIRE(::pipe(leaky_pipe) == 0);
  const int leaky_read = ::fcntl(leaky_pipe[0], F_DUPFD, 100);
  BOOST_TEST_REQUIRE(leaky_file >= 100);
  BOOST_TEST_REQUIRE(leaky_read >= 100);
  const auto out = box.path("fds.txt");
  // ls lists its own fds: ours, plus fd 3 (a copy of the stdout we gave) and 4 (ls's opendir).
  const auto r = run(spec_for({"/bin/sh", "-c", "exec ls -l /proc/self/fd 3>&1 >\"$0\"", out}));
  for (int fd : {leaky_file, leaky_read, leaky_pipe[0], leaky_pipe[1]}) ::close(fd);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->ok);
  std::map<int, std::string> fds;
  const std::regex entry(R"( (\d+) -> (.*)$)");
  const std::string listing = read_file(out);
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, entry)) fds[std::stoi(m[1])] = m[2];
  }
  BOOST_TEST(fds.size() == 5u, "child fds:\n" << listing);
  BOOST_TEST(fds[0].starts_with("pipe:"), fds[0]);
  BOOST_TEST(fds[1] == out);
  BOOST_TEST(fds[2].starts_with("pipe:"), fds[2]);
  BOOST_TEST(fds[3] == "/dev/null");
  BOOST_TEST(std::regex_match(fds[4], std::regex(R"(/proc/\d+/fd)")), fds[4]);
}

BOOST_AUTO_TEST_SUITE_END()
