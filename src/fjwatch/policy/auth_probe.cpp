#include "fjwatch/policy/auth_probe.hpp"

#include <algorithm>

namespace fjwatch {

auth_probe::auth_probe(millis first_gap, millis max_gap)
    : first_gap_(first_gap), max_gap_(std::max(max_gap, first_gap)) {}

auth_probe::clock::time_point auth_probe::next_allowed() const {
  if (!failing_) return clock::time_point::min();
  return probe_ ? clock::time_point::max() : resume_at_;
}

void auth_probe::started(std::uint32_t slot) {
  if (failing_) probe_ = slot;
}

auth_probe::step auth_probe::answered(std::uint32_t slot, bool unauthorized, bool network_error,
                                      clock::time_point now) {
  step out;
  const bool probe = probe_ && *probe_ == slot;
  if (probe) {
    probe_.reset();
    out.probe_answered = true;
  }
  if (unauthorized) {
    if (!failing_) {
      failing_ = true;
      gap_ = first_gap_;
      out.what = change::rejected;
    } else if (probe) {
      gap_ = std::min(gap_ * 2, max_gap_);
    }
    if (probe || out.what == change::rejected) resume_at_ = now + gap_;
    return out;
  }
  if (!probe) return out;
  if (network_error) {
    resume_at_ = now + gap_;
    return out;
  }
  failing_ = false;
  out.what = change::accepted;
  return out;
}

void auth_probe::key_changed() {
  failing_ = false;
  probe_.reset();
  gap_ = millis{0};
}

}  // namespace fjwatch
