#include "fjwatch/poll/tracked_row.hpp"

namespace fjwatch {

tracked_session from_row(const session_row& row) {
  tracked_session s;
  s.status = row.status;
  s.matched = row.matched;
  s.total_for_matching = row.total_for_matching;
  s.search_more_counter = row.search_more_counter;
  s.waiting_since_ms = row.waiting_since_ms;
  s.phase = row.phase;
  return s;
}

}  // namespace fjwatch
