#pragma once
// The soak's workload: when each session is added, its script on the simulated API, and the
// session.done events that script implies. Deterministic in its options (the seed included).
#include "support/process.hpp"
#include "sim/sim.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace fjwatch::testing {

using std::chrono::milliseconds;

// A session.done event and when its script makes it happen, after the session was added.
struct planned_event {
  std::string id;
  milliseconds at{0};
};

struct planned_session {
  std::string id;
  milliseconds add_at{0};  // after the start of the run
  sim::session_script script;
  std::vector<planned_event> events;  // in order; the last one ends the script
  bool fetch_more = false;
};

struct plan_options {
  std::size_t sessions = 10000;
  milliseconds duration{3600000};
  double fetch_more_share = 0.2;
  std::uint64_t seed = 1;
};

// Sessions are added over the first add_share of the run; every script's last step begins at
// least end_margin before its end, so every event of the plan happens during the run.
inline constexpr double add_share = 0.8;
inline constexpr milliseconds end_margin{10000};
// A Fetch More cycle keeps `done` (counter 0) shown at least this long, so a daemon polling a
// done session every poll.max_interval (20 s in the soak) sees it whatever its phase.
inline constexpr milliseconds min_done_window{30000};

// `s` with every step's time and its progress points scaled so the last step begins at `limit`
// at the latest; unchanged when it already does.
inline sim::session_script fit_within(sim::session_script s, milliseconds limit) {
  milliseconds last{0};
  for (const auto& st : s.steps) last = std::max(last, st.at);
  if (last <= limit || last.count() <= 0) return s;
  const double f = static_cast<double>(limit.count()) / static_cast<double>(last.count());
  auto scale = [f](milliseconds t) {
    return milliseconds(static_cast<std::int64_t>(std::floor(static_cast<double>(t.count()) * f)));
  };
  for (auto& st : s.steps) {
    st.at = scale(st.at);
    for (auto& p : st.progress) p.at = scale(p.at);
  }
  return s;
}

// The session.done events of a time-based script: one for each step that shows done with a
// Fetch More counter not seen done before, at that step's time.
inline std::vector<planned_event> done_events(const sim::session_script& s) {
  std::vector<planned_event> out;
  std::vector<std::int64_t> seen;
  for (const auto& st : s.steps) {
    if (st.status != matching_status::done) continue;
    if (std::find(seen.begin(), seen.end(), st.search_more_counter) != seen.end()) continue;
    seen.push_back(st.search_more_counter);
    out.push_back({"fjw_" + s.id + "_done_" + std::to_string(st.search_more_counter), st.at});
  }
  return out;
}

// A Fetch More cycle that fits in `room`: done after 10..40 s, shown done for 30..60 s, fetching
// more for 10..40 s, then done again; the shortest form (5 s, 30 s, 5 s) when the drawn one does
// not fit. nullopt when not even that fits.
inline std::optional<sim::session_script> fetch_more_within(const std::string& id,
                                                            milliseconds room,
                                                            std::mt19937_64& rng) {
  auto draw = [&](int lo_s, int hi_s) {
    return milliseconds(std::uniform_int_distribution<std::int64_t>(lo_s * 1000, hi_s * 1000)(rng));
  };
  milliseconds first = draw(10, 40), window = draw(30, 60), fetching = draw(10, 40);
  if (first + window + fetching > room) {
    first = fetching = milliseconds(5000);
    window = min_done_window;
  }
  if (first + window + fetching > room) return std::nullopt;
  return sim::fetch_more_cycle(id, first, first + window, first + window + fetching);
}

// `o.sessions` sessions, added evenly over the first add_share of the run; a share of them
// (drawn) runs a Fetch More cycle, the rest the realistic workload (sim::realistic_session),
// compressed in time when it would not end end_margin before the run does.
inline std::vector<planned_session> make_plan(const plan_options& o) {
  std::mt19937_64 rng(o.seed);
  std::bernoulli_distribution fetch_more(o.fetch_more_share);
  const auto add_window = std::chrono::duration_cast<milliseconds>(o.duration * add_share);
  std::vector<planned_session> plan;
  plan.reserve(o.sessions);
  for (std::size_t i = 0; i < o.sessions; ++i) {
    planned_session p;
    p.id = hex_id(static_cast<unsigned>(1000000 + i));
    p.add_at = add_window * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(o.sessions);
    const milliseconds room = o.duration - end_margin - p.add_at;
    std::optional<sim::session_script> cycle;
    if (fetch_more(rng)) cycle = fetch_more_within(p.id, room, rng);
    p.fetch_more = cycle.has_value();
    p.script =
        cycle ? std::move(*cycle)
              : fit_within(sim::realistic_session(p.id, o.seed, static_cast<std::int64_t>(i) + 1),
                           room);
    p.events = done_events(p.script);
    plan.push_back(std::move(p));
  }
  return plan;
}

}  // namespace fjwatch::testing
