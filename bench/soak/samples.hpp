#pragma once
// The soak's samples of the daemon: resident memory and open descriptors read from /proc, their
// figures per run segment (one daemon process between two kills), and a flatness check.
#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace fjwatch::testing {

struct proc_sample {
  double t = 0;         // seconds since the start of the run
  double age = 0;       // seconds since this daemon process started
  int segment = 0;      // 1 for the first daemon process, +1 at each restart
  long rss_kib = 0;     // VmRSS
  std::size_t fds = 0;  // entries of /proc/<pid>/fd
};

// VmRSS and the descriptor count of a live process; nullopt when it is gone or unreadable.
inline std::optional<proc_sample> read_proc(pid_t pid) {
  const std::filesystem::path dir = "/proc/" + std::to_string(pid);
  std::ifstream status(dir / "status");
  std::string line;
  proc_sample s;
  bool found = false;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream(line.substr(6)) >> s.rss_kib;
      found = true;
      break;
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir / "fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++s.fds;
  }
  if (!found || ec) return std::nullopt;
  return s;
}

inline double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// First, median, last and largest of a series in time order (all 0 when empty).
struct figures {
  double first = 0, median = 0, last = 0, max = 0;
};

inline figures figures_of(const std::vector<double>& v) {
  if (v.empty()) return {};
  return {v.front(), median_of(v), v.back(), *std::max_element(v.begin(), v.end())};
}

// The median of the first and of the last quarter (by time) of the samples taken in
// [from, to] seconds, each at least `settle` seconds into its daemon's life.
struct flatness {
  std::size_t samples = 0;
  double rss_first_mib = 0, rss_last_mib = 0;
  double fds_first = 0, fds_last = 0;
  bool flat = false;  // RSS grew by at most 10% + 1 MiB and descriptors by at most 4
};

inline flatness check_flat(const std::vector<proc_sample>& all, double from, double to,
                           double settle) {
  std::vector<const proc_sample*> in;
  for (const auto& s : all) {
    if (s.t >= from && s.t <= to && s.age >= settle) in.push_back(&s);
  }
  flatness f;
  f.samples = in.size();
  if (in.size() < 8) return f;
  const std::size_t q = in.size() / 4;
  std::vector<double> rss_a, rss_b, fds_a, fds_b;
  for (std::size_t i = 0; i < q; ++i) {
    rss_a.push_back(static_cast<double>(in[i]->rss_kib) / 1024);
    fds_a.push_back(static_cast<double>(in[i]->fds));
    rss_b.push_back(static_cast<double>(in[in.size() - q + i]->rss_kib) / 1024);
    fds_b.push_back(static_cast<double>(in[in.size() - q + i]->fds));
  }
  f.rss_first_mib = median_of(rss_a);
  f.rss_last_mib = median_of(rss_b);
  f.fds_first = median_of(fds_a);
  f.fds_last = median_of(fds_b);
  f.flat = f.rss_last_mib <= f.rss_first_mib * 1.10 + 1.0 && f.fds_last <= f.fds_first + 4;
  return f;
}

}  // namespace fjwatch::testing
