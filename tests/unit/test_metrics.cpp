#include <boost/test/unit_test.hpp>

#include "fjwatch/status/metrics.hpp"
#include "support/metrics_format.hpp"

#include <cmath>
#include <limits>

using fjwatch::histogram;
using fjwatch::metric_registry;
using fjwatch::metric_type;
namespace ft = fjwatch::testing;

BOOST_AUTO_TEST_CASE(values_are_written_as_the_format_wants) {
  const std::vector<std::pair<double, std::string>> rows{
      {0, "0"},
      {1, "1"},
      {42, "42"},
      {0.25, "0.25"},
      {1e21, "1e+21"},
      {-3.5, "-3.5"},
      {9007199254740993.0, "9007199254740992"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"}};
  for (const auto& [v, text] : rows) {
    BOOST_TEST_CONTEXT("value " << text) { BOOST_TEST(fjwatch::format_metric_value(v) == text); }
  }
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_inclusive_upper_bounds) {
  histogram h({0.1, 1, 10});
  for (const double v : {0.05, 0.1, 0.5, 1.0, 20.0, 20.0}) h.observe(v);
  const std::vector<std::uint64_t> expected{2, 2, 0, 2};  // le 0.1, le 1, le 10, +Inf
  BOOST_TEST(
      std::vector<std::uint64_t>(h.bucket_counts().begin(), h.bucket_counts().end()) == expected,
      boost::test_tools::per_element());
  BOOST_TEST(h.count() == 6u);
  BOOST_TEST(h.sum() == 41.65, boost::test_tools::tolerance(1e-9));
  BOOST_CHECK_THROW(histogram({1, 1}), std::invalid_argument);
  BOOST_CHECK_THROW(histogram({2, 1}), std::invalid_argument);
  BOOST_CHECK_THROW(histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(render_writes_help_type_and_samples_in_order) {
  metric_registry r;
  r.add("x_requests_total", metric_type::counter, "Requests.")
      .sample({{"code", "200"}}, 3)
      .sample({{"code", "500"}}, 0);
  r.add("x_up", metric_type::gauge, "Up.").sample({}, 1);
  const std::string expected =
      "# HELP x_requests_total Requests.\n"
      "# TYPE x_requests_total counter\n"
      "x_requests_total{code=\"200\"} 3\n"
      "x_requests_total{code=\"500\"} 0\n"
      "# HELP x_up Up.\n"
      "# TYPE x_up gauge\n"
      "x_up 1\n";
  BOOST_TEST(r.render() == expected);
  BOOST_TEST(ft::check_exposition(r.render()).empty());
  BOOST_TEST(metric_registry().render() == "");
}

BOOST_AUTO_TEST_CASE(help_and_label_values_are_escaped) {
  metric_registry r;
  r.add("x_info", metric_type::gauge, "A \\ backslash\nand a newline.")
      .sample({{"v", "a\"b\\c\nd"}, {"w", "plain"}}, 1);
  const std::string expected =
      "# HELP x_info A \\\\ backslash\\nand a newline.\n"
      "# TYPE x_info gauge\n"
      "x_info{v=\"a\\\"b\\\\c\\nd\",w=\"plain\"} 1\n";
  BOOST_TEST(r.render() == expected);
  const auto problems = ft::check_exposition(r.render());
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
}

BOOST_AUTO_TEST_CASE(histogram_renders_cumulative_buckets_sum_and_count) {
  histogram h({0.5, 1});
  for (const double v : {0.25, 0.75, 0.75, 3.0}) h.observe(v);
  metric_registry r;
  r.add("x_latency_seconds", metric_type::histogram, "Latency.").sample({{"path", "/a"}}, h);
  const std::string expected =
      "# HELP x_latency_seconds Latency.\n"
      "# TYPE x_latency_seconds histogram\n"
      "x_latency_seconds_bucket{path=\"/a\",le=\"0.5\"} 1\n"
      "x_latency_seconds_bucket{path=\"/a\",le=\"1\"} 3\n"
      "x_latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
      "x_latency_seconds_sum{path=\"/a\"} 4.75\n"
      "x_latency_seconds_count{path=\"/a\"} 4\n";
  BOOST_TEST(r.render() == expected);
  BOOST_TEST(ft::check_exposition(r.render()).empty());
}

BOOST_AUTO_TEST_CASE(broken_declarations_are_refused) {
  metric_registry r;
  BOOST_CHECK_THROW(r.add("requests", metric_type::counter, "no _total"), std::logic_error);
  BOOST_CHECK_THROW(r.add("x_total", metric_type::gauge, "a gauge named like a counter"),
                    std::logic_error);
  BOOST_CHECK_THROW(r.add("9x", metric_type::gauge, "bad name"), std::logic_error);
  BOOST_CHECK_THROW(r.add("x-y", metric_type::gauge, "bad name"), std::logic_error);
  auto& g = r.add("x", metric_type::gauge, "ok");
  BOOST_CHECK_THROW(r.add("x", metric_type::gauge, "twice"), std::logic_error);
  BOOST_CHECK_THROW(g.sample({{"__reserved", "v"}}, 1), std::logic_error);
  BOOST_CHECK_THROW(g.sample({{"a:b", "v"}}, 1), std::logic_error);
  BOOST_CHECK_THROW(g.sample({}, histogram({1})), std::logic_error);
  auto& h = r.add("x_seconds", metric_type::histogram, "ok");
  BOOST_CHECK_THROW(h.sample({}, 1.0), std::logic_error);
  BOOST_CHECK_THROW(h.sample({{"le", "1"}}, histogram({1})), std::logic_error);
}

// The checker itself must catch what it is there to catch, or the tests that lean on it prove
// nothing.
BOOST_AUTO_TEST_CASE(the_format_checker_finds_broken_text) {
  const std::vector<std::pair<std::string, std::string>> rows{
      {"x 1", "the text does not end in a newline"},
      {"x 1\n", "line 1: sample x outside its family's HELP/TYPE block"},
      {"# TYPE x_total counter\nx_total{a=\"b} 1\n", "line 2: unterminated label value"},
      {"# TYPE x gauge\nx{a=\"\\t\"} 1\n", "line 2: bad escape \\t"},
      {"# TYPE x gauge\nx one\n", "line 2: bad value \"one\""},
      {"# TYPE x counter\nx 1\n", "line 1: counter x lacks _total"},
      {"# TYPE x gauge\nx 1\nx 2\n", "line 3: duplicate series x"},
      {"# TYPE x gauge\n# TYPE y gauge\nx 1\n",
       "line 3: sample x outside its family's HELP/TYPE block"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "line 3: buckets not cumulative"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "h: no +Inf bucket"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
       "h: +Inf bucket != _count"},
  };
  for (const auto& [text, problem] : rows) {
    BOOST_TEST_CONTEXT("text " << text) {
      const auto found = ft::check_exposition(text);
      BOOST_TEST_REQUIRE(!found.empty());
      BOOST_TEST(found.front() == problem);
    }
  }
}
