#pragma once
// A checker of the Prometheus text exposition format (0.0.4), written apart from fjwatch's
// renderer so that the two can disagree: the tests run /metrics through it whether or not
// promtool is installed; and promtool itself where it is. Header-only.
#include <boost/test/unit_test.hpp>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::testing {

namespace metrics_format_detail {

inline bool metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

inline bool label_name(std::string_view n) {
  return metric_name(n) && n.find(':') == std::string_view::npos;
}

inline std::optional<double> number(std::string_view t) {
  if (t == "+Inf") return HUGE_VAL;
  if (t == "-Inf") return -HUGE_VAL;
  if (t == "NaN") return NAN;
  if (t.empty()) return std::nullopt;
  const std::string s(t);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || s.find_first_of("iInN") != std::string::npos)
    return std::nullopt;
  return v;
}

// One parsed sample line.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string label_text;  // as written, for duplicate detection
  double value = 0;
};

// Parses `name{a="b",c="d"} value`; an error message on failure.
inline std::optional<std::string> parse_sample(std::string_view line, sample& out) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out.name = std::string(line.substr(0, i));
  if (!metric_name(out.name)) return "bad metric name \"" + out.name + "\"";
  if (i < line.size() && line[i] == '{') {
    const std::size_t open = i++;
    while (i < line.size() && line[i] != '}') {
      const std::size_t eq = line.find('=', i);
      if (eq == std::string_view::npos) return "label without =";
      const std::string name(line.substr(i, eq - i));
      if (!label_name(name)) return "bad label name \"" + name + "\"";
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value not quoted";
      std::string value;
      std::size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\n') return "raw newline in a label value";
        if (line[j] != '\\') {
          value += line[j];
          continue;
        }
        if (++j >= line.size()) return "dangling escape";
        if (line[j] == 'n')
          value += '\n';
        else if (line[j] == '\\' || line[j] == '"')
          value += line[j];
        else
          return std::string("bad escape \\") + line[j];
      }
      if (j >= line.size()) return "unterminated label value";
      if (!out.labels.emplace(name, value).second) return "label " + name + " twice";
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    out.label_text = std::string(line.substr(open, i + 1 - open));
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') return "no value";
  const auto rest = line.substr(i + 1);
  const auto value = number(rest.substr(0, rest.find(' ')));
  if (!value) return "bad value \"" + std::string(rest) + "\"";
  out.value = *value;
  return std::nullopt;
}

}  // namespace metrics_format_detail

// Every problem found in `text`, as "line N: what"; empty when it is well-formed. Checks: HELP
// and TYPE lines (once per family, TYPE before the samples, known types), sample syntax and
// escapes, every sample belonging to the family just declared, counters ending in _total,
// duplicate series, and histograms (le on every bucket, ascending and cumulative, +Inf equal
// to _count, _sum present).
inline std::vector<std::string> check_exposition(std::string_view text) {
  namespace d = metrics_format_detail;
  std::vector<std::string> problems;
  if (!text.empty() && text.back() != '\n')
    problems.push_back("the text does not end in a newline");
  std::map<std::string, std::string> types;
  std::set<std::string> helped, seen_series, finished;
  std::string current;  // the family whose samples may follow
  struct hist_state {
    double last_le = -HUGE_VAL;
    double last_count = 0;
    std::optional<double> inf, count;
    bool sum = false;
  };
  std::map<std::string, hist_state> hists;  // family + labels without le
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const auto line =
        text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    ++n;
    auto problem = [&](const std::string& what) {
      problems.push_back("line " + std::to_string(n) + ": " + what);
    };
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const auto rest = line.substr(7);
      const std::string name(rest.substr(0, rest.find(' ')));
      const std::string arg(rest.size() > name.size() ? rest.substr(name.size() + 1) : "");
      if (!d::metric_name(name)) problem("bad metric name \"" + name + "\"");
      if (finished.contains(name)) problem("family " + name + " appears twice");
      if (current != name && !current.empty()) finished.insert(current);
      current = name;
      if (line[2] == 'H') {
        if (!helped.insert(name).second) problem("second HELP for " + name);
        for (std::size_t i = 0; i < arg.size(); ++i) {
          if (arg[i] == '\\' &&
              (i + 1 >= arg.size() || (arg[i + 1] != '\\' && arg[i + 1] != 'n'))) {
            problem("bad escape in HELP of " + name);
          }
          if (arg[i] == '\\') ++i;
        }
        continue;
      }
      if (types.contains(name)) problem("second TYPE for " + name);
      if (arg != "counter" && arg != "gauge" && arg != "histogram" && arg != "summary" &&
          arg != "untyped") {
        problem("unknown type \"" + arg + "\"");
      }
      if (arg == "counter" && !name.ends_with("_total"))
        problem("counter " + name + " lacks _total");
      types[name] = arg;
      continue;
    }
    if (line.starts_with("#")) continue;
    d::sample s;
    if (const auto err = d::parse_sample(line, s)) {
      problem(*err);
      continue;
    }
    std::string family = s.name;
    std::string part;
    if (types[current] == "histogram") {
      for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (s.name == current + suffix) {
          family = current;
          part = suffix;
        }
      }
    }
    if (family != current || !types.contains(family)) {
      problem("sample " + s.name + " outside its family's HELP/TYPE block");
      continue;
    }
    if (!seen_series.insert(s.name + s.label_text).second)
      problem("duplicate series " + s.name + s.label_text);
    if (part.empty()) continue;
    auto key_labels = s.labels;
    const auto le = key_labels.find("le");
    std::optional<double> le_value;
    if (le != key_labels.end()) {
      le_value = d::number(le->second);
      key_labels.erase(le);
    }
    std::string key = family;
    for (const auto& [k, v] : key_labels) key += "|" + k + "=" + v;
    auto& h = hists[key];
    if (part == "_bucket") {
      if (!le_value) {
        problem("bucket without a numeric le");
        continue;
      }
      if (*le_value <= h.last_le) problem("le not ascending");
      if (s.value < h.last_count) problem("buckets not cumulative");
      h.last_le = *le_value;
      h.last_count = s.value;
      if (std::isinf(*le_value)) h.inf = s.value;
    } else if (part == "_sum") {
      h.sum = true;
    } else {
      h.count = s.value;
    }
  }
  for (const auto& [key, h] : hists) {
    if (!h.inf) problems.push_back(key + ": no +Inf bucket");
    if (!h.count) problems.push_back(key + ": no _count");
    if (!h.sum) problems.push_back(key + ": no _sum");
    if (h.inf && h.count && *h.inf != *h.count) problems.push_back(key + ": +Inf bucket != _count");
  }
  return problems;
}

// The path of an executable promtool on $PATH, or "" when there is none.
inline std::string find_promtool() {
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, colon - start) + "/promtool";
    if (colon > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "";
}

// `promtool check metrics` over `text`: its exit code and everything it printed.
inline std::pair<int, std::string> promtool_check(const std::string& promtool,
                                                  std::string_view text) {
  char name[] = "/tmp/fjwatch-metrics-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) return {-1, "mkstemp failed"};
  ::close(fd);
  std::ofstream(name, std::ios::binary) << text;
  const std::string command = promtool + " check metrics < " + name + " 2>&1";
  std::string output;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) output.append(buf, n);
  const int status = ::pclose(p);
  ::unlink(name);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// A Boost.Test precondition: a test that needs promtool is reported as skipped, with the reason,
// where it is not installed (`* boost::unit_test::precondition(promtool_installed)`).
inline boost::test_tools::assertion_result promtool_installed(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(!find_promtool().empty());
  r.message() << "SKIPPED: promtool is not installed (Debian package prometheus; scripts/deps.sh)";
  return r;
}

}  // namespace fjwatch::testing
