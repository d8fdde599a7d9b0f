#include <boost/test/unit_test.hpp>

#include "sim/model.hpp"
#include "sim/sim.hpp"
#include "support/sim_client.hpp"

#include <boost/json/parse.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;
namespace sim = fjwatch::sim;
using namespace fjwatch::sim::testing;
using namespace std::chrono_literals;
using fjwatch::matching_status;

namespace {

const std::string id_a = "69f45196c8bbf1ce65b5bcd6";
const std::string id_b = "69f45196c8bbf1ce65b5bcd7";

// The "Examples" response of the FJ API documentation's Get Session Details page, verbatim.
constexpr const char* documented_example = R"json({
  "statusCode": 200,
  "data": { "session": {
    "_id": "69f45196c8bbf1ce65b5bcd6", "sessionTitle": ".NET Developer", "medium": "MANUAL",
    "jdDetail": { "userText": "Job Title: .NET Developer, Experience: 1-5 years, Location: Pune",
                  "sampleProfileURL": "" },
    "queries": {
      "country_region": { "type": "(.)", "value": ["India"] },
      "current_employers.title": { "type": "IN", "value": [".NET Developer"] },
      "years_of_experience_raw": { "type": "RANGE", "value": [1, 5] },
      "region": { "type": "IN", "value": ["Pune, Maharashtra, India"] },
      "skills": { "type": "IN", "value": { "mandatory": ["C#"], "core": ["ASP.NET MVC"], "secondary": [] } }
    },
    "nuances": [], "mustHaves": "",
    "createdBy": { "_id": "68b6a343b878a5da9a172b65", "name": "Sachin Dhayatadak",
      "email": "sachin@futurejobs.ai",
      "avatar": { "id": "user/68b6a343b878a5da9a172b65/avatar_1777107886005.jpg" },
      "role": "owner", "status": "active", "lastActiveAt": "2026-04-30T06:09:34.240Z" },
    "workspaceId": "69f0dd1da08d760844569ba4", "projectId": "69f0dd1da08d760844569bb1",
    "next_cursor": "H4sIAJhR9GkC", "searchMoreCounter": 0, "filterChangesCounter": 0,
    "lastCandidatesFetchedAt": "2026-05-01T07:09:17.307Z", "profileMatchingStatus": "done",
    "totalProfilesForMatching": 25, "totalProfilesMatched": 25, "profileMatchingProvider": "gemini",
    "sessionCreditCharged": true, "forceRefreshAnalysis": false, "isFallback": false,
    "totalAvailableProfiles": 333, "metadata": {},
    "batches": [ { "batchKey": "CREATED_BATCH", "count": 25, "_id": "69f4519dc8bbf1ce65b5bcdb" } ],
    "createdAt": "2026-05-01T07:09:10.110Z", "updatedAt": "2026-05-01T07:09:42.608Z",
    "__v": 0, "projectName": "First Project" } },
  "message": "Session fetched successfully",
  "status": "SUCCESS"
})json";

// Every member of `expected` is in `actual` with the same JSON kind (integers as integers);
// arrays are compared through their first element.
void check_shape(const json::value& expected, const json::value& actual, const std::string& path) {
  BOOST_TEST_CONTEXT("at " << path) {
    if (expected.is_object()) {
      BOOST_REQUIRE(actual.is_object());
      for (const auto& [key, value] : expected.as_object()) {
        BOOST_TEST_CONTEXT("member " << key) {
          BOOST_REQUIRE(actual.as_object().contains(key));
          check_shape(value, actual.as_object().at(key), path + "." + std::string(key));
        }
      }
    } else if (expected.is_array()) {
      BOOST_REQUIRE(actual.is_array());
      if (!expected.as_array().empty()) {
        BOOST_REQUIRE(!actual.as_array().empty());
        check_shape(expected.as_array()[0], actual.as_array()[0], path + "[0]");
      }
    } else if (expected.is_int64() || expected.is_uint64()) {
      BOOST_TEST((actual.is_int64() || actual.is_uint64()));
    } else {
      BOOST_TEST(static_cast<int>(actual.kind()) == static_cast<int>(expected.kind()));
    }
  }
}

const json::object& session_of(const json::value& body) {
  return body.at("data").at("session").as_object();
}

bool is_iso_time(const json::value& v) {
  static const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  return v.is_string() && std::regex_match(std::string(v.as_string()), iso);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model)

BOOST_AUTO_TEST_CASE(evaluate_maps_time_and_polls_to_states) {
  using sim::detail::evaluate;
  using sim::detail::normalize_steps;
  const auto done_1s = normalize_steps(sim::done_after(id_a, 1000ms).steps);
  const auto cycle = normalize_steps(sim::fetch_more_cycle(id_a, 100ms, 200ms, 300ms).steps);
  const auto by_poll = normalize_steps(sim::done_at_poll(id_a, 5).steps);
  const auto late_start =
      normalize_steps({sim::step{.at = 300ms, .status = matching_status::done}});
  struct row {
    const char* name;
    const std::vector<sim::step>* steps;
    std::chrono::milliseconds elapsed;
    std::int64_t poll;
    bool hide;
    sim::detail::session_state expected;
  };
  const sim::detail::step_entry first{0, 0ms, 1};
  const row rows[] = {
      {"start", &done_1s, 0ms, 1, false, {0, matching_status::processing, 0, 25, 0}},
      {"half way", &done_1s, 500ms, 1, false, {0, matching_status::processing, 12, 25, 0}},
      {"just before", &done_1s, 999ms, 1, false, {0, matching_status::processing, 24, 25, 0}},
      {"done", &done_1s, 1000ms, 1, false, {1, matching_status::done, 25, 25, 0}},
      {"hidden progress", &done_1s, 500ms, 1, true, {0, matching_status::processing, 0, 25, 0}},
      {"fetching more", &cycle, 250ms, 9, false, {2, matching_status::fetching_more, 37, 50, 1}},
      {"done again", &cycle, 300ms, 9, false, {3, matching_status::done, 50, 50, 1}},
      {"poll 1", &by_poll, 5000ms, 1, false, {0, matching_status::processing, 0, 25, 0}},
      {"poll 3", &by_poll, 5000ms, 3, false, {0, matching_status::processing, 12, 25, 0}},
      {"poll 5", &by_poll, 0ms, 5, false, {1, matching_status::done, 25, 25, 0}},
      {"before first step",
       &late_start,
       150ms,
       1,
       false,
       {0, matching_status::processing, 12, 25, 0}},
      {"first step", &late_start, 300ms, 1, false, {1, matching_status::done, 25, 25, 0}},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto got = evaluate(*r.steps, r.elapsed, r.poll, first, r.hide);
      BOOST_TEST(got.step == r.expected.step);
      BOOST_TEST(fjwatch::to_string(got.status) == fjwatch::to_string(r.expected.status));
      BOOST_TEST(got.matched == r.expected.matched);
      BOOST_TEST(got.total == r.expected.total);
      BOOST_TEST(got.counter == r.expected.counter);
    }
  }
  BOOST_TEST(normalize_steps({}).size() == 1u);
  BOOST_TEST(late_start.size() == 2u);
}

BOOST_AUTO_TEST_CASE(iso_time_formats_utc_with_milliseconds) {
  const auto t = sim::detail::wall_clock::time_point(std::chrono::milliseconds(1777619350110));
  BOOST_TEST(sim::detail::iso_time(t) == "2026-05-01T07:09:10.110Z");
}

BOOST_AUTO_TEST_CASE(add_session_rejects_a_bad_id) {
  harness h;
  BOOST_CHECK_THROW(h.srv.add_session(sim::done_after("69F45196C8BBF1CE65B5BCD6", 0ms)),
                    std::invalid_argument);
  BOOST_CHECK_THROW(h.srv.add_session(sim::done_after("123", 0ms)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api)

BOOST_AUTO_TEST_CASE(answers_every_documented_field_per_session) {
  harness h;
  sim::session_script a = sim::done_after(id_a, 0ms);
  sim::session_script b = sim::done_after(id_b, 10s);
  b.title = "Rust Engineer";
  b.project = "Second Project";
  h.srv.add_session(a);
  h.srv.add_session(b);
  const json::value example = json::parse(documented_example);
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const std::vector<sim::session_script> scripts{a, b};
    for (const auto& script : scripts) {
      BOOST_TEST_CONTEXT(script.id) {
        const answer r = co_await c.get(session_path(script.id));
        BOOST_REQUIRE(!r.ec);
        BOOST_TEST(r.res.result_int() == 200u);
        BOOST_TEST(r.header("Content-Type") == "application/json; charset=utf-8");
        const json::value body = json::parse(r.res.body());
        check_shape(example, body, "$");
        const json::object& s = session_of(body);
        BOOST_TEST(s.at("_id").as_string() == script.id);
        BOOST_TEST(s.at("sessionTitle").as_string() == script.title);
        BOOST_TEST(s.at("projectName").as_string() == script.project);
        BOOST_TEST(s.at("totalAvailableProfiles").as_int64() == 333);
        BOOST_TEST(s.at("totalProfilesForMatching").as_int64() == 25);
        const bool done = script.id == id_a;
        BOOST_TEST(s.at("profileMatchingStatus").as_string() == (done ? "done" : "processing"));
        BOOST_TEST(s.at("totalProfilesMatched").as_int64() == (done ? 25 : 0));
        for (const char* field : {"createdAt", "updatedAt", "lastCandidatesFetchedAt"})
          BOOST_TEST(is_iso_time(s.at(field)), field);
        BOOST_TEST(body.at("message").as_string() == "Session fetched successfully");
      }
    }
    h.srv.stop();
  });
  BOOST_TEST(session_of(json::parse(documented_example)).size() == 28u);
}

BOOST_AUTO_TEST_CASE(script_over_time_runs_a_fetch_more_cycle) {
  harness h;
  h.srv.add_session(sim::fetch_more_cycle(id_a, 150ms, 300ms, 450ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    std::vector<std::string> phases;
    std::vector<std::int64_t> processing_matched;
    std::set<std::string> updated_at;
    json::value last;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      const answer r = co_await c.get(session_path(id_a));
      BOOST_REQUIRE(r.res.result_int() == 200u);
      last = json::parse(r.res.body());
      const json::object& s = session_of(last);
      const std::string phase = std::string(s.at("profileMatchingStatus").as_string()) + "/" +
                                std::to_string(s.at("searchMoreCounter").as_int64());
      if (phases.empty() || phases.back() != phase) phases.push_back(phase);
      if (phase == "processing/0")
        processing_matched.push_back(s.at("totalProfilesMatched").as_int64());
      updated_at.insert(std::string(s.at("updatedAt").as_string()));
      if (phase == "done/1") break;
      co_await h.pause(15ms);
    }
    const std::vector<std::string> expected{"processing/0", "done/0", "fetching_more/1", "done/1"};
    BOOST_TEST(phases == expected, boost::test_tools::per_element());
    BOOST_TEST(std::is_sorted(processing_matched.begin(), processing_matched.end()));
    BOOST_TEST(processing_matched.back() > processing_matched.front());
    BOOST_TEST(processing_matched.back() < 25);
    BOOST_TEST(updated_at.size() >= 4u);
    const json::array& batches = session_of(last).at("batches").as_array();
    BOOST_REQUIRE(batches.size() == 2u);
    BOOST_TEST(batches[0].at("batchKey").as_string() == "CREATED_BATCH");
    BOOST_TEST(batches[0].at("count").as_int64() == 25);
    BOOST_TEST(batches[1].at("count").as_int64() == 25);
    BOOST_TEST(session_of(last).at("totalProfilesMatched").as_int64() == 50);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(script_over_polls_moves_one_step_per_poll) {
  harness h;
  h.srv.add_session(sim::done_at_poll(id_a, 3));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const std::pair<const char*, std::int64_t> expected[] = {
        {"processing", 0}, {"processing", 12}, {"done", 25}, {"done", 25}};
    for (const auto& [status, matched] : expected) {
      const answer r = co_await c.get(session_path(id_a));
      const json::value body = json::parse(r.res.body());
      const json::object& s = session_of(body);
      BOOST_TEST(s.at("profileMatchingStatus").as_string() == status);
      BOOST_TEST(s.at("totalProfilesMatched").as_int64() == matched);
    }
    BOOST_TEST(h.srv.polls_of(id_a) == 4);
    BOOST_TEST(h.srv.polls_of(id_b) == 0);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(unauthorized_without_the_right_key) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer missing = co_await c.get(session_path(id_a), {.key = nullptr});
    const answer wrong = co_await c.get(session_path(id_a), {.key = "fjk_wrong"});
    const answer* const both[] = {&missing, &wrong};
    for (const answer* r : both) {
      BOOST_TEST(r->res.result_int() == 401u);
      const json::value body = json::parse(r->res.body());
      BOOST_TEST(body.at("statusCode").as_int64() == 401);
      BOOST_TEST(body.at("message").as_string() == "Invalid or missing API key");
    }
    h.srv.set_api_key("fjk_rotated");
    const answer got1 = co_await c.get(session_path(id_a));
    BOOST_TEST(got1.res.result_int() == 401u);
    const answer got2 = co_await c.get(session_path(id_a), {.key = "fjk_rotated"});
    BOOST_TEST(got2.res.result_int() == 200u);
    const sim::stats st = h.srv.snapshot();
    BOOST_TEST(st.requests == 4);
    BOOST_TEST(st.requests_with_key == 3);
    BOOST_TEST(st.unauthorized_401 == 3);
    BOOST_TEST(h.srv.polls_of(id_a) == 1);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(not_found_for_unknown_and_removed_sessions) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer got3 = co_await c.get(session_path(id_b));
    BOOST_TEST(got3.res.result_int() == 404u);
    const answer got4 = co_await c.get("/api/v1/wl/other");
    BOOST_TEST(got4.res.result_int() == 404u);
    const answer got5 = co_await c.get(session_path(id_a));
    BOOST_TEST(got5.res.result_int() == 200u);
    BOOST_TEST(h.srv.remove_session(id_a));
    BOOST_TEST(!h.srv.remove_session(id_a));
    const answer gone = co_await c.get(session_path(id_a));
    BOOST_TEST(gone.res.result_int() == 404u);
    BOOST_TEST(json::parse(gone.res.body()).at("message").as_string() == "Session not found");
    BOOST_TEST(h.srv.snapshot().not_found_404 == 3);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(etag_then_not_modified_until_the_state_changes) {
  harness h;
  h.srv.add_session(sim::done_at_poll(id_a, 3));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    sim::session_script fixed = sim::done_after(id_b, 0ms);
    h.srv.add_session(fixed);
    const answer first = co_await c.get(session_path(id_b));
    const std::string etag = first.header("ETag");
    BOOST_TEST(etag.size() > 2u);
    const answer again = co_await c.get(session_path(id_b), {.if_none_match = etag});
    BOOST_TEST(again.res.result_int() == 304u);
    BOOST_TEST(again.res.body().empty());
    BOOST_TEST(again.header("ETag") == etag);
    const std::string list = "\"x\", W/" + etag;
    const answer got6 = co_await c.get(session_path(id_b), {.if_none_match = list});
    BOOST_TEST(got6.res.result_int() == 304u);
    const answer got7 = co_await c.get(session_path(id_b), {.if_none_match = "\"other\""});
    BOOST_TEST(got7.res.result_int() == 200u);
    // poll-scripted session: each poll changes the state, so the old ETag no longer matches
    const answer p1 = co_await c.get(session_path(id_a));
    const std::string p1_etag = p1.header("ETag");
    const answer p2 = co_await c.get(session_path(id_a), {.if_none_match = p1_etag});
    BOOST_TEST(p2.res.result_int() == 200u);
    BOOST_TEST(p2.header("ETag") != p1.header("ETag"));
    h.srv.add_session(fixed);  // re-added: a new life, a new ETag
    const answer got8 = co_await c.get(session_path(id_b), {.if_none_match = etag});
    BOOST_TEST(got8.res.result_int() == 200u);
    BOOST_TEST(h.srv.snapshot().not_modified_304 == 2);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_SUITE_END()
