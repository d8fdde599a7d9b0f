#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "fjwatch/config/config.hpp"
#include "fjwatch/config/reload_diff.hpp"

namespace fjwatch {
// How Boost.Test prints a change in a failure message: "poll.interval (live)".
inline std::ostream& boost_test_print_type(std::ostream& os, const config_change& c) {
  return os << c.key << (c.live ? " (live)" : " (restart)");
}
}  // namespace fjwatch

using fjwatch::config;
using fjwatch::config_change;
using fjwatch::diff_config;
using fjwatch::parse_config;

namespace {

const std::string base = R"(api:
  base_url: https://api.example.com
  rate: 10/s
poll:
  interval: 5s
watchlist: /etc/fjwatch/watchlist.yaml
state_dir: /var/lib/fjwatch
log: { level: info }
actions:
  - name: journal
    type: log
defaults:
  actions: [journal]
)";

// `base` with the first occurrence of `from` replaced by `to`.
config edited(const std::string& from, const std::string& to) {
  auto text = base;
  const auto at = text.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, from);
  text.replace(at, from.size(), to);
  return parse_config(text, "fjwatch.yaml");
}

}  // namespace

BOOST_AUTO_TEST_CASE(equal_configs_differ_in_nothing) {
  const auto a = parse_config(base, "fjwatch.yaml");
  BOOST_TEST(diff_config(a, a).empty());
  BOOST_TEST(diff_config(a, parse_config(base, "other.yaml")).empty());
}

BOOST_AUTO_TEST_CASE(each_key_is_named_live_or_restart_only) {
  struct row {
    std::string from, to;
    std::vector<config_change> expect;
  };
  const std::vector<row> rows{
      {"rate: 10/s", "rate: 2/s", {{"api.rate", true}}},
      {"interval: 5s",
       "interval: 2s\n  max_interval: 20s\n  multiplier: 2\n  jitter: 0.2\n"
       "  give_up_after: 1h\n  after_done: watch\n  max_blind_interval: 10s",
       {{"poll.interval", true},
        {"poll.max_interval", true},
        {"poll.max_blind_interval", true},
        {"poll.multiplier", true},
        {"poll.jitter", true},
        {"poll.give_up_after", true},
        {"poll.after_done", true}}},
      {"watchlist:",
       "retry: { initial: 2s, max: 1m }\nwatchlist:",
       {{"retry.initial", true}, {"retry.max", true}}},
      {"level: info }",
       "level: debug, format: json }",
       {{"log.level", true}, {"log.format", true}}},
      {"https://api.example.com", "https://other.example.com", {{"api.base_url", false}}},
      {"rate: 10/s",
       "rate: 10/s\n  timeout: 3s\n  max_in_flight: 2\n  api_key_file: /k\n  ca_file: /ca",
       {{"api.api_key_file", true},
        {"api.ca_file", false},
        {"api.timeout", false},
        {"api.max_in_flight", false}}},
      {"/etc/fjwatch/watchlist.yaml", "/srv/watchlist.yaml", {{"watchlist", false}}},
      {"/var/lib/fjwatch", "/srv/state", {{"state_dir", false}}},
      {"log:", "control: \"\"\nlog:", {{"control", false}}},
      {"log:", "control_allow_remote: true\nlog:", {{"control_allow_remote", false}}},
      {"type: log", "type: log\n    template: \"{event}\"", {{"actions", true}}},
      {"  actions: [journal]", "  actions: []", {{"defaults.actions", true}}},
      {"rate: 10/s",
       "rate: 1/s\n  max_in_flight: 1",
       {{"api.max_in_flight", false}, {"api.rate", true}}},
  };
  const auto running = parse_config(base, "fjwatch.yaml");
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.to) {
      const auto next = edited(r.from, r.to);
      const auto got = diff_config(running, next);
      BOOST_TEST(got == r.expect, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(apply_live_takes_over_live_keys_only) {
  auto running = parse_config(base, "fjwatch.yaml");
  const auto next = parse_config(R"(api:
  base_url: https://other.example.com
  rate: 2/s
  timeout: 3s
poll:
  interval: 1s
retry: { initial: 2s }
watchlist: /srv/watchlist.yaml
state_dir: /srv/state
log: { level: debug, format: json }
actions:
  - name: journal
    type: log
    template: "{event}"
)",
                                 "fjwatch.yaml");
  fjwatch::apply_live(running, next);
  BOOST_TEST(running.api.rate_limit.per_second == 2.0);
  BOOST_TEST(running.poll.interval.count() == 1000);
  BOOST_TEST(running.retry.initial.count() == 2000);
  BOOST_TEST((running.log.level == fjwatch::log_level::debug));
  BOOST_TEST((running.log.format == fjwatch::log_format::json));
  // Restart-only keys keep their running values.
  BOOST_TEST(running.api.base_url == "https://api.example.com");
  BOOST_TEST(running.api.timeout.count() == 10'000);
  BOOST_TEST(running.watchlist == "/etc/fjwatch/watchlist.yaml");
  BOOST_TEST(running.state_dir == "/var/lib/fjwatch");
  // Actions are live (the outbox takes them over: outbox::reconfigure).
  BOOST_TEST(running.actions.front().template_text == "{event}");
  BOOST_TEST(!running.default_actions.has_value());
  const std::vector<config_change> left{
      {"api.base_url", false}, {"api.timeout", false}, {"watchlist", false}, {"state_dir", false}};
  BOOST_TEST(diff_config(running, next) == left, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(join_keys_lists_one_side) {
  const std::vector<config_change> c{
      {"poll.interval", true}, {"state_dir", false}, {"log.level", true}};
  BOOST_TEST(fjwatch::join_keys(c, true) == "poll.interval,log.level");
  BOOST_TEST(fjwatch::join_keys(c, false) == "state_dir");
  BOOST_TEST(fjwatch::join_keys({}, true) == "");
}

// The docs list the keys a reload applies and those that wait for a restart; the table in
// reload_diff.cpp is the one source, and each list must say exactly what it says.
BOOST_AUTO_TEST_CASE(the_docs_list_the_reload_keys_as_the_table_has_them) {
  const std::string source = FJWATCH_SOURCE_DIR;
  for (const std::string doc : {"README.md", "systemd/README.md"}) {
    std::ifstream in(source + "/" + doc);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    BOOST_TEST_REQUIRE(!text.empty(), doc);
    for (const bool live : {true, false}) {
      BOOST_TEST_CONTEXT(doc << (live ? " live keys" : " restart-only keys")) {
        const std::string marker = live ? "reload-live" : "reload-restart";
        const auto from = text.find("<!-- " + marker + " -->");
        const auto to = text.find("<!-- /" + marker + " -->");
        BOOST_TEST_REQUIRE((from != std::string::npos && to != std::string::npos && from < to));
        // Every `key` of the list, a `section.*` standing for each key of the section.
        std::set<std::string> listed;
        const std::string part = text.substr(from, to - from);
        const auto all = fjwatch::reload_keys(true);
        auto every = fjwatch::reload_keys(false);
        every.insert(every.end(), all.begin(), all.end());
        for (auto open = part.find('`'); open != std::string::npos;
             open = part.find('`', open + 1)) {
          const auto close = part.find('`', open + 1);
          const std::string key = part.substr(open + 1, close - open - 1);
          if (key.ends_with(".*")) {
            for (const auto k : every) {
              if (k.starts_with(key.substr(0, key.size() - 1))) listed.emplace(k);
            }
          } else {
            listed.insert(key);
          }
          open = close;
        }
        std::set<std::string> table;
        for (const auto k : fjwatch::reload_keys(live)) table.emplace(k);
        BOOST_TEST(listed == table, boost::test_tools::per_element());
      }
    }
  }
}
