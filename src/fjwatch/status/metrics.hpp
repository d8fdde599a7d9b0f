#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4): a histogram that the code
// observing something keeps as a plain value, and a registry that is filled at scrape time from
// such values and plain counters, then rendered. No I/O, no locks: one thread fills and renders.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fjwatch {

// Counts of observations per bucket, their sum and count. Buckets are upper bounds, inclusive,
// ascending; an implicit +Inf bucket takes the rest.
class histogram {
 public:
  // Throws std::invalid_argument when `upper_bounds` is not strictly ascending and finite.
  explicit histogram(std::vector<double> upper_bounds);

  void observe(double value);

  std::span<const double> bounds() const { return bounds_; }
  // One count per bound plus the +Inf bucket; not cumulative.
  std::span<const std::uint64_t> bucket_counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

enum class metric_type { counter, gauge, histogram };

// name="value" pairs of one sample, in the order given.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

// The metric families of one scrape, rendered in the order they were added.
class metric_registry {
 public:
  class family {
   public:
    // Adds one sample. Throws std::logic_error for a histogram family (use the other overload) or
    // a label name that is not [a-zA-Z_][a-zA-Z0-9_]* or starts with "__".
    family& sample(metric_labels labels, double value);
    // Adds one histogram series. Throws std::logic_error unless this is a histogram family, or
    // for a bad label name or a label named "le".
    family& sample(metric_labels labels, const histogram& h);

   private:
    friend class metric_registry;
    struct series {
      metric_labels labels;
      double value = 0;
      std::vector<double> bounds;
      std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
      double sum = 0;
    };
    std::string name_;
    std::string help_;
    metric_type type_ = metric_type::gauge;
    std::vector<series> series_;
  };

  // Declares a family. Throws std::logic_error when `name` is not [a-zA-Z_:][a-zA-Z0-9_:]*, is
  // already declared, a counter's name does not end in "_total", or another type's does.
  family& add(std::string name, metric_type type, std::string help);

  // The exposition text: per family "# HELP", "# TYPE", then its samples ("name{a="b"} 1");
  // histograms as _bucket (cumulative, le ascending, +Inf last), _sum and _count. Help text has
  // \ and newline escaped, label values \, " and newline. Ends with a newline (empty: "").
  std::string render() const;

 private:
  std::deque<family> families_;  // stable references; few, so add() searches linearly
};

// A number as the exposition format writes it: the shortest round-trip decimal ("1", "0.25",
// "1e+21"), or "+Inf", "-Inf", "NaN".
std::string format_metric_value(double v);

}  // namespace fjwatch
