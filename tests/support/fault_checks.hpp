#pragma once
// What the fault tests (test_faults_*.cpp) check of the real daemon besides its log: its memory
// high-water mark, and the secrets sweep as one assertion. Boost.Test assertions; header-only.
#include <boost/test/unit_test.hpp>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"
#include "support/secrets_check.hpp"

namespace fjwatch::testing {

// A figure of /proc/<pid>/status in KiB, e.g. "VmHWM" (the peak resident set so far); nullopt
// when the process or the line is not there.
inline std::optional<std::int64_t> proc_status_kib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) return std::stoll(line.substr(prefix.size()));
  }
  return std::nullopt;
}

// The most a daemon's peak resident set may grow while it is sent 50 MiB bodies: less than one
// such body held in memory would take, with room for a sanitizer's overhead (a release build
// grows by about 5 MiB, ASan by about 14 MiB).
inline constexpr std::int64_t rss_growth_bound_kib = 32 * 1024;

// base_env() for a daemon whose memory is measured: ASan's quarantine off, so that its peak
// resident set counts the daemon's own buffers, not freed memory ASan holds back.
inline env_map measured_env() {
  auto env = base_env();
  auto& asan = env["ASAN_OPTIONS"];
  asan += (asan.empty() ? "" : ":") + std::string("quarantine_size_mb=0");
  return env;
}

// The secrets sweep (secrets_check.hpp) over the daemon's output, its state directory and what
// `received` holds, with the test's key and webhook secret: fails the test for each place one
// was found. Also fails when the daemon did not log at debug level, where a leak is likeliest.
inline void expect_no_secrets(const child_process& daemon, const std::filesystem::path& state,
                              const std::vector<sim::received>& received = {}) {
  const auto leaks = find_secrets(default_secrets(), daemon, state, received);
  for (const auto& where : leaks) BOOST_TEST_ERROR("secret found in " << where);
  BOOST_TEST(daemon.err_text().find(" debug ") != std::string::npos,
             "the daemon wrote no debug line: the sweep needs level debug");
}

// The lines of `event` whose `field` is `value`.
inline std::vector<std::string> lines_where(const std::vector<std::string>& lines,
                                            std::string_view event, std::string_view field,
                                            std::string_view value) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (is_event(l, event) && log_field(l, field) == value) out.push_back(l);
  }
  return out;
}

}  // namespace fjwatch::testing
