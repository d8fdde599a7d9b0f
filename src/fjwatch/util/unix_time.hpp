#pragma once
// The wall clock as fjwatch keeps it: unix milliseconds, written as RFC 3339 UTC.
#include <cstdint>
#include <string>

namespace fjwatch {

// The wall clock as unix milliseconds: how the store, events and the CLI keep time.
std::int64_t unix_ms_now();

// A unix time in milliseconds as RFC 3339 UTC with milliseconds: "2026-05-01T07:09:10.110Z".
std::string format_rfc3339(std::int64_t unix_ms);

}  // namespace fjwatch
