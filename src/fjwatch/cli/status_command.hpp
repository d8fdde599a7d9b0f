#pragma once
// `fjwatch status`: asks the running daemon's control endpoint (the config's `control` address)
// for /healthz and /sessions.
#include "fjwatch/util/result.hpp"

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace fjwatch {

// `fjwatch status [-c FILE] [--json]`; args are the words after the command. Prints the daemon's
// health and a table of its sessions (or, with --json, one object {"address", "health",
// "sessions"} holding the endpoint's own JSON). Returns 0 when the daemon answered (healthy or
// not), 64 (usage), 78 (config), 69 when no daemon answers or the endpoint is off (the message
// names the address tried), 1 for an answer that cannot be read.
int run_status(std::span<const std::string> args, std::ostream& out, std::ostream& err);

// The /healthz and /sessions JSON as the readable report of `fjwatch status`; `now_ms` (unix ms)
// turns times into "3s ago" / "in 5s". Fails naming what is not the expected JSON.
result<std::string> format_status(std::string_view address, std::string_view health_json,
                                  std::string_view sessions_json, std::int64_t now_ms);

}  // namespace fjwatch
