#pragma once
// Internal to the simulator: one session's script evaluated over time and polls, and the JSON a
// poll of it returns.
#include "sim/sim.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fjwatch::sim::detail {

using steady_clock = std::chrono::steady_clock;
using wall_clock = std::chrono::system_clock;

// What a poll sees of a session: its step (index into the script's steps, after
// normalize_steps) and the fields derived from it.
struct session_state {
  std::size_t step = 0;
  matching_status status = matching_status::processing;
  std::int64_t matched = 0;
  std::int64_t total = 0;
  std::int64_t counter = 0;
  friend bool operator==(const session_state&, const session_state&) = default;
};

// The script's steps with a leading {at 0, processing} step added when the first step does not
// apply from the start, so some step always applies.
std::vector<step> normalize_steps(std::vector<step> steps);

// Where the current step began, for steps that start at a poll (their time is only known once
// seen) and for steps at a time whose progress counts polls.
struct step_entry {
  std::size_t step = 0;
  std::chrono::milliseconds elapsed{0};
  std::int64_t poll = 0;
};

// The index of the step that applies `elapsed` after the session was added, at its poll-th poll.
std::size_t current_step(const std::vector<step>& steps, std::chrono::milliseconds elapsed,
                         std::int64_t poll);

// The state `elapsed` after the session was added, at its poll-th poll, given normalized steps
// and where the current step was entered (used only when entry.step is the step that applies).
session_state evaluate(const std::vector<step>& steps, std::chrono::milliseconds elapsed,
                       std::int64_t poll, const step_entry& entry, bool hide_progress);

// The parts joined. (GCC 12 warns falsely, -Wrestrict, on "literal" + std::string&&.)
std::string concat(std::initializer_list<std::string_view> parts);

// "2026-05-01T07:09:10.110Z".
std::string iso_time(wall_clock::time_point t);

// One session: its script, what clients have seen of it, and the cached answer for that.
class session_model {
 public:
  // `incarnation` is unique per add_session call, so ETags never repeat across re-adds.
  session_model(session_script script, std::uint64_t incarnation, steady_clock::time_point added,
                wall_clock::time_point created, bool hide_progress);

  // Moves to the state for `now` and the poll-th poll; a change bumps the version, updatedAt
  // (and lastCandidatesFetchedAt on reaching done) and re-renders the body and ETag.
  void observe(steady_clock::time_point now, wall_clock::time_point wall_now, std::int64_t poll);

  const session_state& state() const { return state_; }
  // The documented 200 body for the current state; never null after the first observe().
  const std::shared_ptr<const std::string>& body() const { return body_; }
  // A quoted strong ETag, unique to (incarnation, version).
  const std::string& etag() const { return etag_; }
  // The current body altered for a fault: wrong_type, wrong_types, wrong_shape, huge_body or
  // malformed_json; the normal body for any other fault.
  std::string render_fault_body(fault f) const;
  const session_script& script() const { return script_; }
  wall_clock::time_point created() const { return created_; }
  // When a poll was first answered with done; nullopt until then.
  const std::optional<wall_clock::time_point>& done_served() const { return done_served_; }

 private:
  std::string render(fault f) const;

  session_script script_;
  std::uint64_t incarnation_;
  steady_clock::time_point added_;
  wall_clock::time_point created_;
  bool hide_progress_;
  bool seen_ = false;
  step_entry entry_;
  session_state state_;
  std::uint64_t version_ = 0;
  wall_clock::time_point updated_;
  wall_clock::time_point fetched_;
  std::optional<wall_clock::time_point> done_served_;
  std::shared_ptr<const std::string> body_;
  std::string etag_;
};

}  // namespace fjwatch::sim::detail
