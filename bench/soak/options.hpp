#pragma once
// The soak program's command line.
#include "fjwatch/util/units.hpp"
#include "soak/plan.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fjwatch::testing {

inline constexpr const char* soak_usage = R"(usage: fjwatch-bench-soak --duration DUR [options]
  --duration DUR      sessions added, faults, outages and kills for this long (e.g. 10m, 1h)
  --sessions N        sessions added over the run (default 10000)
  --kill-every DUR    kill -9 of the daemon about this often, x0.75..1.25 (default 3m; 0s: never)
  --faults F          share of API requests faulted (default 0.10)
  --fetch-more F      share of sessions with a Fetch More cycle (default 0.2)
  --outage-every DUR  a receiver outage about this often, x0.5..1.5 (default 4m)
  --outage-for DUR    lasting about this long, x0.5..1.5 (default 40s)
  --sample-every DUR  RSS and descriptor samples (default 5s)
  --drain-limit DUR   the longest wait for quiescence after the run (default 15m)
  --seed N            workload, kill and outage draws (default 1)
  --out DIR           samples.csv, daemon.log and report.md go here (default soak-out)
)";

// Durations in seconds.
struct soak_options {
  plan_options plan;
  double kill_every = 180;
  double faults = 0.10;
  double outage_every = 240, outage_for = 40;
  double sample_every = 5;
  double drain_limit = 900;
  std::filesystem::path out = "soak-out";
};

// "90s", "10m" as seconds; throws std::invalid_argument for anything else.
inline double seconds_of(const std::string& text) {
  const auto d = fjwatch::parse_duration(text);
  if (!d) throw std::invalid_argument("not a duration: " + text);
  return static_cast<double>(d->count()) / 1000;
}

// The options of argv; throws std::invalid_argument with the usage text when they are wrong.
inline soak_options parse_args(int argc, char** argv) {
  soak_options o;
  bool duration = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(soak_usage);
    const std::string v = argv[++i];
    if (a == "--duration") {
      o.plan.duration = std::chrono::milliseconds(static_cast<std::int64_t>(seconds_of(v) * 1000));
      duration = true;
    } else if (a == "--sessions") {
      o.plan.sessions = std::stoul(v);
    } else if (a == "--kill-every") {
      o.kill_every = seconds_of(v);
    } else if (a == "--faults") {
      o.faults = std::stod(v);
    } else if (a == "--fetch-more") {
      o.plan.fetch_more_share = std::stod(v);
    } else if (a == "--outage-every") {
      o.outage_every = seconds_of(v);
    } else if (a == "--outage-for") {
      o.outage_for = seconds_of(v);
    } else if (a == "--sample-every") {
      o.sample_every = seconds_of(v);
    } else if (a == "--drain-limit") {
      o.drain_limit = seconds_of(v);
    } else if (a == "--seed") {
      o.plan.seed = std::stoull(v);
    } else if (a == "--out") {
      o.out = v;
    } else {
      throw std::invalid_argument(soak_usage);
    }
  }
  if (!duration || o.plan.duration < std::chrono::seconds(60) || o.plan.sessions < 1 ||
      o.faults < 0 || o.faults > 0.5)
    throw std::invalid_argument(
        std::string("--duration of 1m at least, --sessions >= 1, --faults 0..0.5\n") + soak_usage);
  return o;
}

}  // namespace fjwatch::testing
