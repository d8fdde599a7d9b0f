#pragma once
// Durations ("250ms", "5s", "1h30m") and rates ("10/s", "600/min") as written in the config.
#include "fjwatch/util/result.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace fjwatch {

using millis = std::chrono::milliseconds;

// Parses one or more <integer><unit> parts, units d, h, m, s, ms, in decreasing order, each unit at
// most once: "250ms", "5s", "2m", "1h30m", "1d12h". Fails on anything else (empty, a bare number,
// a negative, a unit out of order, overflow past ~292 years).
result<millis> parse_duration(std::string_view text);

// The shortest form parse_duration reads back to the same value: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(millis d);

// Requests per second, parsed from "<number>/<unit>", unit s|sec|second|m|min|minute|h|hour;
// the number is positive and may have a fraction ("0.5/s"). Fails on anything else.
struct rate {
  double per_second = 0;
  friend bool operator==(const rate&, const rate&) = default;
};
result<rate> parse_rate(std::string_view text);

}  // namespace fjwatch
