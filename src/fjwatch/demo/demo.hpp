#pragma once
// `fjwatch demo`: the simulated FJ API, a temporary state dir and config, and the daemon in one
// process, with a live table of what happens. No account, no network; ends by itself.
#include <chrono>
#include <ostream>

namespace fjwatch {

struct demo_options {
  std::chrono::milliseconds time_scale{1000};  // one scripted "second"; tests shrink it
  bool live = true;                            // redraw the table in place (a terminal)
};

// Returns the process exit code: 0 when every scripted outcome was observed.
int run_demo(std::ostream& out, const demo_options& opts);

}  // namespace fjwatch
