// Which actions an entry's events go to: one rule, for the daemon and `fjwatch list` alike.
#include <boost/test/unit_test.hpp>

#include "fjwatch/config/action_routing.hpp"

#include <optional>
#include <string>
#include <vector>

using fjwatch::event_type;
using names = std::vector<std::string>;

namespace {

// journal (done, not_found, timeout), hook (done only), status (status_changed only).
fjwatch::config three_actions(const std::string& defaults) {
  return fjwatch::parse_config(
      "actions:\n"
      "  - { name: journal, type: log }\n"
      "  - { name: hook, type: log, on: [session.done] }\n"
      "  - { name: status, type: log, on: [session.status_changed] }\n" +
          defaults,
      "fjwatch.yaml");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(action_routing)

BOOST_AUTO_TEST_CASE(an_entry_gets_its_own_then_the_defaults_then_every_action) {
  struct row {
    std::string name;
    std::string defaults;                 // the config's defaults section
    std::optional<names> own;             // the entry's `actions`
    names entry;                          // entry_actions()
    names done, timeout, status_changed;  // actions_for() each type
  };
  const std::vector<row> rows{
      {"no defaults: every action",
       "",
       std::nullopt,
       {"journal", "hook", "status"},
       {"journal", "hook"},
       {"journal"},
       {"status"}},
      {"defaults", "defaults: { actions: [hook] }\n", std::nullopt, {"hook"}, {"hook"}, {}, {}},
      {"defaults that name none", "defaults: { actions: [] }\n", std::nullopt, {}, {}, {}, {}},
      {"the entry's own win",
       "defaults: { actions: [hook] }\n",
       names{"journal"},
       {"journal"},
       {"journal"},
       {"journal"},
       {}},
      {"an entry that names none", "", names{}, {}, {}, {}, {}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto cfg = three_actions(r.defaults);
      BOOST_TEST(fjwatch::entry_actions(cfg, r.own) == r.entry, boost::test_tools::per_element());
      BOOST_TEST(fjwatch::actions_for(cfg, r.own, event_type::done) == r.done,
                 boost::test_tools::per_element());
      BOOST_TEST(fjwatch::actions_for(cfg, r.own, event_type::timeout) == r.timeout,
                 boost::test_tools::per_element());
      BOOST_TEST(fjwatch::actions_for(cfg, r.own, event_type::status_changed) == r.status_changed,
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(status_events_are_made_only_when_some_action_wants_them) {
  BOOST_TEST(fjwatch::any_action_on(three_actions(""), event_type::status_changed));
  const auto plain = fjwatch::parse_config("actions:\n  - { name: journal, type: log }\n", "f");
  BOOST_TEST(!fjwatch::any_action_on(plain, event_type::status_changed));
  BOOST_TEST(fjwatch::any_action_on(plain, event_type::done));
}

BOOST_AUTO_TEST_SUITE_END()
