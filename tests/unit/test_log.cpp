#include <boost/test/unit_test.hpp>

// unit_log links only fjwatch_log (no Boost::json): compile Boost.JSON into this test.
#include <boost/json.hpp>

#include "fjwatch/log/log.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
namespace lg = fjwatch::log;
using fjwatch::log_format;
using fjwatch::log_level;

// The logger reads $JOURNAL_STREAM once, on first use: pin it so text lines are exact
// ("<6>info ...", no timestamp) whatever the environment running the tests.
struct journal_env {
  journal_env() { ::setenv("JOURNAL_STREAM", "8:12345", 1); }
};
BOOST_TEST_GLOBAL_FIXTURE(journal_env);

// Captures every written line; restores the logger's defaults afterwards.
struct captured {
  std::vector<std::string> lines;
  captured() {
    lg::configure(log_level::info, log_format::text);
    lg::clear_secrets();
    lg::set_sink([this](std::string_view line) { lines.emplace_back(line); });
  }
  ~captured() {
    lg::set_sink({});
    lg::clear_secrets();
    lg::configure(log_level::info, log_format::text);
  }
};

std::string text(log_level level, std::string_view event, lg::fields kv) {
  return lg::format_line(log_format::text, level, event, kv, false);
}

json::object parse_object(const std::string& line) {
  boost::system::error_code ec;
  auto v = json::parse(line, ec);
  BOOST_TEST_REQUIRE(!ec, "not JSON: " << line << " (" << ec.message() << ")");
  BOOST_TEST_REQUIRE(v.is_object(), "not an object: " << line);
  return std::move(v.get_object());
}

const std::regex utc_timestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

}  // namespace

BOOST_AUTO_TEST_SUITE(format_text)

BOOST_AUTO_TEST_CASE(values_quoted_only_when_needed) {
  struct row {
    std::string value;
    std::string expected;  // as it appears after "k="
  };
  const std::vector<row> rows{
      {"abc", "abc"},
      {"69f45196c8bbf1ce65b5bcd6", "69f45196c8bbf1ce65b5bcd6"},
      {"https://x.example/a?b", "https://x.example/a?b"},
      {"{}", "{}"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"", R"("")"},
      {"a b", R"("a b")"},
      {" lead", R"(" lead")"},
      {"say \"hi\"", R"("say \"hi\"")"},
      {"a=b", R"("a=b")"},
      {"a\\b", R"("a\\b")"},
      {"a\nb", R"("a\nb")"},
      {"a\r\nb", R"("a\r\nb")"},
      {"a\tb", R"("a\tb")"},
      {std::string("a\x01z"), R"("a\u0001z")"},
      {std::string("a\x7fz"), R"("a\u007fz")"},
      {std::string("a\0z", 3), R"("a\u0000z")"},
      // What a title or label from elsewhere may hold: never raw on a line.
      {"evil\xe2\x80\xae"
       "cod.exe",
       R"("evil\u202ecod.exe")"},
      {"\xe2\x81\xa6iso\xe2\x81\xa9", R"("\u2066iso\u2069")"},
      {"c1\xc2\x9b"
       "31m",
       R"("c1\u009b31m")"},
      {"bad\xff", R"("bad\ufffd")"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("value [" << r.value << "]") {
      BOOST_TEST(text(log_level::info, "e.v", {{"k", r.value}}) == "info e.v k=" + r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(numbers_and_booleans_unquoted) {
  BOOST_TEST(text(log_level::info, "poll.ok",
                  {{"n", 42},
                   {"neg", -7},
                   {"big", std::int64_t{9007199254740993}},
                   {"u", std::uint64_t{18446744073709551615ULL}},
                   {"d", 1.5},
                   {"ok", true},
                   {"no", false}}) ==
             "info poll.ok n=42 neg=-7 big=9007199254740993 u=18446744073709551615 d=1.5 "
             "ok=true no=false");
}

BOOST_AUTO_TEST_CASE(levels_and_layout) {
  struct row {
    log_level level;
    std::string expected;
  };
  const std::vector<row> rows{
      {log_level::trace, "trace a.b"}, {log_level::debug, "debug a.b"},
      {log_level::info, "info a.b"},   {log_level::warn, "warn a.b"},
      {log_level::error, "error a.b"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.expected) { BOOST_TEST(text(r.level, "a.b", {}) == r.expected); }
  }
  BOOST_TEST(text(log_level::info, "session.added", {{"id", "x"}, {"label", "Pune .NET"}}) ==
             R"(info session.added id=x label="Pune .NET")");
}

BOOST_AUTO_TEST_CASE(timestamp_is_utc_milliseconds) {
  const auto line = lg::format_line(log_format::text, log_level::warn, "x.y", {{"a", 1}}, true);
  const std::regex whole(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warn x\.y a=1$)");
  BOOST_TEST(std::regex_match(line, whole), line);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(format_json)

BOOST_AUTO_TEST_CASE(exact_simple_line) {
  BOOST_TEST(lg::format_line(log_format::json, log_level::info, "poll.ok",
                             {{"id", "abc"}, {"n", 42}},
                             false) == R"({"level":"info","event":"poll.ok","id":"abc","n":42})");
}

BOOST_AUTO_TEST_CASE(parses_back_with_types_and_escapes) {
  const std::string nasty = std::string(
                                "q\"b\\s/n\nr\rt\tc\x01"
                                "d\x7f"
                                "e\x1f"
                                "f{}</x>") +
                            std::string("\0z", 2) + "caf\xc3\xa9";
  const auto line = lg::format_line(log_format::json, log_level::error, "ev\"ent\n",
                                    {{"s", nasty},
                                     {"empty", ""},
                                     {"space", "a b"},
                                     {"n", 42},
                                     {"neg", -7},
                                     {"big", std::int64_t{9007199254740993}},
                                     {"u", std::uint64_t{18446744073709551615ULL}},
                                     {"d", 0.25},
                                     {"t", true},
                                     {"f", false},
                                     {"num_text", "42"}},
                                    false);
  BOOST_TEST(line.find('\n') == std::string::npos);
  const auto o = parse_object(line);
  BOOST_TEST(o.size() == 13u);
  BOOST_TEST(o.at("level").as_string() == "error");
  BOOST_TEST(o.at("event").as_string() == "ev\"ent\n");
  BOOST_TEST(std::string(o.at("s").as_string()) == nasty);
  BOOST_TEST(o.at("empty").as_string() == "");
  BOOST_TEST(o.at("space").as_string() == "a b");
  BOOST_TEST(o.at("n").as_int64() == 42);
  BOOST_TEST(o.at("neg").as_int64() == -7);
  BOOST_TEST(o.at("big").as_int64() == 9007199254740993);
  BOOST_TEST(o.at("u").as_uint64() == 18446744073709551615ULL);
  BOOST_TEST(o.at("d").as_double() == 0.25);
  BOOST_TEST(o.at("t").as_bool() == true);
  BOOST_TEST(o.at("f").as_bool() == false);
  BOOST_TEST(o.at("num_text").is_string());  // a string that looks like a number stays a string
  BOOST_TEST(!o.contains("ts"));
}

BOOST_AUTO_TEST_CASE(non_finite_doubles_stay_valid_json) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto line =
      lg::format_line(log_format::json, log_level::info, "e",
                      {{"nan", std::nan("")}, {"inf", inf}, {"ninf", -inf}, {"ok", 2.5}}, false);
  const auto o = parse_object(line);
  BOOST_TEST(o.at("nan").is_string());
  BOOST_TEST(o.at("inf").as_string() == "inf");
  BOOST_TEST(o.at("ninf").as_string() == "-inf");
  BOOST_TEST(o.at("ok").as_double() == 2.5);
}

BOOST_AUTO_TEST_CASE(timestamp_field) {
  const auto line = lg::format_line(log_format::json, log_level::info, "e", {}, true);
  const auto o = parse_object(line);
  BOOST_TEST_REQUIRE(o.contains("ts"));
  const std::string ts(o.at("ts").as_string());
  BOOST_TEST(std::regex_match(ts, utc_timestamp), ts);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(writing)

BOOST_FIXTURE_TEST_CASE(sink_captures_lines_with_journal_priority, captured) {
  lg::info("daemon.started", {{"sessions", 3}});
  lg::warn("poll.failed", {{"reason", "connection reset"}});
  lg::error("auth.failing", {});
  lg::write(log_level::info, "w.direct", {{"k", "v"}});
  const std::vector<std::string> expected{
      "<6>info daemon.started sessions=3",
      R"(<4>warn poll.failed reason="connection reset")",
      "<3>error auth.failing",
      "<6>info w.direct k=v",
  };
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

// A problem's position is written as far as it is known: no ":0:0" for a file that cannot be
// read at all.
BOOST_FIXTURE_TEST_CASE(problems_name_the_file_and_the_known_position, captured) {
  using fjwatch::diagnostic;
  lg::problems("watchlist.problem",
               {diagnostic{.file = "/w.yaml", .line = 3, .column = 8, .message = "NUL byte"},
                diagnostic{.file = "/w.yaml", .line = 4, .message = "no column"},
                diagnostic{.file = "/w.yaml",
                           .message = "cannot read: Permission denied",
                           .level = diagnostic::severity::warning}});
  const std::vector<std::string> expected{
      R"(<3>error watchlist.problem where=/w.yaml:3:8 message="NUL byte")",
      R"(<3>error watchlist.problem where=/w.yaml:4 message="no column")",
      R"(<4>warn watchlist.problem where=/w.yaml message="cannot read: Permission denied")",
  };
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(level_filtering, captured) {
  struct row {
    log_level configured;
    std::vector<std::string> expected;
  };
  const std::vector<row> rows{
      {log_level::trace, {"<7>trace t", "<7>debug d", "<6>info i", "<4>warn w", "<3>error e"}},
      {log_level::debug, {"<7>debug d", "<6>info i", "<4>warn w", "<3>error e"}},
      {log_level::info, {"<6>info i", "<4>warn w", "<3>error e"}},
      {log_level::warn, {"<4>warn w", "<3>error e"}},
      {log_level::error, {"<3>error e"}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("level " << static_cast<int>(r.configured)) {
      lines.clear();
      lg::configure(r.configured, log_format::text);
      lg::write(log_level::trace, "t");
      lg::debug("d");
      lg::info("i");
      lg::warn("w");
      lg::error("e");
      BOOST_TEST(lines == r.expected, boost::test_tools::per_element());
      BOOST_TEST(lg::enabled(log_level::debug) == (r.configured <= log_level::debug));
      BOOST_TEST(lg::enabled(log_level::error));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(json_lines_through_the_sink, captured) {
  lg::configure(log_level::info, log_format::json);
  lg::info("poll.ok", {{"id", "69f45196c8bbf1ce65b5bcd6"}, {"gap_ms", 4000}});
  lg::debug("hidden");
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  const auto o = parse_object(lines[0]);
  BOOST_TEST(o.at("level").as_string() == "info");
  BOOST_TEST(o.at("event").as_string() == "poll.ok");
  BOOST_TEST(o.at("id").as_string() == "69f45196c8bbf1ce65b5bcd6");
  BOOST_TEST(o.at("gap_ms").as_int64() == 4000);
  BOOST_TEST_REQUIRE(o.contains("ts"));
  const std::string ts(o.at("ts").as_string());
  BOOST_TEST(std::regex_match(ts, utc_timestamp), ts);
}

BOOST_FIXTURE_TEST_CASE(braces_are_not_format_strings, captured) {
  lg::info("x{}y", {{"v", "{0} {}"}});
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0] == R"(<6>info x{}y v="{0} {}")");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_FIXTURE_TEST_CASE(masked_anywhere_in_a_line, captured) {
  lg::add_secret("fjk_live_0123456789");
  lg::info("api.request", {{"header", "x-fj-api-key: fjk_live_0123456789"}});
  lg::info("fjk_live_0123456789.event", {{"k", "v"}});
  lg::info("e", {{"a", "fjk_live_0123456789"}, {"b", "xfjk_live_0123456789fjk_live_0123456789"}});
  lg::warn("e", {{"fjk_live_0123456789", 1}});
  const std::vector<std::string> expected{
      R"(<6>info api.request header="x-fj-api-key: [redacted]")",
      "<6>info [redacted].event k=v",
      "<6>info e a=[redacted] b=x[redacted][redacted]",
      "<4>warn e [redacted]=1",
  };
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(masked_in_json_lines, captured) {
  lg::configure(log_level::info, log_format::json);
  lg::add_secret("whsec_c2VjcmV0LXNlY3JldA==");
  lg::info("webhook.sign", {{"secret", "whsec_c2VjcmV0LXNlY3JldA=="}, {"n", 1}});
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].find("whsec_") == std::string::npos, lines[0]);
  const auto o = parse_object(lines[0]);
  BOOST_TEST(o.at("secret").as_string() == "[redacted]");
}

BOOST_FIXTURE_TEST_CASE(secrets_that_need_escaping_are_masked, captured) {
  lg::add_secret("pa\"ss\\word");
  lg::info("e", {{"k", "pa\"ss\\word"}});
  lg::configure(log_level::info, log_format::json);
  lg::info("e", {{"k", "pa\"ss\\word"}});
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0] == R"(<6>info e k="[redacted]")");
  BOOST_TEST(parse_object(lines[1]).at("k").as_string() == "[redacted]");
}

BOOST_FIXTURE_TEST_CASE(a_secret_inside_another_is_masked_whole, captured) {
  lg::add_secret("fjk_abcd");
  lg::add_secret("fjk_abcdefgh");
  lg::info("e", {{"long", "fjk_abcdefgh"}, {"short", "fjk_abcd"}});
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0] == "<6>info e long=[redacted] short=[redacted]");
}

BOOST_FIXTURE_TEST_CASE(a_secret_within_the_mask_text_terminates, captured) {
  lg::add_secret("dacted");
  lg::info("e", {{"k", "redacted"}});
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0] == "<6>info e k=re[redacted]");
}

BOOST_FIXTURE_TEST_CASE(short_secrets_are_not_registered, captured) {
  lg::add_secret("abc");
  lg::add_secret("");
  lg::add_secret("abcd");
  lg::info("e", {{"k", "abc xyz abcd"}});
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0] == R"(<6>info e k="abc xyz [redacted]")");
}

BOOST_FIXTURE_TEST_CASE(clear_secrets_stops_masking, captured) {
  lg::add_secret("s3cr3t-value");
  lg::info("e", {{"k", "s3cr3t-value"}});
  lg::clear_secrets();
  lg::info("e", {{"k", "s3cr3t-value"}});
  const std::vector<std::string> expected{"<6>info e k=[redacted]", "<6>info e k=s3cr3t-value"};
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keys)

// A field named like the line's own keys, or like an earlier field, never makes a key repeat.
BOOST_AUTO_TEST_CASE(no_key_appears_twice) {
  const lg::fields kv{
      {"event", "session.done"}, {"level", 3}, {"a", 1}, {"a", 2}, {"a_2", 3}, {"ts", "x"}};
  const auto json_line = lg::format_line(log_format::json, log_level::info, "action.log", kv, true);
  BOOST_TEST(json_line.find(R"("event":"action.log","event_2":"session.done","level_2":3,)"
                            R"("a":1,"a_2":2,"a_2_2":3,"ts_2":"x")") != std::string::npos,
             json_line);
  // Boost.JSON keeps the last of duplicate keys; counting them in the text shows none repeats.
  const auto o = parse_object(json_line);
  BOOST_TEST(o.size() == 9u);
  BOOST_TEST(o.at("event").as_string() == "action.log");
  BOOST_TEST(text(log_level::info, "action.log", kv) ==
             "info action.log event=session.done level=3 a=1 a_2=2 a_2_2=3 ts=x");
}

BOOST_AUTO_TEST_SUITE_END()
