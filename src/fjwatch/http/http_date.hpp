#pragma once
// Header values of HTTP (RFC 9110): HTTP-dates, Retry-After, and plain integer fields. Pure: no
// clock except the `now` passed in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fjwatch {

// An HTTP-date in any of the three forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime);
// nullopt for anything else. A date system_clock cannot hold (before 1678 or after 2261) reads
// as the clock's first or last instant. An RFC 850 two-digit year more than 50 years after `now`
// is taken in the previous century.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now);
// The same, relative to the current time.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// Retry-After: delta-seconds or an HTTP-date, as a wait from `now` (a date in the past is 0), at
// most 24 hours whichever form says more. nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// A non-negative decimal integer header value (RateLimit-Remaining, RateLimit-Reset seconds).
std::optional<std::int64_t> parse_header_int(std::string_view value);

}  // namespace fjwatch
