// The realistic workload: searches whose length and progress look like the FJ API's.
#include "sim/sim.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fjwatch::sim {
namespace {

using std::chrono::milliseconds;

// splitmix64: a small, portable generator, so a seed means the same workload everywhere.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * uniform());
  }

 private:
  std::uint64_t state_;
};

milliseconds ms(double value) {
  return milliseconds(static_cast<std::int64_t>(std::llround(value)));
}

// The share of the search done at fraction x of its matching time, when the rate moves
// linearly from `a` at the start to `b` at the end.
double share(double x, double a, double b) { return (a * x + (b - a) * x * x / 2) / ((a + b) / 2); }

// Batches from `setup` until before `duration`, each adding a noisy part of its share, scaled so
// the last batch stands where the drifting rate puts it. total - 1 at most: the last profiles
// land with done.
std::vector<progress_point> batches(random_source& rng, milliseconds setup, milliseconds duration,
                                    std::int64_t total) {
  const double a = rng.uniform(0.75, 1.25);
  const double b = rng.uniform(0.75, 1.25);
  const double span = static_cast<double>((duration - setup).count());
  std::vector<double> times;
  std::vector<double> sums;
  double t = static_cast<double>(setup.count());
  double sum = 0;
  double before = 0;
  for (;;) {
    t += rng.uniform(1000, 5000);
    if (t >= static_cast<double>(duration.count())) break;
    const double now = share((t - static_cast<double>(setup.count())) / span, a, b);
    sum += (now - before) * rng.uniform(0.5, 1.5);
    before = now;
    times.push_back(t);
    sums.push_back(sum);
  }
  std::vector<progress_point> out;
  if (sum <= 0) return out;
  for (std::size_t k = 0; k < times.size(); ++k) {
    const double fraction = sums[k] / sum * before;
    const auto matched =
        std::min(total - 1, static_cast<std::int64_t>(fraction * static_cast<double>(total)));
    out.push_back({ms(times[k]), matched});
  }
  return out;
}

}  // namespace

session_script realistic_session(std::string id, std::uint64_t seed, std::int64_t n) {
  random_source rng(seed * 0x2545f4914f6cdd1dull + static_cast<std::uint64_t>(n));
  rng.next();
  const double seconds = std::clamp(60.0 * std::exp(rng.normal()), 20.0, 600.0);
  const milliseconds duration = ms(seconds * 1000);
  const auto total = static_cast<std::int64_t>(
      std::llround(std::exp(rng.uniform(std::log(50.0), std::log(2000.0)))));
  const milliseconds setup = ms(rng.uniform() * std::min(8000.0, seconds * 1000 / 4));

  session_script s;
  s.id = std::move(id);
  step processing{.total = total};
  processing.progress = batches(rng, setup, duration, total);
  s.steps.push_back(std::move(processing));
  s.steps.push_back(step{.at = duration, .status = matching_status::done, .total = total});
  return s;
}

session_script lagged_session(std::string id, std::uint64_t seed, std::int64_t n) {
  random_source rng(seed * 0x9e3779b97f4a7c15ull + static_cast<std::uint64_t>(n));
  rng.next();
  const double seconds = std::clamp(60.0 * std::exp(0.8 * rng.normal()), 20.0, 300.0);
  const double duration_ms = seconds * 1000;
  const auto total = static_cast<std::int64_t>(20 + rng.next() % 31);
  const double lag_ms = duration_ms * rng.uniform(0.10, 0.30);

  session_script s;
  s.id = std::move(id);
  step processing{.total = total};
  // One profile at a time, evenly spaced from the lag to the finish; the last lands with done.
  for (std::int64_t k = 1; k < total; ++k) {
    const double at =
        lag_ms + (duration_ms - lag_ms) * static_cast<double>(k) / static_cast<double>(total);
    processing.progress.push_back({ms(at), k});
  }
  s.steps.push_back(std::move(processing));
  s.steps.push_back(step{.at = ms(duration_ms), .status = matching_status::done, .total = total});
  return s;
}

std::optional<milliseconds> first_done_at(const session_script& script) {
  for (const step& s : script.steps)
    if (s.status == matching_status::done && s.at_poll <= 0) return s.at;
  return std::nullopt;
}

}  // namespace fjwatch::sim
