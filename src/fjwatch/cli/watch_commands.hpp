#pragma once
// `fjwatch add`, `fjwatch remove` and `fjwatch list`: the watch list from the command line. Each
// reads the config (-c FILE, else $FJWATCH_CONFIG, else /etc/fjwatch/fjwatch.yaml) for the watch
// list's path, the action names and state_dir; never the API key.
//
// add and remove edit the file in place (watch_edit.hpp: only the entries' lines change) under an
// exclusive lock on ".<name>.lock" beside it (waiting up to --wait, default 10s), and replace it
// atomically (atomic_file.hpp). A symlinked watch list is edited at its target. Nothing is written
// when any argument is bad. Exit codes: 0 done; 64 usage; 65 a bad ID, --action or --label (named);
// 75 another edit held the lock for the whole wait; 78 the config, or a watch list that does not
// parse (fix it first); 1 anything else (I/O, an edit that would not read back as intended).
#include <iosfwd>
#include <span>
#include <string>

namespace fjwatch {

// `fjwatch add ID... [-c FILE] [--label TEXT] [--action NAME]... [--wait DURATION]`; args are the
// words after the command. Appends each ID not yet listed (with the label and actions, if given;
// no --action leaves the config's defaults in force), creating the file when missing. An ID
// already listed is left as it is, said on err, and is no error. Prints "added ID to FILE" per ID.
int run_add(std::span<const std::string> args, std::ostream& out, std::ostream& err);

// `fjwatch remove ID... [-c FILE] [--wait DURATION]`. Deletes every entry of each ID (all its
// lines, comments inside it too). An ID not listed is said on err; the exit code is 0 when at
// least one ID was removed, 1 when none of them was listed (and nothing was written).
int run_remove(std::span<const std::string> args, std::ostream& out, std::ostream& err);

// `fjwatch prune [-c FILE] [--older-than DURATION] [--wait DURATION]`: removes from the watch list
// the sessions that have ended (done and stopped, not found, timed out) with their last change
// more than DURATION ago (default 7d), as `remove` does (comments and layout kept, same lock).
int run_prune(std::span<const std::string> args, std::ostream& out, std::ostream& err);

// `fjwatch list [-c FILE] [--json]`. One row per entry of the watch list: id, label, actions (the
// entry's, or the config's defaults), and the session's last known state from the daemon's
// database (status, matched/total, phase, last change, how many session.done events), "-" (null
// in JSON) when it was never polled or there is no database. The database is never created. The
// watch list's problems go to err as `check` prints them; a list that does not parse exits 78.
int run_list(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace fjwatch
