#pragma once
// `fjwatch test-action NAME`: one synthetic event (type fjwatch.test, a fixed fake session, a new
// event id each run) through one configured action, exactly as the daemon would send it. Needs no
// API key, no running daemon and no state directory: it reads the config and the action's own
// secrets only, and writes nothing to the database.
#include <iosfwd>
#include <span>
#include <string>

namespace fjwatch {

// `fjwatch test-action NAME [-c FILE]`; args are the words after the command. Sends the test event
// through action NAME whatever its `on:` list says (and also while its receiver has it disabled),
// then prints one line on out: "test-action NAME: HTTP 204 in 38 ms (event <id>)" (a command:
// "exit 0", a log action: `logged "<the line's text>"`), or "test-action NAME: failed after N
// ms: <why>" with the start of the receiver's answer when it sent one. Returns 0 when the action
// took the event, 1 when it did not (or the attempt could not be made), 64 (usage), 65 (no action
// NAME: the message lists the configured ones), 78 (the config or the action's secret).
int run_test_action(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace fjwatch
