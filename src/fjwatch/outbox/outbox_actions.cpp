// What changes an outbox's set of actions while it runs: a reload (new, changed and removed
// actions, new secrets) and a receiver's 410 Gone (the action is disabled until it is enabled).
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/outbox/detail/lane.hpp"
#include "fjwatch/outbox/outbox.hpp"
#include "fjwatch/util/unix_time.hpp"

#include <algorithm>

namespace fjwatch {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

// What an action points at: a disabled action whose target changed is enabled again at start.
std::string target_of(const action_config& a) {
  if (a.kind == action_kind::webhook) return a.url;
  if (a.kind == action_kind::command && !a.argv.empty()) return a.argv.front();
  return {};
}

std::string disabled_text(const disabled_action& d) {
  return d.reason + " since " + format_rfc3339(d.since_ms);
}

std::vector<webhook_secret> secrets_of(const secrets& keys, std::string_view action) {
  const auto found = keys.webhooks.find(action);
  return found == keys.webhooks.end() ? std::vector<webhook_secret>{} : found->second;
}

bool same_secrets(const std::vector<webhook_secret>& a, const std::vector<webhook_secret>& b) {
  return std::ranges::equal(a, b, [](const webhook_secret& x, const webhook_secret& y) {
    return std::ranges::equal(x.bytes(), y.bytes());
  });
}

}  // namespace

std::unique_ptr<outbox::lane> outbox::make_lane(const config& cfg, std::size_t index,
                                                const secrets& keys) {
  const auto& a = cfg.actions[index];
  return std::make_unique<lane>(ioc_, a, secrets_of(keys, a.name),
                                make_runner(ioc_, cfg, index, keys));
}

// A lane's coroutine ended: a removed action's lane goes; one whose action came back while it
// was ending runs again.
void outbox::lane_ended(lane& l) {
  if (stopping_ || failed_) return;
  if (!l.removed) {
    spawn(l);
    return;
  }
  std::erase_if(lanes_, [&](const std::unique_ptr<lane>& p) { return p.get() == &l; });
}

void outbox::reconfigure(const config& next, const secrets& keys) {
  if (stopping_) return;
  const auto find = [&](std::string_view name) {
    // (Lanes already moved to the new order are null.)
    return std::ranges::find_if(lanes_, [&](const auto& l) { return l && l->action.name == name; });
  };
  // Every runner first, so that one that cannot be built changes nothing.
  std::vector<std::unique_ptr<lane>> fresh(next.actions.size());
  for (std::size_t i = 0; i < next.actions.size(); ++i) {
    const auto& a = next.actions[i];
    const auto found = find(a.name);
    if (found == lanes_.end() || (*found)->removed || (*found)->action != a ||
        !same_secrets((*found)->secrets, secrets_of(keys, a.name))) {
      fresh[i] = make_lane(next, i, keys);
    }
  }
  std::vector<std::unique_ptr<lane>> lanes;  // in the new config's order, removed ones last
  for (std::size_t i = 0; i < next.actions.size(); ++i) {
    const auto found = find(next.actions[i].name);
    if (found == lanes_.end()) {
      lanes.push_back(std::move(fresh[i]));
      log::info("action.added", {{"action", lanes.back()->action.name}});
      enable_changed(*lanes.back());
      if (started_) spawn(*lanes.back());
      continue;
    }
    lanes.push_back(std::move(*found));
    if (!fresh[i]) continue;
    lane& l = *lanes.back();
    const bool came_back = l.removed;
    l.action = std::move(fresh[i]->action);
    l.secrets = std::move(fresh[i]->secrets);
    l.runner = std::move(fresh[i]->runner);  // a wave under way keeps its own (l.in_flight)
    l.schedule = std::move(fresh[i]->schedule);
    l.breaker = delivery_breaker(l.schedule);
    l.removed = false;
    l.timer.cancel();  // a pause or a wait ends: the next attempt uses the new settings
    log::info(came_back ? "action.added" : "action.changed", {{"action", l.action.name}});
    enable_changed(l);
    if (started_ && !l.running) spawn(l);
  }
  for (auto& l : lanes_) {
    if (!l) continue;
    if (!l->removed) {
      l->removed = true;
      l->timer.cancel();
      log::warn("action.removed",
                {{"action", l->action.name},
                 {"pending", "kept in the database until an action of this name is configured"}});
    }
    if (l->running) lanes.push_back(std::move(l));
  }
  lanes_ = std::move(lanes);
}

// A reload added or changed an action that a 410 had disabled: its held deliveries go out.
void outbox::enable_changed(lane& l) {
  const auto rows = db_.disabled_actions();
  const bool disabled = std::ranges::any_of(
      rows, [&](const disabled_action& d) { return d.action == l.action.name; });
  if (!disabled) return;
  db_.enable_action(l.action.name);
  l.disabled.reset();
  l.counts.disabled.clear();
  log::info("action.enabled", {{"action", l.action.name}, {"cause", "the config changed it"}});
}

// The actions their receivers disabled before, as the database has them; one whose target has
// changed since (the config now points it elsewhere) is enabled again.
void outbox::load_disabled() {
  for (auto& d : db_.disabled_actions()) {
    for (auto& l : lanes_) {
      if (l->action.name != d.action) continue;
      if (d.target != target_of(l->action)) {
        db_.enable_action(d.action);
        log::info("action.enabled", {{"action", d.action}, {"cause", "its target changed"}});
        break;
      }
      hold(*l, std::move(d));
      break;
    }
  }
}

// A disabled lane attempts nothing; it looks every few seconds whether `fjwatch enable` (or a
// restart with the action pointed elsewhere) has enabled it again.
asio::awaitable<bool> outbox::still_disabled(lane& l) {
  const auto rows = db_.disabled_actions();
  const bool disabled = std::ranges::any_of(
      rows, [&](const disabled_action& d) { return d.action == l.action.name; });
  if (!disabled) {
    l.disabled.reset();
    l.counts.disabled.clear();
    log::info("action.enabled", {{"action", l.action.name}, {"cause", "fjwatch enable"}});
    co_return false;
  }
  co_await sleep(l, steady::now() + rescan_every, false);
  co_return true;
}

// A 410 Gone: the action is disabled (durably) and what is pending for it is held.
void outbox::disable(lane& l, const std::string& result) {
  disabled_action d{.action = l.action.name,
                    .since_ms = unix_ms_now(),
                    .reason = result + " Gone",
                    .target = target_of(l.action)};
  db_.disable_action(d);
  hold(l, std::move(d));
}

// The lane attempts nothing from now on; its rows wait, held.
void outbox::hold(lane& l, disabled_action d) {
  l.counts.disabled = disabled_text(d);
  l.disabled = std::move(d);
  log::warn("action.disabled",
            {{"action", l.action.name},
             {"reason", l.counts.disabled},
             {"action_needed", "fjwatch enable " + l.action.name + " sends what was held"}});
}

}  // namespace fjwatch
