#pragma once
// Which actions an event goes to: the one rule that the daemon delivers by and `fjwatch list`
// shows.
#include "fjwatch/config/config.hpp"
#include "fjwatch/domain/event.hpp"

#include <optional>
#include <string>
#include <vector>

namespace fjwatch {

// The actions of a watch-list entry, by name in order: the entry's own `actions` when it names
// some (an empty list means none), else the config's defaults.actions, else, when the config has
// no defaults.actions, every configured action.
std::vector<std::string> entry_actions(const config& cfg,
                                       const std::optional<std::vector<std::string>>& own);

// Those of entry_actions() whose `on:` lists `type`: the actions that receive one of the entry's
// events. Names the config does not know are left out.
std::vector<std::string> actions_for(const config& cfg,
                                     const std::optional<std::vector<std::string>>& own,
                                     event_type type);

// Whether some configured action listens to `type` (session.status_changed is opt-in: the
// tracker makes those events only then).
bool any_action_on(const config& cfg, event_type type);

}  // namespace fjwatch
