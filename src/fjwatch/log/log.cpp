#include "fjwatch/log/log.hpp"

#include "fjwatch/util/text.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <vector>

namespace fjwatch::log {
namespace {

// Hands each formatted line to a function (tests capture lines this way).
class function_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit function_sink(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    fn_(std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string_view)> fn_;
};

struct state {
  std::mutex mutex;  // guards secrets and format; lines may come from helper threads
  std::atomic<log_level> level = log_level::info;
  log_format format = log_format::text;
  bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::vector<std::string> secrets;
  std::shared_ptr<spdlog::logger> logger = make_stderr();

  static std::shared_ptr<spdlog::logger> make_stderr() {
    auto l = std::make_shared<spdlog::logger>("fjwatch",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }
};

state& global() {
  static state s;
  return s;
}

std::string_view level_name(log_level l) {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

// syslog priorities for journald's <N> prefix.
int syslog_priority(log_level l) {
  switch (l) {
    case log_level::trace:
    case log_level::debug:
      return 7;
    case log_level::info:
      return 6;
    case log_level::warn:
      return 4;
    case log_level::error:
      return 3;
  }
  return 6;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return format_rfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

// A text value is quoted (and escaped) when it is empty, holds a blank, '"', '=' or '\\', or
// anything append_escaped would change: control and bidi characters, invalid UTF-8.
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return needs_escape(v, escape_style::json);
}

// Text values and JSON strings are escaped by the same rules (escape_style::json).
void append_escaped(std::string& out, std::string_view v) {
  fjwatch::append_escaped(out, v, escape_style::json);
}

void append_json_string(std::string& out, std::string_view v) {
  out += '"';
  append_escaped(out, v);
  out += '"';
}

// `secrets` is sorted longest first, so a secret that contains another is masked whole.
void mask(std::string& line, const std::vector<std::string>& secrets) {
  constexpr std::string_view redacted = "[redacted]";
  for (const auto& s : secrets) {
    for (auto pos = line.find(s); pos != std::string::npos;
         pos = line.find(s, pos + redacted.size())) {
      line.replace(pos, s.size(), redacted);
    }
  }
}

}  // namespace

field::field(std::string_view k, double v) : key(k), quoted_in_json(!std::isfinite(v)) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

// The key a field is written under: its own, or when that is already on the line (the line's
// own "ts", "level" and "event" in JSON, or an earlier field), the first free of key_2, key_3...
std::string_view unique_key(std::vector<std::string>& used, std::string_view key) {
  std::string candidate(key);
  for (int n = 2; std::find(used.begin(), used.end(), candidate) != used.end(); ++n) {
    candidate = std::string(key) + "_" + std::to_string(n);
  }
  used.push_back(std::move(candidate));
  return used.back();
}

std::string format_line(log_format format, log_level level, std::string_view event, fields kv,
                        bool with_timestamp) {
  std::string out;
  out.reserve(128);
  std::vector<std::string> used;
  used.reserve(kv.size() + 3);
  if (format == log_format::json) {
    used = {"ts", "level", "event"};
    out += '{';
    if (with_timestamp) {
      out += "\"ts\":";
      append_json_string(out, utc_now());
      out += ',';
    }
    out += "\"level\":";
    append_json_string(out, level_name(level));
    out += ",\"event\":";
    append_json_string(out, event);
    for (const auto& f : kv) {
      out += ',';
      append_json_string(out, unique_key(used, f.key));
      out += ':';
      if (f.quoted_in_json) {
        append_json_string(out, f.value);
      } else {
        out += f.value;
      }
    }
    out += '}';
    return out;
  }
  if (with_timestamp) {
    out += utc_now();
    out += ' ';
  }
  out += level_name(level);
  out += ' ';
  out += event;
  for (const auto& f : kv) {
    out += ' ';
    out += unique_key(used, f.key);
    out += '=';
    if (needs_quotes(f.value)) {
      append_json_string(out, f.value);
    } else {
      out += f.value;
    }
  }
  return out;
}

void configure(log_level level, log_format format) {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  s.level = level;
  s.format = format;
}

void add_secret(std::string secret) {
  if (secret.size() < 4) return;
  // A value is escaped before masking: the escaped spelling must be masked too.
  std::string escaped;
  append_escaped(escaped, secret);
  auto& s = global();
  std::lock_guard lock(s.mutex);
  for (auto* form : {&secret, &escaped}) {
    if (std::find(s.secrets.begin(), s.secrets.end(), *form) == s.secrets.end()) {
      s.secrets.push_back(*form);
    }
  }
  std::stable_sort(s.secrets.begin(), s.secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void clear_secrets() {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  s.secrets.clear();
}

void set_sink(std::function<void(std::string_view)> sink) {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  if (!sink) {
    s.logger = state::make_stderr();
    return;
  }
  s.logger =
      std::make_shared<spdlog::logger>("fjwatch", std::make_shared<function_sink>(std::move(sink)));
  s.logger->set_pattern("%v");
  s.logger->set_level(spdlog::level::trace);
}

bool enabled(log_level level) { return level >= global().level; }

void write(log_level level, std::string_view event, fields kv) {
  auto& s = global();
  if (level < s.level) return;
  std::shared_ptr<spdlog::logger> logger;
  std::string line;
  {
    std::lock_guard lock(s.mutex);
    const bool journal = s.journal && s.format == log_format::text;
    line = format_line(s.format, level, event, kv, !journal);
    if (journal) line.insert(0, "<" + std::to_string(syslog_priority(level)) + ">");
    mask(line, s.secrets);
    logger = s.logger;
  }
  logger->info(line);
}

void problems(std::string_view event, const std::vector<diagnostic>& found) {
  for (const auto& p : found) {
    const bool error = p.level == diagnostic::severity::error;
    write(error ? log_level::error : log_level::warn, event,
          {{"where", p.where()}, {"message", p.message}});
  }
}

}  // namespace fjwatch::log
