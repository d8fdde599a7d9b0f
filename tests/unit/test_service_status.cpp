#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "fjwatch/status/service_status.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

using fjwatch::api_health;
using fjwatch::poll_tally;
using fjwatch::service_facts;
using fjwatch::session_counts;
using kind = fjwatch::poll_outcome::kind;

namespace {

poll_tally tally(std::initializer_list<std::pair<kind, std::uint64_t>> counts) {
  poll_tally t{};
  for (const auto& [k, n] : counts) t[static_cast<std::size_t>(k)] = n;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(status_line_summarises_sessions_deliveries_and_api) {
  struct row {
    service_facts facts;
    std::string expect;
  };
  const std::vector<row> rows{
      {{}, "watching 0; 0 deliveries pending; API not polled yet"},
      {{.sessions = {.processing = 30, .done = 12}, .deliveries_pending = 3, .api = api_health::ok},
       "watching 42: 30 processing, 12 done; 3 deliveries pending; API ok"},
      {{.sessions = {.waiting = 1}, .deliveries_pending = 1, .api = api_health::unknown},
       "watching 1: 1 waiting; 1 delivery pending; API not polled yet"},
      {{.sessions = {.waiting = 1,
                     .processing = 2,
                     .fetching_more = 3,
                     .done = 4,
                     .not_found = 5,
                     .timed_out = 6},
        .deliveries_pending = 0,
        .deliveries_failed = 2,
        .api = api_health::failing},
       "watching 21: 1 waiting, 2 processing, 3 fetching more, 4 done, 5 not found, 6 timed out; "
       "0 deliveries pending, 2 failed; API failing"},
      {{.sessions = {.processing = 4},
        .api = api_health::ok,
        .paused_until_unix_ms = 1'777'000'900'000},
       "watching 4: 4 processing; 0 deliveries pending; API ok; paused by the API until "
       "2026-04-24T03:21:40.000Z"},
      {{.sessions = {.processing = 1}, .api = api_health::unauthorized},
       "watching 1: 1 processing; 0 deliveries pending; API key rejected"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.expect) { BOOST_TEST(fjwatch::status_line(r.facts) == r.expect); }
  }
}

BOOST_AUTO_TEST_CASE(api_health_follows_the_polls_since_the_last_look) {
  struct row {
    std::string name;
    api_health previous;
    poll_tally before, now;
    bool auth_failing;
    api_health expect;
  };
  const auto some = tally({{kind::ok, 5}, {kind::network_error, 2}});
  const std::vector<row> rows{
      {"nothing polled yet", api_health::unknown, {}, {}, false, api_health::unknown},
      {"an answer", api_health::unknown, {}, tally({{kind::ok, 1}}), false, api_health::ok},
      {"304 is an answer", api_health::failing, some,
       tally({{kind::ok, 5}, {kind::network_error, 2}, {kind::not_modified, 1}}), false,
       api_health::ok},
      {"404 and 429 are answers",
       api_health::failing,
       {},
       tally({{kind::not_found, 1}, {kind::rate_limited, 1}}),
       false,
       api_health::ok},
      {"only failures", api_health::ok, some,
       tally({{kind::ok, 5},
              {kind::network_error, 3},
              {kind::server_error, 1},
              {kind::bad_response, 1}}),
       false, api_health::failing},
      {"a failure beside an answer", api_health::ok, some,
       tally({{kind::ok, 6}, {kind::network_error, 3}}), false, api_health::ok},
      {"quiet keeps the last judgement", api_health::failing, some, some, false,
       api_health::failing},
      {"401 pause", api_health::ok, some, tally({{kind::ok, 6}}), true, api_health::unauthorized},
      {"pause over, nothing polled", api_health::unauthorized, some, some, false, api_health::ok},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST((fjwatch::judge_api(r.previous, r.before, r.now, r.auth_failing) == r.expect));
    }
  }
}
