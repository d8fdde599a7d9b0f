#include <boost/test/unit_test.hpp>

#include "fjwatch/domain/event.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/domain/event_template.hpp"
#include "fjwatch/domain/test_event.hpp"

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using fjwatch::event_type;
using fjwatch::matching_status;

constexpr std::string_view good_id = "69f45196c8bbf1ce65b5bcd6";

fjwatch::session_id id_of(std::string_view text) {
  auto id = fjwatch::session_id::parse(text);
  BOOST_TEST_REQUIRE(id.has_value(), "not an id: " << text);
  return *id;
}

fjwatch::event_facts full_facts() {
  fjwatch::event_facts f;
  f.session_id = std::string(good_id);
  f.label = "Pune .NET";
  f.status = matching_status::done;
  f.title = "Senior \"C#\" dev\n";
  f.project = "Hiring / Q3";
  f.matched = 42;
  f.total_for_matching = 1500;
  f.available = 9007199254740993;
  f.search_more_counter = 2;
  f.raw = json::parse(R"({"_id":"69f45196c8bbf1ce65b5bcd6","profileMatchingStatus":"done",
                          "batches":[{"batchKey":"b1","count":20}],"totalProfilesMatched":42})")
              .as_object();
  return f;
}

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  BOOST_TEST_REQUIRE(!ec, "not JSON: " << text);
  BOOST_TEST_REQUIRE(v.is_object());
  return std::move(v.get_object());
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

// "<ok>" or the failure's reason. Read through value(), which result.hpp documents to throw
// std::runtime_error(reason): error() needs a default-constructible failure on Boost 1.81.
std::string error_of(std::string_view tmpl) {
  const auto r = fjwatch::check_template(tmpl);
  try {
    r.value();
  } catch (const std::runtime_error& e) {
    BOOST_TEST(r.has_error());
    return e.what();
  }
  BOOST_TEST(r.has_value());
  return "<ok>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(session_id)

BOOST_AUTO_TEST_CASE(parse_table) {
  struct row {
    std::string text;
    std::optional<std::string> expected;
  };
  const std::vector<row> rows{
      {"69f45196c8bbf1ce65b5bcd6", "69f45196c8bbf1ce65b5bcd6"},
      {"69F45196C8BBF1CE65B5BCD6", "69f45196c8bbf1ce65b5bcd6"},
      {"69f45196C8bbF1ce65b5BCD6", "69f45196c8bbf1ce65b5bcd6"},
      {"000000000000000000000000", "000000000000000000000000"},
      {"abcdefABCDEF0123456789ff", "abcdefabcdef0123456789ff"},
      {"", std::nullopt},
      {"69f45196c8bbf1ce65b5bcd", std::nullopt},    // 23
      {"69f45196c8bbf1ce65b5bcd67", std::nullopt},  // 25
      {"69f45196c8bbf1ce65b5bcdg", std::nullopt},   // g
      {"69f45196c8bbf1ce65b5bcG6", std::nullopt},   // G
      {" 69f45196c8bbf1ce65b5bcd", std::nullopt},
      {"69f45196c8bbf1ce65b5bcd ", std::nullopt},
      {"69f45196c8bbf1ce/5b5bcd6", std::nullopt},
      {"69f45196c8bbf1ce..b5bcd6", std::nullopt},
      {"0x69f45196c8bbf1ce65b5bc", std::nullopt},
      {std::string("69f45196c8bbf1ce65b5bc\0"
                   "6",
                   24),
       std::nullopt},
      {"69f45196c8bbf1ce65b5bc\xc3\xa9", std::nullopt},  // 24 bytes, one non-ASCII letter
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("text [" << r.text << "] (" << r.text.size() << " bytes)") {
      const auto id = fjwatch::session_id::parse(r.text);
      BOOST_TEST(id.has_value() == r.expected.has_value());
      if (id && r.expected) {
        BOOST_TEST(id->str() == *r.expected);
        BOOST_TEST(id->view() == *r.expected);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(comparison_and_hash) {
  const auto lower = id_of("69f45196c8bbf1ce65b5bcd6");
  const auto upper = id_of("69F45196C8BBF1CE65B5BCD6");
  const auto other = id_of("69f45196c8bbf1ce65b5bcd7");
  BOOST_TEST((lower == upper));
  BOOST_TEST((lower != other));
  BOOST_TEST((lower < other));
  const std::hash<fjwatch::session_id> h;
  BOOST_TEST(h(lower) == h(upper));
  BOOST_TEST(h(lower) == std::hash<std::string_view>{}("69f45196c8bbf1ce65b5bcd6"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_and_kinds)

BOOST_AUTO_TEST_CASE(matching_status_table) {
  struct row {
    matching_status status;
    std::string text;
  };
  const std::vector<row> rows{{matching_status::processing, "processing"},
                              {matching_status::fetching_more, "fetching_more"},
                              {matching_status::done, "done"}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text) {
      BOOST_TEST(fjwatch::to_string(r.status) == r.text);
      const auto parsed = fjwatch::parse_matching_status(r.text);
      BOOST_TEST_REQUIRE(parsed.has_value());
      BOOST_TEST((*parsed == r.status));
    }
  }
  for (const std::string bad : {"", "Done", "DONE", "done ", " done", "fetching-more",
                                "fetchingMore", "pending", "complete", "processin"}) {
    BOOST_TEST_CONTEXT("bad [" << bad << "]") {
      BOOST_TEST(!fjwatch::parse_matching_status(bad).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(poll_outcome_kinds) {
  using k = fjwatch::poll_outcome::kind;
  struct row {
    k kind;
    std::string text;
    bool failed;
  };
  const std::vector<row> rows{
      {k::ok, "ok", false},
      {k::not_modified, "not_modified", false},
      {k::unauthorized, "unauthorized", true},
      {k::not_found, "not_found", true},
      {k::rate_limited, "rate_limited", true},
      {k::server_error, "server_error", true},
      {k::bad_response, "bad_response", true},
      {k::network_error, "network_error", true},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text) {
      BOOST_TEST(fjwatch::to_string(r.kind) == r.text);
      fjwatch::poll_outcome o;
      o.what = r.kind;
      BOOST_TEST(o.failed() == r.failed);
    }
  }
  BOOST_TEST(fjwatch::poll_outcome{}.failed());  // default: network_error
}

BOOST_AUTO_TEST_CASE(diagnostic_str) {
  using sev = fjwatch::diagnostic::severity;
  struct row {
    fjwatch::diagnostic d;
    std::string expected;
  };
  const std::vector<row> rows{
      {{"fjwatch.yaml", 3, 7, "unknown key \"pol\"", sev::error},
       "fjwatch.yaml:3:7: unknown key \"pol\""},
      {{"watchlist.yaml", 12, 1, "bad id", sev::warning}, "watchlist.yaml:12:1: bad id"},
      {{"fjwatch.yaml", 0, 0, "cannot read file", sev::error}, "fjwatch.yaml: cannot read file"},
      {{"fjwatch.yaml", 0, 5, "no line", sev::error}, "fjwatch.yaml: no line"},
      {{"fjwatch.yaml", 4, 0, "no column", sev::error}, "fjwatch.yaml:4: no column"},
      {{"/etc/fjwatch/fjwatch.yaml", 100, 20, "x", sev::error},
       "/etc/fjwatch/fjwatch.yaml:100:20: x"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.expected) { BOOST_TEST(r.d.str() == r.expected); }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(event_type_names) {
  struct row {
    event_type type;
    std::string text;
  };
  const std::vector<row> rows{{event_type::done, "session.done"},
                              {event_type::not_found, "session.not_found"},
                              {event_type::timeout, "session.timeout"},
                              {event_type::status_changed, "session.status_changed"},
                              {event_type::test, "fjwatch.test"}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.text) {
      BOOST_TEST(fjwatch::to_string(r.type) == r.text);
      const auto parsed = fjwatch::parse_event_type(r.text);
      BOOST_TEST_REQUIRE(parsed.has_value());
      BOOST_TEST((*parsed == r.type));
    }
  }
  for (const std::string bad : {"", "done", "session.Done", "session.done ", "session.*"}) {
    BOOST_TEST_CONTEXT("bad [" << bad << "]") {
      BOOST_TEST(!fjwatch::parse_event_type(bad).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(facts_from_snapshot) {
  fjwatch::session_snapshot s;
  s.status = matching_status::fetching_more;
  s.id = std::string(good_id);
  s.title = "Pune .NET";
  s.project = "Hiring";
  s.matched = 5;
  s.total_for_matching = 50;
  s.available = 500;
  s.search_more_counter = 1;
  s.raw["_id"] = good_id;
  const auto f = fjwatch::facts_from(id_of(good_id), "my label", s);
  BOOST_TEST(f.session_id == good_id);
  BOOST_TEST(f.label == "my label");
  BOOST_TEST_REQUIRE(f.status.has_value());
  BOOST_TEST((*f.status == matching_status::fetching_more));
  BOOST_TEST(f.title == "Pune .NET");
  BOOST_TEST(f.project == "Hiring");
  BOOST_TEST(f.matched == 5);
  BOOST_TEST(f.total_for_matching == 50);
  BOOST_TEST(f.available == 500);
  BOOST_TEST(f.search_more_counter == 1);
  BOOST_TEST((f.raw == s.raw));
}

BOOST_AUTO_TEST_CASE(event_ids) {
  auto f = full_facts();
  f.search_more_counter = 3;
  struct row {
    event_type type;
    std::optional<matching_status> status;
    std::string expected;
  };
  const std::string base = "fjw_69f45196c8bbf1ce65b5bcd6";
  const std::vector<row> rows{
      {event_type::done, matching_status::done, base + "_done_3"},
      {event_type::not_found, std::nullopt, base + "_not_found"},
      {event_type::not_found, matching_status::processing, base + "_not_found"},
      {event_type::timeout, matching_status::processing, base + "_timeout_3"},
      {event_type::status_changed, matching_status::processing, base + "_status_3_processing"},
      {event_type::status_changed, matching_status::fetching_more,
       base + "_status_3_fetching_more"},
      {event_type::status_changed, matching_status::done, base + "_status_3_done"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.expected) {
      f.status = r.status;
      BOOST_TEST(fjwatch::event_id(r.type, f) == r.expected);
    }
  }
  f.search_more_counter = 0;
  f.status = matching_status::done;
  BOOST_TEST(fjwatch::event_id(event_type::done, f) == base + "_done_0");
}

BOOST_AUTO_TEST_CASE(payload_shape) {
  const auto f = full_facts();
  const auto text = fjwatch::event_payload(event_type::done, f, 1714547357307);
  const auto root = parse_object(text);
  BOOST_TEST((keys(root) == std::set<std::string>{"type", "timestamp", "data"}));
  BOOST_TEST(root.at("type").as_string() == "session.done");
  BOOST_TEST(root.at("timestamp").as_string() == "2024-05-01T07:09:17.307Z");
  const auto& data = root.at("data").as_object();
  BOOST_TEST((keys(data) == std::set<std::string>{"session_id", "label", "title", "project",
                                                  "status", "matched", "total_for_matching",
                                                  "available", "search_more_counter", "session"}));
  BOOST_TEST(data.at("session_id").as_string() == good_id);
  BOOST_TEST(data.at("label").as_string() == "Pune .NET");
  BOOST_TEST(data.at("title").as_string() == "Senior \"C#\" dev\n");
  BOOST_TEST(data.at("project").as_string() == "Hiring / Q3");
  BOOST_TEST(data.at("status").as_string() == "done");
  BOOST_TEST(data.at("matched").as_int64() == 42);
  BOOST_TEST(data.at("total_for_matching").as_int64() == 1500);
  BOOST_TEST(data.at("available").as_int64() == 9007199254740993);
  BOOST_TEST(data.at("search_more_counter").as_int64() == 2);
  BOOST_TEST((data.at("session").as_object() == f.raw));
  // The same event serializes to the same bytes every time.
  BOOST_TEST(fjwatch::event_payload(event_type::done, f, 1714547357307) == text);
}

BOOST_AUTO_TEST_CASE(payload_nulls_for_unknown_values) {
  fjwatch::event_facts f;
  f.session_id = std::string(good_id);
  const auto root = parse_object(fjwatch::event_payload(event_type::not_found, f, 0));
  BOOST_TEST(root.at("type").as_string() == "session.not_found");
  BOOST_TEST(root.at("timestamp").as_string() == "1970-01-01T00:00:00.000Z");
  const auto& data = root.at("data").as_object();
  BOOST_TEST(data.size() == 10u);
  BOOST_TEST(data.at("session_id").as_string() == good_id);
  BOOST_TEST(data.at("label").is_null());
  BOOST_TEST(data.at("status").is_null());
  BOOST_TEST(data.at("session").is_null());
  BOOST_TEST(data.at("title").as_string() == "");
  BOOST_TEST(data.at("project").as_string() == "");
  BOOST_TEST(data.at("matched").as_int64() == 0);
  BOOST_TEST(data.at("total_for_matching").as_int64() == 0);
  BOOST_TEST(data.at("available").as_int64() == 0);
  BOOST_TEST(data.at("search_more_counter").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(payload_types_and_timestamps) {
  struct row {
    event_type type;
    std::int64_t unix_ms;
    std::string type_text, timestamp;
  };
  const std::vector<row> rows{
      {event_type::done, 0, "session.done", "1970-01-01T00:00:00.000Z"},
      {event_type::timeout, 1700000000123, "session.timeout", "2023-11-14T22:13:20.123Z"},
      {event_type::status_changed, 951782400999, "session.status_changed",
       "2000-02-29T00:00:00.999Z"},
      {event_type::not_found, 4102444799999, "session.not_found", "2099-12-31T23:59:59.999Z"},
      {event_type::done, 1714547357000, "session.done", "2024-05-01T07:09:17.000Z"},
      {event_type::test, 1714547357000, "fjwatch.test", "2024-05-01T07:09:17.000Z"},
  };
  const auto f = full_facts();
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.type_text << " at " << r.unix_ms) {
      const auto root = parse_object(fjwatch::event_payload(r.type, f, r.unix_ms));
      BOOST_TEST(root.at("type").as_string() == r.type_text);
      BOOST_TEST(root.at("timestamp").as_string() == r.timestamp);
    }
  }
}

// test-action's event: the fake session is a well-formed id, and the payload has the shape of a
// real event's with a raw session object the API's parser would read.
BOOST_AUTO_TEST_CASE(test_event_has_the_real_shape) {
  const auto f = fjwatch::test_event_facts();
  BOOST_TEST(fjwatch::session_id::parse(f.session_id).has_value());
  const auto root = parse_object(fjwatch::event_payload(event_type::test, f, 1714547357307));
  BOOST_TEST((keys(root) == std::set<std::string>{"type", "timestamp", "data"}));
  BOOST_TEST(root.at("type").as_string() == "fjwatch.test");
  const auto& data = root.at("data").as_object();
  BOOST_TEST((keys(data) == std::set<std::string>{"session_id", "label", "title", "project",
                                                  "status", "matched", "total_for_matching",
                                                  "available", "search_more_counter", "session"}));
  BOOST_TEST(data.at("session_id").as_string() == "000000000000000000000000");
  BOOST_TEST(data.at("label").as_string() == "fjwatch test-action");
  BOOST_TEST(data.at("title").as_string() == "fjwatch test event");
  BOOST_TEST(data.at("status").as_string() == "done");
  BOOST_TEST(data.at("matched").as_int64() == 3);
  const auto& session = data.at("session").as_object();
  BOOST_TEST(session.at("_id").as_string() == "000000000000000000000000");
  BOOST_TEST(session.at("profileMatchingStatus").as_string() == "done");
  BOOST_TEST(session.at("sessionTitle").as_string() == "fjwatch test event");
  BOOST_TEST(session.at("totalProfilesMatched").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(test_event_ids_are_marked_and_differ_by_time_and_nonce) {
  BOOST_TEST(fjwatch::test_event_id(1714547357307, 0xabcdef) ==
             "fjw_test_1714547357307_0000000000abcdef");
  BOOST_TEST(fjwatch::test_event_id(1714547357307, ~0ULL) ==
             "fjw_test_1714547357307_ffffffffffffffff");
  BOOST_TEST(fjwatch::test_event_id(1714547357307, 1) != fjwatch::test_event_id(1714547357307, 2));
  BOOST_TEST(fjwatch::test_event_id(1, 1) != fjwatch::test_event_id(2, 1));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(templates)

BOOST_AUTO_TEST_CASE(check_template_table) {
  struct row {
    std::string tmpl;
    std::string expected;  // "<ok>" or the exact error
  };
  const std::vector<row> rows{
      {"", "<ok>"},
      {"plain text", "<ok>"},
      {"{title} ({session_id}) is ready: {matched} profiles", "<ok>"},
      {"{event} {event_id} {session_id} {label} {title} {project} {status} {matched} "
       "{total_for_matching} {available} {search_more_counter}",
       "<ok>"},
      {"{{title}}", "<ok>"},
      {"{{{title}}}", "<ok>"},
      {"{{", "<ok>"},
      {"}}", "<ok>"},
      {"a {{ b }} c", "<ok>"},
      {"{matched}{available}", "<ok>"},
      {"{nope}", "unknown placeholder {nope}"},
      {"{title} {Title}", "unknown placeholder {Title}"},
      {"{ title }", "unknown placeholder { title }"},
      {"{}", "unknown placeholder {}"},
      {"{session}", "unknown placeholder {session}"},
      {"{a} {b}", "unknown placeholder {a}"},
      {"{", "unmatched '{' at offset 0"},
      {"}", "unmatched '}' at offset 0"},
      {"abc {title", "unmatched '{' at offset 4"},
      {"abc } def", "unmatched '}' at offset 4"},
      {"{title}}", "unmatched '}' at offset 7"},
      {"{{title}", "unmatched '}' at offset 7"},
      {"{title {matched}", "unmatched '{' at offset 0"},
      {"{{{", "unmatched '{' at offset 2"},
      {"x}}}", "unmatched '}' at offset 3"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("template [" << r.tmpl << "]") {
      BOOST_TEST(error_of(r.tmpl) == r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(render_every_placeholder) {
  const auto f = full_facts();
  const std::string id = fjwatch::event_id(event_type::done, f);
  struct row {
    std::string tmpl;
    std::string expected;
  };
  const std::vector<row> rows{
      {"{event}", "session.done"},
      {"{event_id}", "fjw_69f45196c8bbf1ce65b5bcd6_done_2"},
      {"{session_id}", "69f45196c8bbf1ce65b5bcd6"},
      {"{label}", "Pune .NET"},
      {"{title}", "Senior \"C#\" dev\n"},
      {"{project}", "Hiring / Q3"},
      {"{status}", "done"},
      {"{matched}", "42"},
      {"{total_for_matching}", "1500"},
      {"{available}", "9007199254740993"},
      {"{search_more_counter}", "2"},
      {"{title} ({session_id}) is ready: {matched} profiles",
       "Senior \"C#\" dev\n (69f45196c8bbf1ce65b5bcd6) is ready: 42 profiles"},
      {"{{title}} {{{matched}}}", "{title} {42}"},
      {"}}{{", "}{"},
      {"{matched}{available}", "429007199254740993"},
      {"no placeholders", "no placeholders"},
      {"", ""},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("template [" << r.tmpl << "]") {
      BOOST_TEST_REQUIRE(error_of(r.tmpl) == "<ok>");
      BOOST_TEST(fjwatch::render_template(r.tmpl, event_type::done, id, f) == r.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(render_nulls_as_empty) {
  fjwatch::event_facts f;
  f.session_id = std::string(good_id);
  BOOST_TEST(fjwatch::render_template("[{label}|{status}|{title}|{matched}|{event}]",
                                      event_type::timeout, "the-id",
                                      f) == "[|||0|session.timeout]");
}

BOOST_AUTO_TEST_SUITE_END()
