#pragma once
// The pure decisions' settings, taken from a config: one place that maps config keys to them.
#include "fjwatch/config/config.hpp"
#include "fjwatch/policy/cadence.hpp"
#include "fjwatch/policy/tracker.hpp"

namespace fjwatch {

// poll.* gaps and retry.* backoff.
cadence_policy cadence_of(const config& cfg);

// cadence_of(cfg), poll.give_up_after and poll.after_done; `status_events` when some action
// listens to session.status_changed.
tracker_policy tracker_of(const config& cfg, bool status_events);

}  // namespace fjwatch
