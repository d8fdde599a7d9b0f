#pragma once
// The 401 probe as a state machine: while the API rejects the key every poll waits, and one poll
// at a time (the probe) asks again after a gap that doubles with each rejection. Only the probe's
// answer moves the state: polls that were in flight when the key failed prove nothing. Pure: the
// caller passes the time.
#include <chrono>
#include <cstdint>
#include <optional>

namespace fjwatch {

class auth_probe {
 public:
  using clock = std::chrono::steady_clock;
  using millis = std::chrono::milliseconds;

  // What an answer did.
  enum class change : std::uint8_t {
    none,
    rejected,  // the key was taken as good, and a 401 says it is not: everything pauses
    accepted,  // the probe got an answer that is not a 401: everything resumes
  };
  struct step {
    change what = change::none;
    bool probe_answered = false;  // the probe is back: the time polling may resume has moved
  };

  // first_gap: the pause after the first rejection (the scheduler uses max(retry.initial, 1s));
  // max_gap: the longest, however often the probe is rejected.
  auth_probe(millis first_gap, millis max_gap);

  // While the key is rejected.
  bool failing() const { return failing_; }
  // The earliest time a poll may start: clock::time_point::min() while the key is accepted,
  // clock::time_point::max() while the probe is out, else the end of the current gap.
  clock::time_point next_allowed() const;
  // A poll of slot `slot` starts; while the key is rejected it is the probe.
  void started(std::uint32_t slot);
  // The answer to a poll of slot `slot` at `now`. A 401 rejects the key (the first time) or, for
  // the probe, doubles the gap; for the probe, a network error (which proves nothing about the
  // key) keeps the gap and any other answer accepts the key. Other polls' answers change nothing.
  step answered(std::uint32_t slot, bool unauthorized, bool network_error, clock::time_point now);
  // A new key was loaded (a reload): the rejection of the old one is forgotten, polling may
  // resume at once, and a 401 to the new key pauses afresh from the first gap. A probe still out
  // was sent with the old key: its answer no longer counts as the probe's.
  void key_changed();
  // Takes a new first gap for the next rejection (a reload changed retry.initial).
  void set_first_gap(millis first_gap) { first_gap_ = first_gap; }

 private:
  millis first_gap_;
  millis max_gap_;
  millis gap_{0};
  bool failing_ = false;
  std::optional<std::uint32_t> probe_;  // the slot of the probe that is out
  clock::time_point resume_at_{};       // while failing and no probe is out
};

}  // namespace fjwatch
