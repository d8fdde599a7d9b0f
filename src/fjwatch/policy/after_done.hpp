#pragma once
// What happens to a session once it is done (config poll.after_done).
namespace fjwatch {

// stop: no further polls; watch: keep polling at poll.max_interval to catch Fetch More cycles.
enum class after_done_policy { stop, watch };

}  // namespace fjwatch
