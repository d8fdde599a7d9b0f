#include "fjwatch/config/action_routing.hpp"

#include <algorithm>

namespace fjwatch {

std::vector<std::string> entry_actions(const config& cfg,
                                       const std::optional<std::vector<std::string>>& own) {
  if (own) return *own;
  if (cfg.default_actions) return *cfg.default_actions;
  std::vector<std::string> every;
  for (const auto& a : cfg.actions) every.push_back(a.name);
  return every;
}

std::vector<std::string> actions_for(const config& cfg,
                                     const std::optional<std::vector<std::string>>& own,
                                     event_type type) {
  std::vector<std::string> out;
  for (auto& name : entry_actions(cfg, own)) {
    const auto* a = cfg.find_action(name);
    if (a != nullptr && std::ranges::count(a->on, type) > 0) out.push_back(std::move(name));
  }
  return out;
}

bool any_action_on(const config& cfg, event_type type) {
  return std::ranges::any_of(
      cfg.actions, [&](const action_config& a) { return std::ranges::count(a.on, type) > 0; });
}

}  // namespace fjwatch
