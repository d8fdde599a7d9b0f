#pragma once
// `fjwatch deliveries` and `fjwatch redeliver`: the outbox from the command line. Both read the
// config (-c FILE, else $FJWATCH_CONFIG, else /etc/fjwatch/fjwatch.yaml) for state_dir only, never
// the API key, and open the daemon's database there, also while the daemon runs. Neither creates
// the state directory or the database.
#include <iosfwd>
#include <span>
#include <string>

namespace fjwatch {

// `fjwatch deliveries [-c FILE] [--failed] [--pending] [--json] [--limit N]`; args are the words
// after the command. Lists deliveries newest first as an aligned table, or one JSON array with
// --json; --failed and --pending keep those states (both: either). A missing database is a notice
// on err and an empty list. Returns 0, 64 (usage, on err), 78 (config) or 1 (database failure).
int run_deliveries(std::span<const std::string> args, std::ostream& out, std::ostream& err);

// `fjwatch redeliver EVENT_ID [-c FILE] [--action NAME]`; args are the words after the command.
// Re-queues the event's failed and delivered deliveries (only the one to NAME) as pending, due
// now, and says how many. Returns 0, 64 (usage), 78 (config), or 1 for an unknown event or action,
// a missing database or a database failure.
int run_redeliver(std::span<const std::string> args, std::ostream& out, std::ostream& err);
// `fjwatch enable ACTION [-c FILE]`: an action its receiver disabled (410 Gone) is enabled again;
// the running daemon sends what was held for it.
int run_enable(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace fjwatch
