#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "fjwatch/api/fj_response.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/http/http_date.hpp"

namespace {

using namespace std::chrono_literals;
using fjwatch::poll_outcome;
using sys_clock = std::chrono::system_clock;

// The documented example response of Get Session Details (the FJ API documentation's page).
constexpr std::string_view documented_body = R"json({
  "statusCode": 200,
  "data": {
    "session": {
      "_id": "69f45196c8bbf1ce65b5bcd6",
      "sessionTitle": ".NET Developer",
      "medium": "MANUAL",
      "jdDetail": {"userText": "Job Title: .NET Developer, Experience: 1-5 years, Location: Pune",
                   "sampleProfileURL": ""},
      "queries": {
        "country_region": {"type": "(.)", "value": ["India"]},
        "current_employers.title": {"type": "IN", "value": [".NET Developer"]},
        "years_of_experience_raw": {"type": "RANGE", "value": [1, 5]},
        "region": {"type": "IN", "value": ["Pune, Maharashtra, India"]},
        "skills": {"type": "IN", "value": {"mandatory": ["C#"], "core": ["ASP.NET MVC"],
                                           "secondary": []}}
      },
      "nuances": [],
      "mustHaves": "",
      "createdBy": {"_id": "68b6a343b878a5da9a172b65", "name": "Sachin Dhayatadak",
                    "email": "sachin@futurejobs.ai",
                    "avatar": {"id": "user/68b6a343b878a5da9a172b65/avatar_1777107886005.jpg"},
                    "role": "owner", "status": "active",
                    "lastActiveAt": "2026-04-30T06:09:34.240Z"},
      "workspaceId": "69f0dd1da08d760844569ba4",
      "projectId": "69f0dd1da08d760844569bb1",
      "next_cursor": "H4sIAJhR9GkC_xXMQQrCMBBG4auUrF1M8ncyiVcRKZM2QxdisE0XIt7dun0f",
      "searchMoreCounter": 0,
      "filterChangesCounter": 0,
      "lastCandidatesFetchedAt": "2026-05-01T07:09:17.307Z",
      "profileMatchingStatus": "done",
      "totalProfilesForMatching": 25,
      "totalProfilesMatched": 25,
      "profileMatchingProvider": "gemini",
      "sessionCreditCharged": true,
      "forceRefreshAnalysis": false,
      "isFallback": false,
      "totalAvailableProfiles": 333,
      "metadata": {},
      "batches": [{"batchKey": "CREATED_BATCH", "count": 25, "_id": "69f4519dc8bbf1ce65b5bcdb"}],
      "createdAt": "2026-05-01T07:09:10.110Z",
      "updatedAt": "2026-05-01T07:09:42.608Z",
      "__v": 0,
      "projectName": "First Project"
    }
  },
  "message": "Session fetched successfully",
  "status": "SUCCESS"
})json";

// A 200 body whose session has `session_members` and, unless they name one, the id every answer
// must carry.
std::string wrap_session(std::string_view session_members) {
  const bool has_id = session_members.find("\"_id\"") != std::string_view::npos;
  return R"({"statusCode":200,"data":{"session":{)" +
         std::string(has_id ? "" : R"("_id":"69f45196c8bbf1ce65b5bcd6",)") +
         std::string(session_members) + "}}}";
}

std::string deep_body(int depth) {
  return wrap_session(R"("profileMatchingStatus":"done","x":)" + std::string(depth, '[') +
                      std::string(depth, ']'));
}

sys_clock::time_point utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)) +
         std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
}

}  // namespace

BOOST_AUTO_TEST_CASE(documented_example_extracts_every_field) {
  const auto parsed = fjwatch::parse_session_body(documented_body);
  BOOST_TEST_REQUIRE(parsed.has_value());
  const auto& s = *parsed;
  BOOST_TEST(fjwatch::to_string(s.status) == "done");
  BOOST_TEST(s.id == "69f45196c8bbf1ce65b5bcd6");
  BOOST_TEST(s.title == ".NET Developer");
  BOOST_TEST(s.project == "First Project");
  BOOST_TEST(s.project_id == "69f0dd1da08d760844569bb1");
  BOOST_TEST(s.workspace_id == "69f0dd1da08d760844569ba4");
  BOOST_TEST(s.matched == 25);
  BOOST_TEST(s.total_for_matching == 25);
  BOOST_TEST(s.available == 333);
  BOOST_TEST(s.search_more_counter == 0);
  BOOST_TEST(s.filter_changes_counter == 0);
  BOOST_TEST(s.last_candidates_fetched_at == "2026-05-01T07:09:17.307Z");
  BOOST_TEST(s.created_at == "2026-05-01T07:09:10.110Z");
  BOOST_TEST(s.updated_at == "2026-05-01T07:09:42.608Z");
  BOOST_TEST(s.raw.size() == 28u);
  BOOST_TEST(s.raw.at("profileMatchingProvider").as_string() == "gemini");
  BOOST_TEST(s.raw.at("batches").as_array().at(0).as_object().at("count").as_int64() == 25);
}

BOOST_AUTO_TEST_CASE(body_failures_and_tolerated_variants) {
  struct row {
    std::string name;
    std::string body;
    std::string error;  // "" when the body must parse
  };
  const std::vector<row> rows{
      {"empty body", "", "not JSON"},
      {"not JSON", "<html>502 Bad Gateway</html>", "not JSON"},
      {"truncated JSON", R"({"data":{"session":{"profileMatchingStatus":"done")", "not JSON"},
      {"JSON array", "[1,2]", "no data.session"},
      {"no data", R"({"statusCode":200})", "no data.session"},
      {"data not an object", R"({"data":"x"})", "no data.session"},
      {"missing session", R"({"data":{}})", "no data.session"},
      {"session not an object", R"({"data":{"session":[]}})", "no data.session"},
      {"missing status", wrap_session(R"("_id":"a")"), "no data.session.profileMatchingStatus"},
      {"no _id", R"({"data":{"session":{"profileMatchingStatus":"done"}}})", "no data.session._id"},
      {"null _id", wrap_session(R"("_id":null,"profileMatchingStatus":"done")"),
       "no data.session._id"},
      {"empty _id", wrap_session(R"("_id":"","profileMatchingStatus":"done")"),
       "no data.session._id"},
      {"numeric _id", wrap_session(R"("_id":42,"profileMatchingStatus":"done")"),
       "no data.session._id"},
      {"negative matched",
       wrap_session(R"("profileMatchingStatus":"done","totalProfilesMatched":-1)"),
       "negative data.session.totalProfilesMatched"},
      {"negative total",
       wrap_session(R"("profileMatchingStatus":"done","totalProfilesForMatching":-25.0)"),
       "negative data.session.totalProfilesForMatching"},
      {"negative counter",
       wrap_session(R"("profileMatchingStatus":"done","searchMoreCounter":-9223372036854775807)"),
       "negative data.session.searchMoreCounter"},
      {"zero counts",
       wrap_session(R"("profileMatchingStatus":"done","totalProfilesMatched":0,)"
                    R"("totalProfilesForMatching":0,"searchMoreCounter":0)"),
       ""},
      {"status of wrong type", wrap_session(R"("profileMatchingStatus":1)"),
       "no data.session.profileMatchingStatus"},
      {"null status", wrap_session(R"("profileMatchingStatus":null)"),
       "no data.session.profileMatchingStatus"},
      {"unknown status", wrap_session(R"("profileMatchingStatus":"queued")"),
       "unknown profileMatchingStatus \"queued\""},
      {"control characters in status", wrap_session(R"("profileMatchingStatus":"a\nb")"),
       "unknown profileMatchingStatus \"a?b\""},
      {"deep nesting", deep_body(100), "nested too deep"},
      {"deep nesting as 1 MB of brackets", std::string(1 << 20, '['), "nested too deep"},
      {"nesting one past the limit", deep_body(fjwatch::max_json_depth - 2), "nested too deep"},
      {"nesting at the limit", deep_body(fjwatch::max_json_depth - 3), ""},
      {"brackets inside strings do not count",
       wrap_session(R"("profileMatchingStatus":"done","t":")" + std::string(200, '[') + "\""), ""},
      {"extra fields", wrap_session(R"("profileMatchingStatus":"processing","future":{"a":[1]})"),
       ""},
      {"minimal", wrap_session(R"("profileMatchingStatus":"fetching_more")"), ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto parsed = fjwatch::parse_session_body(r.body);
      if (r.error.empty()) {
        BOOST_TEST(parsed.has_value());
      } else {
        BOOST_TEST_REQUIRE(parsed.has_error());
        BOOST_TEST(parsed.error().what == r.error);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(optional_fields_of_wrong_type_are_absent) {
  const auto parsed = fjwatch::parse_session_body(wrap_session(
      R"("profileMatchingStatus":"processing","sessionTitle":["x"],"projectName":null,)"
      R"("totalProfilesMatched":"25","totalProfilesForMatching":2.5,"totalAvailableProfiles":{},)"
      R"("searchMoreCounter":true,"createdAt":7)"));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(fjwatch::to_string(parsed->status) == "processing");
  BOOST_TEST(parsed->title.empty());
  BOOST_TEST(parsed->project.empty());
  BOOST_TEST(parsed->matched == 0);
  BOOST_TEST(parsed->total_for_matching == 0);
  BOOST_TEST(parsed->available == 0);
  BOOST_TEST(parsed->search_more_counter == 0);
  BOOST_TEST(parsed->created_at.empty());
}

BOOST_AUTO_TEST_CASE(integers_as_int64_uint64_or_double) {
  struct row {
    std::string json;
    std::int64_t expected;
  };
  const std::vector<row> rows{
      {"25", 25},
      {"9223372036854775807", 9223372036854775807},
      {"18446744073709551615", 0},  // uint64 beyond int64: absent
      {"25.0", 25},
      {"2.5e1", 25},
      {"1e300", 0},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.json) {
      const auto parsed = fjwatch::parse_session_body(
          wrap_session(R"("profileMatchingStatus":"done","totalProfilesMatched":)" + r.json));
      BOOST_TEST_REQUIRE(parsed.has_value());
      BOOST_TEST(parsed->matched == r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(http_dates_in_all_three_forms) {
  const auto now = utc(2024, 6, 1);
  struct row {
    std::string text;
    std::optional<sys_clock::time_point> expected;
  };
  const std::vector<row> rows{
      {"Sun, 06 Nov 1994 08:49:37 GMT", utc(1994, 11, 6, 8, 49, 37)},
      {"Sunday, 06-Nov-94 08:49:37 GMT", utc(1994, 11, 6, 8, 49, 37)},
      {"Sun Nov  6 08:49:37 1994", utc(1994, 11, 6, 8, 49, 37)},
      {"Sun Nov 16 08:49:37 1994", utc(1994, 11, 16, 8, 49, 37)},
      {"Thursday, 01-Jan-70 00:00:00 GMT", utc(2070, 1, 1)},  // 45.6 years ahead: this century
      {"Monday, 01-Jan-80 00:00:00 GMT", utc(1980, 1, 1)},    // 55.6 years ahead: last century
      {"Saturday, 01-Jun-74 00:00:00 GMT", utc(2074, 6, 1)},  // exactly 50 years ahead
      {"Sunday, 02-Jun-74 00:00:00 GMT", utc(1974, 6, 2)},    // one day past 50 years
      {"Sat, 29 Feb 2020 23:59:60 GMT", utc(2020, 3, 1)},     // leap second
      {"Sun, 30 Feb 2020 00:00:00 GMT", std::nullopt},
      // system_clock (nanoseconds) holds only 1677-09-21..2262-04-11: further out saturates
      {"Fri, 31 Dec 9999 23:59:59 GMT", sys_clock::time_point::max()},
      {"Sat, 01 Jan 0000 00:00:00 GMT", sys_clock::time_point::min()},
      {"Wed, 31 Feb 9999 00:00:00 GMT", std::nullopt},  // no such day, however far
      {"Fri, 01 Jan 2262 00:00:00 GMT", utc(2262, 1, 1)},
      {"Sat, 01 Jan 1678 00:00:00 GMT", utc(1678, 1, 1)},
      {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
      {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 GMT ", std::nullopt},
      {"Xyz, 06 Nov 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
      {"2024-06-01T00:00:00Z", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text) {
      const auto got = fjwatch::parse_http_date(r.text, now);
      BOOST_TEST(got.has_value() == r.expected.has_value());
      if (got && r.expected) BOOST_TEST((*got == *r.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(retry_after_values) {
  const auto now = utc(1994, 11, 6, 8, 49, 0);
  struct row {
    std::string value;
    std::optional<std::chrono::milliseconds> expected;
  };
  const std::vector<row> rows{
      {"120", 120s},
      {"0", 0s},
      {" 7 ", 7s},
      {"Sun, 06 Nov 1994 08:49:37 GMT", 37s},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 37s},
      {"Sun Nov  6 08:49:37 1994", 37s},
      {"Sun, 06 Nov 1994 08:48:00 GMT", 0s},   // past date
      {"Sun, 06 Nov 1994 08:49:00 GMT", 0s},   // now
      {"Fri, 01 Jan 2100 00:00:00 GMT", 24h},  // absurd date, capped
      {"99999999999999999999999999", 24h},     // absurd delta, capped
      // The same far future in each form is the same wait (the date used to be ignored).
      {"99999999999", 24h},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 24h},
      {"Friday, 31-Dec-99 23:59:59 GMT", 24h},  // 1999: five years after this test's now
      {"Fri Dec 31 23:59:59 9999", 24h},
      {"Mon, 01 Jan 0001 00:00:00 GMT", 0s},
      {"86401", 24h},
      {"-5", std::nullopt},
      {"+5", std::nullopt},
      {"1.5", std::nullopt},
      {"soon", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.value) {
      const auto got = fjwatch::parse_retry_after(r.value, now);
      BOOST_TEST(got.has_value() == r.expected.has_value());
      if (got && r.expected) BOOST_TEST(got->count() == r.expected->count());
    }
  }
}

BOOST_AUTO_TEST_CASE(header_integers) {
  struct row {
    std::string value;
    std::optional<std::int64_t> expected;
  };
  const std::vector<row> rows{
      {"0", 0},
      {"42", 42},
      {" 42\t", 42},
      {"9223372036854775807", 9223372036854775807},
      {"9223372036854775808", std::nullopt},
      {"-1", std::nullopt},
      {"4x", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.value) { BOOST_TEST((fjwatch::parse_header_int(r.value) == r.expected)); }
  }
}

BOOST_AUTO_TEST_CASE(classify_every_status_class) {
  using kind = poll_outcome::kind;
  const auto now = utc(2024, 6, 1);
  const std::string good =
      wrap_session(R"("profileMatchingStatus":"done","totalProfilesMatched":7)");
  struct row {
    int status;
    std::string body;
    kind expected;
    std::string reason;
  };
  const std::vector<row> rows{
      {200, good, kind::ok, ""},
      {200, "{", kind::bad_response, "not JSON"},
      {200, R"({"data":{}})", kind::bad_response, "no data.session"},
      {304, "", kind::not_modified, ""},
      {401, R"({"message":"invalid key"})", kind::unauthorized, "HTTP 401"},
      {404, "", kind::not_found, "HTTP 404"},
      {429, "", kind::rate_limited, "HTTP 429"},
      {500, "", kind::server_error, "HTTP 500"},
      {503, good, kind::server_error, "HTTP 503"},
      {599, "", kind::server_error, "HTTP 599"},
      {301, "", kind::bad_response, "redirect to https://evil.example/x not followed"},
      {307, "", kind::bad_response, "redirect to https://evil.example/x not followed"},
      {204, "", kind::bad_response, "unexpected HTTP 204"},
      {100, "", kind::bad_response, "unexpected HTTP 100"},
      {400, "", kind::bad_response, "unexpected HTTP 400"},
      {403, "", kind::bad_response, "unexpected HTTP 403"},
      {600, "", kind::bad_response, "unexpected HTTP 600"},
  };
  fjwatch::response_headers headers;
  headers.etag = "\"v1\"";
  headers.request_id = "req-1";
  headers.location = "https://evil.example/x";
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("HTTP " << r.status << " body " << r.body) {
      const auto out = fjwatch::classify_response(r.status, headers, r.body, now);
      BOOST_TEST(fjwatch::to_string(out.what) == fjwatch::to_string(r.expected));
      BOOST_TEST(out.reason == r.reason);
      BOOST_TEST(out.http_status == r.status);
      BOOST_TEST(out.request_id == "req-1");
      BOOST_TEST(out.session.has_value() == (r.expected == kind::ok));
      const bool keeps_etag = r.expected == kind::ok || r.expected == kind::not_modified;
      BOOST_TEST(out.etag == (keeps_etag ? "\"v1\"" : ""));
      BOOST_TEST(!out.retry_after.has_value());
      BOOST_TEST(out.latency.count() == 0);
    }
  }
  const auto ok = fjwatch::classify_response(200, headers, good, now);
  BOOST_TEST_REQUIRE(ok.session.has_value());
  BOOST_TEST(ok.session->matched == 7);
}

BOOST_AUTO_TEST_CASE(an_answer_for_another_session_is_refused) {
  fjwatch::response_headers headers;
  headers.etag = "\"v1\"";
  const auto answer = [&] {
    return fjwatch::classify_response(200, headers, documented_body, sys_clock::now());
  };
  auto same = answer();
  fjwatch::check_answer_is_for(same, "69f45196c8bbf1ce65b5bcd6");
  BOOST_TEST((same.what == poll_outcome::kind::ok));
  BOOST_TEST(same.session.has_value());

  auto other = answer();
  fjwatch::check_answer_is_for(other, "69f45196c8bbf1ce65b5bcd7");
  BOOST_TEST((other.what == poll_outcome::kind::bad_response));
  BOOST_TEST(other.reason == "answer for another session (69f45196c8bbf1ce65b5bcd6)");
  BOOST_TEST(!other.session.has_value());
  BOOST_TEST(other.etag.empty());  // never sent back as this session's If-None-Match

  // The same id in capitals is the same session.
  std::string upper(documented_body);
  upper.replace(upper.find("69f45196c8bbf1ce65b5bcd6"), 24, "69F45196C8BBF1CE65B5BCD6");
  auto shouting = fjwatch::classify_response(200, headers, upper, sys_clock::now());
  fjwatch::check_answer_is_for(shouting, "69f45196c8bbf1ce65b5bcd6");
  BOOST_TEST((shouting.what == poll_outcome::kind::ok));
  // An answer that names no session proves nothing: it is refused before the comparison.
  for (const std::string id : {"", R"("_id":null,)"}) {
    auto anonymous = fjwatch::classify_response(
        200, headers, R"({"data":{"session":{)" + id + R"("profileMatchingStatus":"done"}}})",
        sys_clock::now());
    fjwatch::check_answer_is_for(anonymous, "69f45196c8bbf1ce65b5bcd7");
    BOOST_TEST((anonymous.what == poll_outcome::kind::bad_response));
    BOOST_TEST(anonymous.reason == "no data.session._id");
    BOOST_TEST(!anonymous.session.has_value());
    BOOST_TEST(anonymous.etag.empty());
  }
  // A 304 carries no body to check.
  auto not_modified = fjwatch::classify_response(304, headers, "", sys_clock::now());
  fjwatch::check_answer_is_for(not_modified, "69f45196c8bbf1ce65b5bcd7");
  BOOST_TEST((not_modified.what == poll_outcome::kind::not_modified));
}

BOOST_AUTO_TEST_CASE(classify_redirect_location_is_sanitized) {
  fjwatch::response_headers headers;
  const auto none = fjwatch::classify_response(302, headers, "", sys_clock::now());
  BOOST_TEST(none.reason == "redirect to (no location) not followed");
  const std::string long_location = "https://x/" + std::string(300, 'a');
  headers.location = long_location;
  const auto long_one = fjwatch::classify_response(302, headers, "", sys_clock::now());
  BOOST_TEST(long_one.reason == "redirect to " + long_location.substr(0, 200) + "... not followed");
}

BOOST_AUTO_TEST_CASE(classify_wait_hints) {
  const auto now = utc(1994, 11, 6, 8, 49, 0);
  struct row {
    std::string name;
    std::string retry_after;
    std::string remaining;
    std::string reset;
    std::optional<std::chrono::milliseconds> expected_wait;
    std::optional<std::int64_t> expected_remaining;
    std::optional<std::chrono::milliseconds> expected_reset;
  };
  const std::vector<row> rows{
      {"Retry-After seconds", "30", "", "", 30s, std::nullopt, std::nullopt},
      {"Retry-After date", "Sun, 06 Nov 1994 08:49:37 GMT", "", "", 37s, std::nullopt,
       std::nullopt},
      {"Retry-After wins over RateLimit-Reset", "30", "0", "50", 30s, 0, 50s},
      {"RateLimit-Reset when no Retry-After", "", "0", "12", 12s, 0, 12s},
      {"RateLimit-Reset when Retry-After is garbage", "later", "3", "12", 12s, 3, 12s},
      {"RateLimit-Reset capped", "", "", "999999999", 24h, std::nullopt, 24h},
      {"garbage everywhere", "x", "y", "z", std::nullopt, std::nullopt, std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      fjwatch::response_headers headers;
      headers.retry_after = r.retry_after;
      headers.ratelimit_remaining = r.remaining;
      headers.ratelimit_reset = r.reset;
      const auto out = fjwatch::classify_response(429, headers, "", now);
      BOOST_TEST((out.retry_after == r.expected_wait));
      BOOST_TEST((out.ratelimit_remaining == r.expected_remaining));
      BOOST_TEST((out.ratelimit_reset == r.expected_reset));
      // A Retry-After in neither form is kept (printable) for the one warning that says so.
      const bool readable =
          r.retry_after.empty() || r.retry_after == "30" || r.retry_after.starts_with("Sun,");
      BOOST_TEST(out.retry_after_ignored == (readable ? "" : r.retry_after));
    }
  }
  // Outside a 429, RateLimit-Reset is the window's reset, not a wait: a 503 or a 200 must not
  // hold a session back until the window turns over.
  fjwatch::response_headers headers;
  headers.ratelimit_remaining = "7";
  headers.ratelimit_reset = "55";
  for (const int status : {200, 503}) {
    BOOST_TEST_CONTEXT("status " << status) {
      const auto out = fjwatch::classify_response(status, headers, "", now);
      BOOST_TEST(!out.retry_after.has_value());
      BOOST_TEST((out.ratelimit_reset == std::optional<std::chrono::milliseconds>(55s)));
    }
  }
}

BOOST_AUTO_TEST_CASE(text_that_is_not_utf8_never_hides_the_status) {
  const std::string fffd = "\xef\xbf\xbd";
  struct row {
    std::string name;
    std::string title_json;  // as sent, between the quotes
    std::string title;       // as read
  };
  const std::vector<row> rows{
      {"a stray byte", "Pune \xff .NET", "Pune " + fffd + " .NET"},
      {"a truncated emoji", "rocket \xf0\x9f\x9a", "rocket " + fffd},
      {"latin-1", "caf\xe9", "caf" + fffd},
      {"a lone surrogate escape", R"(cut \ud83d)", "cut " + fffd},
      {"a reversed pair", R"(\ude80\ud83d)", fffd + fffd},
      {"a good pair", R"(\ud83d\ude80)", "\xf0\x9f\x9a\x80"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto parsed = fjwatch::parse_session_body(wrap_session(
          R"("profileMatchingStatus":"done","totalProfilesMatched":5,"sessionTitle":")" +
          r.title_json + "\""));
      BOOST_TEST_REQUIRE(parsed.has_value());
      BOOST_TEST(fjwatch::to_string(parsed->status) == "done");
      BOOST_TEST(parsed->matched == 5);
      BOOST_TEST(parsed->title == r.title);
      BOOST_TEST(parsed->raw.at("sessionTitle").as_string() == r.title);
    }
  }
  // Repair is for text only: a body that is broken JSON stays "not JSON".
  const auto broken = fjwatch::parse_session_body("{\"data\":\xff}");
  BOOST_TEST_REQUIRE(broken.has_error());
  BOOST_TEST(broken.error().what == "not JSON");
}
