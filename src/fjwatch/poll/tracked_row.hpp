#pragma once
// A watched session's in-memory state as the store last recorded it.
#include "fjwatch/policy/tracker.hpp"
#include "fjwatch/store/store.hpp"

namespace fjwatch {

// The in-memory state of a stored row (status, counts, the wait's start, the phase); the progress
// history and the cadence start afresh.
tracked_session from_row(const session_row& row);

}  // namespace fjwatch
