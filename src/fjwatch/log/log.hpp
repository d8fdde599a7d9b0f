#pragma once
// The daemon's logger: one line per happening, `event.name key=value ...` text or JSON lines, on
// stderr (journald under systemd). Registered secrets are masked in every line, whatever the
// caller passed.
#include "fjwatch/log/log_level.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::log {

// One key=value pair. Values are text; numbers and booleans are converted on construction.
struct field {
  std::string_view key;
  std::string value;
  bool quoted_in_json = true;  // false for numbers and booleans

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, std::int64_t v)
      : key(k), value(std::to_string(v)), quoted_in_json(false) {}
  field(std::string_view k, int v) : field(k, static_cast<std::int64_t>(v)) {}
  field(std::string_view k, std::uint64_t v)
      : key(k), value(std::to_string(v)), quoted_in_json(false) {}
  field(std::string_view k, double v);
  field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted_in_json(false) {}
};

using fields = std::initializer_list<field>;

// Sets level and format. Text lines carry a UTC timestamp unless stderr goes to journald
// ($JOURNAL_STREAM), where they carry a <N> syslog priority prefix instead.
void configure(log_level level, log_format format);

// Masks `secret` (if at least 4 characters) as "[redacted]" in every later line.
void add_secret(std::string secret);
void clear_secrets();

// Sends lines to `sink` instead of stderr (tests); an empty function restores stderr.
void set_sink(std::function<void(std::string_view line)> sink);

bool enabled(log_level level);
void write(log_level level, std::string_view event, fields kv = {});

inline void debug(std::string_view event, fields kv = {}) { write(log_level::debug, event, kv); }
inline void info(std::string_view event, fields kv = {}) { write(log_level::info, event, kv); }
inline void warn(std::string_view event, fields kv = {}) { write(log_level::warn, event, kv); }
inline void error(std::string_view event, fields kv = {}) { write(log_level::error, event, kv); }

// One line per problem in a user's file: `event where=file:line:col message=...`, at error level
// (warn for a warning).
void problems(std::string_view event, const std::vector<diagnostic>& found);

// Formats one line without writing it (tests, and `check` output). No key appears twice on a
// line: a field named like the line's own keys (JSON: "ts", "level", "event") or like an earlier
// field is written as key_2 (key_3, ...). Values are escaped (text.hpp, escape_style::json): no
// control character, bidi control or invalid UTF-8 reaches the line as it is.
std::string format_line(log_format format, log_level level, std::string_view event, fields kv,
                        bool with_timestamp);

}  // namespace fjwatch::log
