#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/http/url.hpp"

using fjwatch::millis;
using namespace std::chrono_literals;

namespace {

const std::string not_a_duration = "not a duration like 250ms, 5s or 1h30m";
const std::string out_of_order = "units must come in the order d, h, m, s, ms, each at most once";
const std::string too_long = "longer than 106751d23h47m16s854ms";
const std::string not_a_rate = "not a rate like 10/s, 600/min or 0.5/s";

}  // namespace

BOOST_AUTO_TEST_CASE(parse_duration_accepts) {
  const std::vector<std::pair<std::string, millis>> rows{
      {"0s", 0ms},          {"0ms", 0ms},
      {"250ms", 250ms},     {"5s", 5s},
      {"05s", 5s},          {"90s", 90s},
      {"2m", 2min},         {"1h30m", 90min},
      {"1d12h", 36h},       {"1d2h3m4s5ms", 24h + 2h + 3min + 4s + 5ms},
      {"1m500ms", 60500ms}, {"106751d23h47m16s854ms", millis(9'223'372'036'854)},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_duration(text);
      BOOST_TEST_REQUIRE(got.has_value());
      BOOST_TEST(got->count() == want.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_duration_rejects) {
  const std::vector<std::pair<std::string, std::string>> rows{
      {"", "empty"},
      {"5", "missing a unit (d, h, m, s or ms)"},
      {"1m5", "missing a unit (d, h, m, s or ms)"},
      {"-5s", not_a_duration},
      {"+5s", not_a_duration},
      {" 5s", not_a_duration},
      {"5s ", not_a_duration},
      {"5 s", not_a_duration},
      {"1h 30m", not_a_duration},
      {"1.5s", not_a_duration},
      {"5S", not_a_duration},
      {"5sec", not_a_duration},
      {"5x", not_a_duration},
      {"s", not_a_duration},
      {"fast", not_a_duration},
      {"30m1h", out_of_order},
      {"1h1h", out_of_order},
      {"5ms1s", out_of_order},
      {"1s1s", out_of_order},
      {"106751d23h47m16s855ms", too_long},
      {"106752d", too_long},
      {"99999999999999999999s", too_long},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_duration(text);
      BOOST_TEST_REQUIRE(got.has_error());
      BOOST_TEST(got.error().what == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(format_duration_writes_each_unit_once) {
  const std::vector<std::pair<millis, std::string>> rows{
      {0ms, "0s"},    {250ms, "250ms"},  {5s, "5s"},           {90000ms, "1m30s"}, {90min, "1h30m"},
      {36h, "1d12h"}, {1001ms, "1s1ms"}, {24h + 1ms, "1d1ms"}, {-5s, "-5s"},
  };
  for (const auto& [value, want] : rows) {
    BOOST_TEST_CONTEXT("value " << value.count() << "ms") {
      BOOST_TEST(fjwatch::format_duration(value) == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(format_duration_reads_back) {
  const std::vector<millis> values{
      0ms, 1ms, 999ms, 1s, 61s, 3599999ms, 86400001ms, 123456789ms, millis(9'223'372'036'854)};
  for (const millis value : values) {
    BOOST_TEST_CONTEXT("value " << value.count() << "ms") {
      const auto back = fjwatch::parse_duration(fjwatch::format_duration(value));
      BOOST_TEST_REQUIRE(back.has_value());
      BOOST_TEST(back->count() == value.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_rate_accepts) {
  const std::vector<std::pair<std::string, double>> rows{
      {"10/s", 10.0}, {"1/sec", 1.0},     {"3/second", 3.0}, {"600/min", 10.0},
      {"120/m", 2.0}, {"60/minute", 1.0}, {"3600/h", 1.0},   {"7200/hour", 2.0},
      {"0.5/s", 0.5}, {"1.25/s", 1.25},   {"007/s", 7.0},    {"90/h", 0.025},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_rate(text);
      BOOST_TEST_REQUIRE(got.has_value());
      BOOST_TEST(got->per_second == want, boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_rate_rejects) {
  const std::string unknown_unit = "unknown unit (s, sec, second, m, min, minute, h, hour)";
  const std::vector<std::pair<std::string, std::string>> rows{
      {"0/s", "must be more than zero"},
      {"0.0/min", "must be more than zero"},
      {"10", "missing a unit (/s, /min or /h)"},
      {"0.5", "missing a unit (/s, /min or /h)"},
      {"10/", unknown_unit},
      {"10/day", unknown_unit},
      {"10/S", unknown_unit},
      {"10/seconds", unknown_unit},
      {"10/s/s", unknown_unit},
      {"10/ s", unknown_unit},
      {"-1/s", not_a_rate},
      {"", not_a_rate},
      {"/s", not_a_rate},
      {"abc", not_a_rate},
      {"1e3/s", not_a_rate},
      {".5/s", not_a_rate},
      {"5./s", not_a_rate},
      {"10 /s", not_a_rate},
      {" 10/s", not_a_rate},
      {"nan/s", not_a_rate},
      {"inf/s", not_a_rate},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_rate(text);
      BOOST_TEST_REQUIRE(got.has_error());
      BOOST_TEST(got.error().what == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_url_accepts) {
  using fjwatch::url_parts;
  const std::vector<std::pair<std::string, url_parts>> rows{
      {"https://prod.api.futurejobs.ai", {"https", "prod.api.futurejobs.ai", 443, ""}},
      {"http://127.0.0.1:8080/", {"http", "127.0.0.1", 8080, ""}},
      {"https://h.example/a/b/", {"https", "h.example", 443, "/a/b"}},
      {"https://h.example/a//", {"https", "h.example", 443, "/a"}},
      {"HTTPS://Host.Example:1", {"https", "Host.Example", 1, ""}},
      {"http://h:65535/x", {"http", "h", 65535, "/x"}},
      {"https://[::1]:9443/api", {"https", "::1", 9443, "/api"}},
      {"https://[2001:db8::1]", {"https", "2001:db8::1", 443, ""}},
      {"https://h/p%20q", {"https", "h", 443, "/p%20q"}},
      {"https://my_host-1.local/v1:x@y", {"https", "my_host-1.local", 443, "/v1:x@y"}},
      {"https://h/hook?token=a%2Fb&x=1", {"https", "h", 443, "/hook", "token=a%2Fb&x=1"}},
      {"https://h?x=/y?z", {"https", "h", 443, "", "x=/y?z"}},
      {"https://h/p/?", {"https", "h", 443, "/p", ""}},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_url(text);
      BOOST_TEST_REQUIRE(got.has_value());
      BOOST_TEST(got->scheme == want.scheme);
      BOOST_TEST(got->host == want.host);
      BOOST_TEST(got->port == want.port);
      BOOST_TEST(got->path == want.path);
      BOOST_TEST(got->query == want.query);
      BOOST_TEST(got->https() == (want.scheme == "https"));
    }
  }
}

BOOST_AUTO_TEST_CASE(url_target_is_path_and_query) {
  BOOST_TEST(fjwatch::parse_url("https://h").value().target() == "/");
  BOOST_TEST(fjwatch::parse_url("https://h/a/b/").value().target() == "/a/b");
  BOOST_TEST(fjwatch::parse_url("https://h?x=1").value().target() == "/?x=1");
  BOOST_TEST(fjwatch::parse_url("https://h/hook?t=a%20b").value().target() == "/hook?t=a%20b");
}

BOOST_AUTO_TEST_CASE(parse_url_rejects) {
  const std::string no_scheme = "expected an absolute URL like https://host/path";
  const std::string bad_port = "the port must be a number 1..65535";
  const std::vector<std::pair<std::string, std::string>> rows{
      {"", no_scheme},
      {"prod.api.futurejobs.ai", no_scheme},
      {"//h/x", no_scheme},
      {"ftp://h", "the scheme must be http or https"},
      {" https://h", "the scheme must be http or https"},
      {"https://", "the host is empty"},
      {"https:///path", "the host is empty"},
      {"https://:443", "the host is empty"},
      {"https://user@h", "user info is not allowed"},
      {"https://user:pw@h/x", "user info is not allowed"},
      {"https://h/p?x=1 2",
       "the query has a character that must be percent-encoded or a bad percent-encoding"},
      {"https://h/p?x=%zz",
       "the query has a character that must be percent-encoded or a bad percent-encoding"},
      {"https://h/p?x=1#f", "a fragment is not allowed"},
      {"https://h#frag", "a fragment is not allowed"},
      {"https://h:0", bad_port},
      {"https://h:65536", bad_port},
      {"https://h:", bad_port},
      {"https://h:x", bad_port},
      {"https://h:-1", bad_port},
      {"https://h:443:1", "an IPv6 address needs brackets"},
      {"https://::1/", "an IPv6 address needs brackets"},
      {"https://[::1", "an IPv6 address is missing its ']'"},
      {"https://[zz]", "bad IPv6 address"},
      {"https://[::1]x", "unexpected text after ']'"},
      {"https://a b", "the host has a character that is not allowed"},
      {"https://h\xc3\xa9", "the host has a character that is not allowed"},
      {"https://h/a b", "the path has a character that must be percent-encoded"},
      {"https://h/a\nb", "the path has a character that must be percent-encoded"},
      {"https://h/%zz", "the path has a bad percent-encoding"},
      {"https://h/%2", "the path has a bad percent-encoding"},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input \"" << text << "\"") {
      const auto got = fjwatch::parse_url(text);
      BOOST_TEST_REQUIRE(got.has_error());
      BOOST_TEST(got.error().what == want);
    }
  }
}

BOOST_AUTO_TEST_CASE(rfc3339_formatting) {
  struct row {
    std::int64_t unix_ms;
    std::string expected;
  };
  const std::vector<row> rows{
      {0, "1970-01-01T00:00:00.000Z"},
      {1777619350110, "2026-05-01T07:09:10.110Z"},
      {951782400999, "2000-02-29T00:00:00.999Z"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.unix_ms) { BOOST_TEST(fjwatch::format_rfc3339(r.unix_ms) == r.expected); }
  }
}
