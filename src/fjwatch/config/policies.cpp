#include "fjwatch/config/policies.hpp"

namespace fjwatch {

cadence_policy cadence_of(const config& cfg) {
  return cadence_policy{.interval = cfg.poll.interval,
                        .max_interval = cfg.poll.max_interval,
                        .max_blind_interval = cfg.poll.max_blind_interval,
                        .multiplier = cfg.poll.multiplier,
                        .jitter = cfg.poll.jitter,
                        .retry_initial = cfg.retry.initial,
                        .retry_max = cfg.retry.max};
}

tracker_policy tracker_of(const config& cfg, bool status_events) {
  tracker_policy p;
  p.cadence = cadence_of(cfg);
  p.give_up_after = cfg.poll.give_up_after;
  p.after_done = cfg.poll.after_done;
  p.status_events = status_events;
  return p;
}

}  // namespace fjwatch
