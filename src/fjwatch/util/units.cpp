#include "fjwatch/util/units.hpp"

#include <chrono>

#include <array>
#include <charconv>
#include <cmath>

namespace fjwatch {
namespace {

struct duration_unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Decreasing order: the order parse_duration requires and format_duration writes.
constexpr std::array<duration_unit, 5> duration_units{
    {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

// The longest duration a std::chrono::nanoseconds can hold, so any clock arithmetic is safe.
constexpr std::int64_t max_duration_ms =
    std::chrono::duration_cast<millis>(std::chrono::nanoseconds::max()).count();

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

std::string_view take_while(std::string_view text, std::size_t& pos, bool (*pred)(char)) {
  const std::size_t start = pos;
  while (pos < text.size() && pred(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

failure too_long() { return fail("longer than " + format_duration(millis(max_duration_ms))); }

int unit_index(std::string_view suffix) {
  for (std::size_t i = 0; i < duration_units.size(); ++i) {
    if (duration_units[i].suffix == suffix) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

result<millis> parse_duration(std::string_view text) {
  if (text.empty()) return fail("empty");
  const std::string not_a_duration = "not a duration like 250ms, 5s or 1h30m";
  std::int64_t total = 0;
  int last_unit = -1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::string_view digits = take_while(text, pos, is_digit);
    if (digits.empty()) return fail(not_a_duration);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range) return too_long();
    const std::string_view suffix = take_while(text, pos, is_lower);
    if (suffix.empty()) {
      return fail(pos == text.size() ? "missing a unit (d, h, m, s or ms)" : not_a_duration);
    }
    const int index = unit_index(suffix);
    if (index < 0) return fail(not_a_duration);
    if (index <= last_unit) {
      return fail("units must come in the order d, h, m, s, ms, each at most once");
    }
    last_unit = index;
    const std::int64_t unit_ms = duration_units[static_cast<std::size_t>(index)].ms;
    if (value > (max_duration_ms - total) / unit_ms) return too_long();
    total += value * unit_ms;
  }
  return millis(total);
}

std::string format_duration(millis d) {
  const std::int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out = count < 0 ? "-" : "";
  // Magnitude in unsigned arithmetic, so even the most negative value is safe.
  std::uint64_t rest =
      count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  for (const auto& unit : duration_units) {
    const auto unit_ms = static_cast<std::uint64_t>(unit.ms);
    if (rest >= unit_ms) {
      out += std::to_string(rest / unit_ms);
      out += unit.suffix;
      rest %= unit_ms;
    }
  }
  return out;
}

result<rate> parse_rate(std::string_view text) {
  const std::string not_a_rate = "not a rate like 10/s, 600/min or 0.5/s";
  const std::size_t slash = text.find('/');
  const std::string_view number = text.substr(0, slash);
  std::size_t pos = 0;
  const std::string_view whole = take_while(number, pos, is_digit);
  if (whole.empty()) return fail(not_a_rate);
  if (pos < number.size()) {
    if (number[pos] != '.') return fail(not_a_rate);
    ++pos;
    if (take_while(number, pos, is_digit).empty() || pos != number.size()) return fail(not_a_rate);
  }
  if (slash == std::string_view::npos) return fail("missing a unit (/s, /min or /h)");
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return fail(not_a_rate);
  if (value <= 0) return fail("must be more than zero");
  const std::string_view unit = text.substr(slash + 1);
  double seconds = 0;
  if (unit == "s" || unit == "sec" || unit == "second") {
    seconds = 1;
  } else if (unit == "m" || unit == "min" || unit == "minute") {
    seconds = 60;
  } else if (unit == "h" || unit == "hour") {
    seconds = 3600;
  } else {
    return fail("unknown unit (s, sec, second, m, min, minute, h, hour)");
  }
  return rate{value / seconds};
}

}  // namespace fjwatch
