#include "fjwatch/config/detail/config_reader.hpp"

#include "fjwatch/util/text.hpp"
#include "fjwatch/http/proxy.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

namespace fjwatch {
using namespace std::chrono_literals;
namespace {

constexpr std::size_t max_quoted = 80;

// The value as written, quoted and escaped for display (a NUL as \\0), long values cut. A value
// that looks like an API key or a webhook secret (pasted in the wrong place) shows only its prefix.
std::string quote_value(std::string_view text) {
  for (const std::string_view prefix : {"fjk_", "whsec_"}) {
    if (text.starts_with(prefix)) return "\"" + std::string(prefix) + "...\"";
  }
  return quoted(text, max_quoted);
}

std::string got(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return quote_value(n.Scalar());
  return "nothing";
}

std::string prefixed(const std::string& path, std::string_view message) {
  return path.empty() ? std::string(message) : path + ": " + std::string(message);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean "k"?)" for the closest known key within two edits, else "".
std::string suggestion(std::string_view key, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (const auto k : known) {
    if (key.size() > 64) break;
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best.empty() ? "" : " (did you mean \"" + std::string(best) + "\"?)";
}

void set_position(config_entry& e, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return;
  e.line = mark.line + 1;
  e.column = mark.column + 1;
}

}  // namespace

config_reader::config_reader(std::string file, std::filesystem::path base_dir)
    : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

void config_reader::report(const config_entry& at, std::string_view message) {
  report_at(at.line, at.column, prefixed(at.path, message));
}

void config_reader::report_at(int line, int column, std::string message) {
  problems_.push_back(
      diagnostic{.file = file_, .line = line, .column = column, .message = std::move(message)});
}

std::vector<diagnostic> config_reader::take() {
  std::stable_sort(problems_.begin(), problems_.end(),
                   [](const diagnostic& a, const diagnostic& b) {
                     return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                   });
  return std::move(problems_);
}

void config_reader::expected(const config_entry& e, std::string_view what) {
  report(e, "expected " + std::string(what) + ", got " + got(e.value));
}

void config_reader::out_of_range(const config_entry& e, std::string_view lo, std::string_view hi) {
  report(e,
         e.value.Scalar() + " is out of range (" + std::string(lo) + ".." + std::string(hi) + ")");
}

std::optional<std::string> config_reader::scalar(const config_entry& e, std::string_view what) {
  if (e.value.IsScalar()) return e.value.Scalar();
  expected(e, what);
  return std::nullopt;
}

std::optional<std::string> config_reader::text(const config_entry& e) {
  if (e.value.IsNull()) return std::string();
  return scalar(e, "a string");
}

std::optional<std::string> config_reader::path(const config_entry& e) {
  auto written = text(e);
  if (!written || written->empty() || base_dir_.empty()) return written;
  const std::filesystem::path p(*written);
  if (p.is_absolute()) return written;
  return (base_dir_ / p).lexically_normal().string();
}

std::optional<millis> config_reader::duration(const config_entry& e, millis lo, millis hi) {
  const auto written = scalar(e, "a duration like 5s");
  if (!written) return std::nullopt;
  const auto parsed = parse_duration(*written);
  if (!parsed) {
    expected(e, "a duration like 5s");
    return std::nullopt;
  }
  if (*parsed < lo || *parsed > hi) {
    out_of_range(e, format_duration(lo), hi == millis::max() ? "" : format_duration(hi));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::int64_t> config_reader::integer(const config_entry& e, std::int64_t lo,
                                                   std::int64_t hi) {
  const auto written = scalar(e, "an integer");
  if (!written) return std::nullopt;
  const std::string& s = *written;
  const std::size_t digits_from = s.starts_with('-') ? 1 : 0;
  const bool all_digits =
      s.size() > digits_from && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(digits_from),
                                            s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!all_digits) {
    expected(e, "an integer");
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || value < lo || value > hi) {
    out_of_range(e, std::to_string(lo), std::to_string(hi));
    return std::nullopt;
  }
  return value;
}

std::optional<double> config_reader::number(const config_entry& e, double lo, double hi) {
  const auto written = scalar(e, "a number");
  if (!written) return std::nullopt;
  const std::string& s = *written;
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    expected(e, "a number");
    return std::nullopt;
  }
  if (value < lo || value > hi) {
    char lo_text[32];
    char hi_text[32];
    std::snprintf(lo_text, sizeof lo_text, "%.1f", lo);
    std::snprintf(hi_text, sizeof hi_text, "%.1f", hi);
    out_of_range(e, lo_text, hi_text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> config_reader::boolean(const config_entry& e) {
  const auto written = scalar(e, "true or false");
  if (!written) return std::nullopt;
  if (*written == "true" || *written == "True" || *written == "TRUE") return true;
  if (*written == "false" || *written == "False" || *written == "FALSE") return false;
  expected(e, "true or false");
  return std::nullopt;
}

std::optional<rate> config_reader::rate_value(const config_entry& e) {
  const auto written = scalar(e, "a rate like 10/s");
  if (!written) return std::nullopt;
  const auto parsed = parse_rate(*written);
  if (parsed) return *parsed;
  expected(e, "a rate like 10/s");
  return std::nullopt;
}

std::vector<config_entry> config_reader::list(const config_entry& e) {
  std::vector<config_entry> out;
  if (e.value.IsNull()) return out;
  if (!e.value.IsSequence()) {
    expected(e, "a list");
    return out;
  }
  std::size_t i = 0;
  for (const auto& item : e.value) {
    out.push_back(element_entry(e, item, i++));
    note(out.back());
  }
  return out;
}

std::string config_reader::choice_names(std::span<const std::string_view> names) const {
  std::string out;
  for (const auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

config_map::config_map(config_reader& reader, const config_entry& map,
                       std::span<const std::string_view> known)
    : reader_(&reader), self_(map), is_map_(map.value.IsMap() || map.value.IsNull()) {
  if (!is_map_) {
    reader.expected(map, "a map");
    return;
  }
  if (map.value.IsNull()) return;
  std::set<std::string> seen;
  for (auto it = map.value.begin(); it != map.value.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    config_entry key_at{.value = it->first, .path = map.path.empty() ? key : map.path + "." + key};
    set_position(key_at, it->first.Mark());
    if (!it->first.IsScalar()) {
      reader.report(map, "keys must be plain strings");
      continue;
    }
    if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
      reader.report(key_at, "unknown key" + suggestion(key, known));
      continue;
    }
    if (!seen.insert(key).second) {
      reader.report(key_at, "duplicate key");
      continue;
    }
    config_entry value{
        .value = it->second, .path = key_at.path, .line = key_at.line, .column = key_at.column};
    if (!it->second.IsNull()) set_position(value, it->second.Mark());
    reader.note(value);
    entries_.push_back(item{key, std::move(key_at), std::move(value)});
  }
}

const config_entry* config_map::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.name == key) return &e.value;
  }
  return nullptr;
}

namespace {

// Sets `out` from a present, valid entry; the reader has reported an invalid one.
template <class T, class V>
bool assign(T& out, const std::optional<V>& value) {
  if (value) out = static_cast<T>(*value);
  return value.has_value();
}

}  // namespace

bool config_map::get_duration(std::string_view key, millis& out, millis lo, millis hi) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->duration(*e, lo, hi));
}

bool config_map::get_int(std::string_view key, int& out, int lo, int hi) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->integer(*e, lo, hi));
}

bool config_map::get_number(std::string_view key, double& out, double lo, double hi) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->number(*e, lo, hi));
}

bool config_map::get_bool(std::string_view key, bool& out) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->boolean(*e));
}

bool config_map::get_rate(std::string_view key, rate& out) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->rate_value(*e));
}

bool config_map::get_text(std::string_view key, std::string& out) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->text(*e));
}

bool config_map::get_path(std::string_view key, std::string& out) {
  const config_entry* e = find(key);
  return e != nullptr && assign(out, reader_->path(*e));
}

void check_http_url(config_reader& reader, const config_entry& e, const std::string& url,
                    bool allow_http, const std::string& allow_key, bool allow_query) {
  const auto parts = parse_url(url);
  if (!parts) {
    reader.report(e, "not a valid URL: " + parts.error().what);
  } else if (!allow_query && !parts->query.empty()) {
    reader.report(e, "not a valid URL: a query is not allowed here");
  } else if (!parts->https() && !allow_http) {
    reader.report(e, "must be https (set " + allow_key + ": true to allow http)");
  }
}

void read_proxy_keys(config_map& m, const std::string& url, std::string& proxy,
                     std::string& auth_file) {
  config_reader& r = m.reader();
  m.get_path("proxy_auth_file", auth_file);
  const config_entry* e = m.find("proxy");
  const auto written = e != nullptr ? r.text(*e) : std::nullopt;
  if (!written) return;
  proxy = std::string(trim(*written));
  if (proxy == proxy_off) {
    if (!auth_file.empty()) {
      r.report(*m.find("proxy_auth_file"), "set, but proxy is \"none\"");
    }
    return;
  }
  if (proxy.empty()) return;
  if (const auto parsed = parse_proxy_url(proxy); !parsed) {
    r.report(*e, "not a valid proxy URL: " + parsed.error().what);
    return;
  }
  const auto target = parse_url(url);
  if (target && !target->https()) r.report(*e, "a proxy is used only for https URLs");
}

config_entry root_entry(const YAML::Node& node) {
  config_entry e{.value = node, .line = 1, .column = 1};
  if (!node.IsNull()) set_position(e, node.Mark());
  return e;
}

config_entry element_entry(const config_entry& list, const YAML::Node& node, std::size_t index) {
  config_entry e{.value = node,
                 .path = list.path + "[" + std::to_string(index) + "]",
                 .line = list.line,
                 .column = list.column};
  if (!node.IsNull()) set_position(e, node.Mark());
  return e;
}

}  // namespace fjwatch
