#include "fjwatch/util/units.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <arpa/inet.h>

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

failure too_long() {
  return fail("longer than " + format_duration(millis(max_duration_ms)));
}

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

namespace {

bool is_host_char(char c) {
  return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Printable ASCII except space, '?' and '#' (handled before), with well-formed %XX escapes.
result<void> check_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return fail("the path has a character that must be percent-encoded");
    }
    if (c == '%' && (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))) {
      return fail("the path has a bad percent-encoding");
    }
  }
  return {};
}

result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 5 || ec != std::errc() || end != text.data() + text.size() ||
      value == 0 || value > 65535) {
    return fail("the port must be a number 1..65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Fills host and port from "host", "host:port", "[v6]" or "[v6]:port".
result<void> parse_authority(std::string_view authority, url_parts& out) {
  if (authority.find('@') != std::string_view::npos) return fail("user info is not allowed");
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("an IPv6 address is missing its ']'");
    out.host = std::string(authority.substr(1, close - 1));
    in6_addr addr{};
    if (inet_pton(AF_INET6, out.host.c_str(), &addr) != 1) return fail("bad IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return fail("unexpected text after ']'");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos) {
      return fail("an IPv6 address needs brackets");
    }
    out.host = std::string(authority.substr(0, colon));
    for (const char c : out.host) {
      if (!is_host_char(c)) return fail("the host has a character that is not allowed");
    }
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail("the host is empty");
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    out.port = *port;
  }
  return {};
}

}  // namespace

result<url_parts> parse_url(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail("expected an absolute URL like https://host/path");
  url_parts out;
  for (const char c : text.substr(0, sep)) {
    out.scheme += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (out.scheme != "https" && out.scheme != "http") {
    return fail("the scheme must be http or https");
  }
  out.port = out.https() ? 443 : 80;
  const std::string_view rest = text.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) return fail("a fragment is not allowed");
  const std::size_t question = rest.find('?');
  const std::string_view before_query = rest.substr(0, question);
  const std::size_t slash = before_query.find('/');
  if (auto authority = parse_authority(before_query.substr(0, slash), out); !authority) {
    return authority.error();
  }
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : before_query.substr(slash);
  if (auto checked = check_path(path); !checked) return checked.error();
  while (path.ends_with('/')) path.remove_suffix(1);
  out.path = std::string(path);
  if (question != std::string_view::npos) {
    const std::string_view query = rest.substr(question + 1);
    if (auto checked = check_path(query); !checked) {
      return fail("the query has a character that must be percent-encoded or a bad percent-encoding");
    }
    out.query = std::string(query);
  }
  return out;
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_rfc3339(std::int64_t unix_ms) {
  const auto secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace fjwatch
