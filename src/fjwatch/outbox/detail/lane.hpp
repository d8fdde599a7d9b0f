#pragma once
// Internal to the outbox: one configured action's lane, shared by outbox.cpp (delivering) and
// outbox_actions.cpp (what a reload or a 410 changes about it).
#include "fjwatch/config/config.hpp"
#include "fjwatch/outbox/detail/action_runner.hpp"
#include "fjwatch/outbox/outbox.hpp"
#include "fjwatch/policy/delivery_breaker.hpp"
#include "fjwatch/policy/webhook_retry.hpp"
#include "fjwatch/signing/webhook.hpp"
#include "fjwatch/status/delivery_counts.hpp"
#include "fjwatch/store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fjwatch {

// An idle lane looks again this often, so rows re-queued from the CLI (and an action enabled by
// `fjwatch enable`) are not left waiting.
inline constexpr std::chrono::seconds rescan_every{5};

// The retry schedule an action's deliveries follow.
inline std::vector<millis> schedule_of(const action_config& a) {
  return a.retry_schedule.empty() ? default_retry_schedule() : a.retry_schedule;
}

struct outbox::lane {
  lane(boost::asio::io_context& ioc, action_config a, std::vector<webhook_secret> s,
       std::shared_ptr<action_runner> r)
      : action(std::move(a)),
        secrets(std::move(s)),
        runner(std::move(r)),
        timer(ioc),
        schedule(schedule_of(action)),
        breaker(schedule) {
    counts.action = action.name;
  }
  // The settings the next attempt uses. A reload replaces them (and the runner) between waves; a
  // wave under way keeps the runner it started with (`in_flight`) until it ends.
  action_config action;
  std::vector<webhook_secret> secrets;  // a webhook's signing secrets, to see a reload change them
  std::shared_ptr<action_runner> runner;
  std::shared_ptr<action_runner> in_flight;  // the runner of the wave under way, if any
  boost::asio::steady_timer timer;
  std::vector<millis> schedule;
  delivery_breaker breaker;  // pauses the target after failures in a row
  bool idle = false;         // waiting for rows (notify() may wake it), not cooling down
  bool running = false;      // its coroutine has not ended yet
  bool removed = false;      // the action left the config: the lane ends after its batch
  delivery_counts counts;    // metrics; counts.disabled mirrors `disabled`
  std::optional<disabled_action> disabled;  // the receiver answered 410: deliveries are held
  std::optional<std::string> gone;          // a 410's result, in the batch under way
};

}  // namespace fjwatch
