#include "fjwatch/status/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace fjwatch {

namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view n) {
  if (n.empty() || !(name_start(n[0]) || n[0] == ':')) return false;
  return std::ranges::all_of(n, [](char c) { return name_char(c) || c == ':'; });
}

// [a-zA-Z_][a-zA-Z0-9_]*, not reserved ("__" prefix).
void check_label_names(const metric_labels& labels, std::string_view family) {
  for (const auto& [name, value] : labels) {
    const bool ok = !name.empty() && name_start(name[0]) && !name.starts_with("__") &&
                    std::ranges::all_of(name, name_char);
    if (!ok)
      throw std::logic_error("metric " + std::string(family) + ": bad label name \"" + name + "\"");
  }
}

// Help text: backslash and newline escaped.
std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// A label value: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",b="2"} with `extra` (e.g. le) last; "" when there are no labels at all.
std::string label_text(const metric_labels& labels, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!extra_name.empty()) {
    if (out.size() > 1) out += ',';
    out += std::string(extra_name) + "=\"" + escape_label_value(extra_value) + "\"";
  }
  return out + "}";
}

std::string_view type_name(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

histogram::histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly ascending");
    }
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void histogram::observe(double value) {
  const auto it = std::ranges::lower_bound(bounds_, value);  // first bound >= value
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc{} ? std::string(buf.data(), end) : "NaN";
}

metric_registry::family& metric_registry::family::sample(metric_labels labels, double value) {
  if (type_ == metric_type::histogram) {
    throw std::logic_error("metric " + name_ + ": a histogram takes histogram samples");
  }
  check_label_names(labels, name_);
  series_.push_back(series{.labels = std::move(labels), .value = value});
  return *this;
}

metric_registry::family& metric_registry::family::sample(metric_labels labels, const histogram& h) {
  if (type_ != metric_type::histogram) {
    throw std::logic_error("metric " + name_ + ": only a histogram takes histogram samples");
  }
  check_label_names(labels, name_);
  if (std::ranges::any_of(labels, [](const auto& l) { return l.first == "le"; })) {
    throw std::logic_error("metric " + name_ + ": \"le\" is reserved for buckets");
  }
  series s{.labels = std::move(labels),
           .bounds = {h.bounds().begin(), h.bounds().end()},
           .sum = h.sum()};
  std::uint64_t running = 0;
  for (const auto c : h.bucket_counts()) s.cumulative.push_back(running += c);
  series_.push_back(std::move(s));
  return *this;
}

metric_registry::family& metric_registry::add(std::string name, metric_type type,
                                              std::string help) {
  if (!valid_metric_name(name)) throw std::logic_error("bad metric name \"" + name + "\"");
  if (std::ranges::any_of(families_, [&](const family& f) { return f.name_ == name; })) {
    throw std::logic_error("metric " + name + " declared twice");
  }
  if ((type == metric_type::counter) != name.ends_with("_total")) {
    throw std::logic_error("metric " + name + ": counters, and only counters, end in _total");
  }
  family& f = families_.emplace_back();
  f.name_ = std::move(name);
  f.help_ = std::move(help);
  f.type_ = type;
  return f;
}

std::string metric_registry::render() const {
  std::string out;
  for (const family& f : families_) {
    out += "# HELP " + f.name_ + " " + escape_help(f.help_) + "\n";
    out += "# TYPE " + f.name_ + " " + std::string(type_name(f.type_)) + "\n";
    for (const auto& s : f.series_) {
      if (f.type_ != metric_type::histogram) {
        out += f.name_ + label_text(s.labels) + " " + format_metric_value(s.value) + "\n";
        continue;
      }
      for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        const auto le = i < s.bounds.size() ? format_metric_value(s.bounds[i]) : "+Inf";
        out += f.name_ + "_bucket" + label_text(s.labels, "le", le) + " " +
               std::to_string(s.cumulative[i]) + "\n";
      }
      out += f.name_ + "_sum" + label_text(s.labels) + " " + format_metric_value(s.sum) + "\n";
      out += f.name_ + "_count" + label_text(s.labels) + " " + std::to_string(s.cumulative.back()) +
             "\n";
    }
  }
  return out;
}

}  // namespace fjwatch
