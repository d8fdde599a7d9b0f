#pragma once
// The real daemon of the soak as a series of processes on one workspace and state: started,
// killed with SIGKILL, started again. Every line each process writes goes to one file, through
// the log action's tally and into a count per log event name.
#include "support/process.hpp"
#include "soak/tally.hpp"

#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fjwatch::testing {

// The event name of a text log line (`<date> <time> <level> <event> ...`: the third word after
// the first space), or "" when the line has fewer words.
inline std::string_view log_event_name(std::string_view line) {
  for (int skip = 0; skip < 2; ++skip) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return {};
    line.remove_prefix(space + 1);
  }
  return line.substr(0, line.find(' '));
}

class daemon_proc {
 public:
  using clock = std::chrono::steady_clock;

  // Output goes to `log_file` (truncated); action.log lines are counted in `log_tally`.
  daemon_proc(const workspace& w, const std::filesystem::path& log_file, delivery_tally& log_tally)
      : w_(w), out_(log_file), tally_(log_tally) {}
  daemon_proc(const daemon_proc&) = delete;
  daemon_proc& operator=(const daemon_proc&) = delete;

  // Starts the next process and waits for its daemon.ready; the seconds that took. Throws
  // std::runtime_error when it does not come within 60 s.
  double start() {
    if (c_) throw std::logic_error("daemon_proc::start: a process is running");
    started_ = clock::now();
    c_ = w_.start();
    next_ = 0;
    ++segment_;
    const auto ready = c_->wait_for_line([](auto l) { return is_event(l, "daemon.ready"); },
                                         std::chrono::seconds(60));
    if (!ready) throw std::runtime_error("no daemon.ready within 60 s:" + tail(*c_));
    return age();
  }

  // SIGKILL; waits for the exit and reads the rest of the output.
  void kill9() {
    c_->send_signal(SIGKILL);
    finish(std::chrono::seconds(10));
  }

  // SIGTERM; the exit code once the process ended (-1 when it did not within 30 s).
  int stop() {
    c_->send_signal(SIGTERM);
    return finish(std::chrono::seconds(30)).value_or(-1);
  }

  // The exit code when the process ended by itself (it is then reaped and its output read);
  // nullopt while it runs.
  std::optional<int> exited() {
    if (!c_ || !c_->wait_exit(std::chrono::milliseconds(0))) return std::nullopt;
    return finish(std::chrono::seconds(1));
  }

  // Reads the lines written since the last call.
  void scan() {
    if (!c_) return;
    c_->wait_for(
        [&](const std::vector<std::string>& lines, bool) {
          for (; next_ < lines.size(); ++next_) take(lines[next_]);
          return true;
        },
        std::chrono::milliseconds(0));
  }

  bool running() const { return c_ != nullptr; }
  pid_t pid() const { return c_ ? c_->pid() : -1; }
  int segment() const { return segment_; }
  double age() const { return std::chrono::duration<double>(clock::now() - started_).count(); }
  // Lines seen so far, by log event name ("poll.failed", "delivery.retry", ...), and the
  // poll.failed lines also by outcome ("poll.failed outcome=server_error").
  const std::map<std::string, std::size_t, std::less<>>& events() const { return events_; }

 private:
  std::optional<int> finish(std::chrono::milliseconds bound) {
    const auto code = c_->wait_exit(bound);
    if (!code) return std::nullopt;
    scan();
    out_.flush();
    c_.reset();
    return code;
  }

  void take(const std::string& line) {
    out_ << line << '\n';
    tally_log_line(tally_, line);
    const auto name = log_event_name(line);
    count(name);
    if (name == "poll.failed")
      count("poll.failed outcome=" + log_field(line, "outcome").value_or(""));
  }

  void count(std::string_view name) {
    if (auto it = events_.find(name); it != events_.end()) {
      ++it->second;
    } else {
      events_.emplace(std::string(name), 1);
    }
  }

  const workspace& w_;
  std::ofstream out_;
  delivery_tally& tally_;
  std::unique_ptr<child_process> c_;
  std::size_t next_ = 0;
  int segment_ = 0;
  clock::time_point started_;
  std::map<std::string, std::size_t, std::less<>> events_;
};

}  // namespace fjwatch::testing
