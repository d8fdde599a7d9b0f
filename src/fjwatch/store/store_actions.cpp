// Actions disabled by their receiver (410 Gone), kept across restarts.
#include "fjwatch/store/detail/statement.hpp"
#include "fjwatch/store/detail/store_sql.hpp"
#include "fjwatch/store/store.hpp"

namespace fjwatch {

using detail::transaction;
using detail::use;
using store_sql::query;

void store::disable_action(const disabled_action& a) {
  transaction tx(*stmts_, "disable_action");
  {
    use u(*stmts_, query::disable_action, "disable_action");
    u.text(1, a.action).integer(2, a.since_ms).text(3, a.reason).text(4, a.target);
    u.step();
  }
  tx.commit();
}

bool store::enable_action(std::string_view action) {
  transaction tx(*stmts_, "enable_action");
  std::int64_t n = 0;
  {
    use u(*stmts_, query::enable_action, "enable_action");
    u.text(1, action);
    u.step();
    n = u.changes();
  }
  tx.commit();
  return n > 0;
}

std::vector<disabled_action> store::disabled_actions() {
  std::vector<disabled_action> out;
  use u(*stmts_, query::disabled_actions, "disabled_actions");
  while (u.step()) {
    out.push_back({.action = u.text_at(0),
                   .since_ms = u.int_at(1),
                   .reason = u.text_at(2),
                   .target = u.text_at(3)});
  }
  return out;
}

}  // namespace fjwatch
