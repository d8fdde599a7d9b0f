#pragma once
// Private to the config module: walks a YAML tree with the current key path and collects every
// problem as a diagnostic, so one pass reports them all.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fjwatch/config/config.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/util/diagnostic.hpp"

namespace fjwatch {

// One value in the tree: the node, its dotted path ("actions[2].url") and where to point at it.
struct config_entry {
  YAML::Node value;
  std::string path;
  int line = 0;  // 1-based; of the value, or of its key when the value is empty
  int column = 0;
};

// The diagnostics of one file plus typed reads of scalar entries. Every read reports a problem
// with the exact wording of the config contract and returns nullopt; it never throws.
class config_reader {
 public:
  config_reader(std::string file, std::filesystem::path base_dir);

  void report(const config_entry& at, std::string_view message);
  void report_at(int line, int column, std::string message);
  bool has_errors() const { return !problems_.empty(); }
  // The problems in file order.
  std::vector<diagnostic> take();
  // Remembers where an entry was written (config::positions); every map value and list element
  // read through config_map and list() is noted.
  void note(const config_entry& e) {
    positions_.emplace(e.path, config_position{e.line, e.column});
  }
  std::map<std::string, config_position, std::less<>> take_positions() {
    return std::move(positions_);
  }

  // "<path>: expected <what>, got <the value as written | a map | a list | nothing>".
  void expected(const config_entry& e, std::string_view what);
  // "<path>: <value as written> is out of range (<lo>..<hi>)".
  void out_of_range(const config_entry& e, std::string_view lo, std::string_view hi);

  // A scalar's text; null reads as "". Maps and lists are reported as "expected a string".
  std::optional<std::string> text(const config_entry& e);
  // text() resolved against the file's directory when relative; "" stays "".
  std::optional<std::string> path(const config_entry& e);
  // Bounds are inclusive; hi == millis::max() means no upper bound (written "(lo..)").
  std::optional<millis> duration(const config_entry& e, millis lo, millis hi);
  std::optional<std::int64_t> integer(const config_entry& e, std::int64_t lo, std::int64_t hi);
  std::optional<double> number(const config_entry& e, double lo, double hi);
  std::optional<bool> boolean(const config_entry& e);
  std::optional<rate> rate_value(const config_entry& e);
  // One of `names`; reported as "expected one of a, b, c".
  template <class E>
  std::optional<E> choice(const config_entry& e,
                          std::span<const std::pair<std::string_view, E>> names);
  // Reports anything but a list; a null list reads as empty.
  std::vector<config_entry> list(const config_entry& e);

 private:
  std::optional<std::string> scalar(const config_entry& e, std::string_view what);
  std::string choice_names(std::span<const std::string_view> names) const;

  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<diagnostic> problems_;
  std::map<std::string, config_position, std::less<>> positions_;
};

// The keys of one YAML map, checked on construction against the keys its section knows: unknown
// keys (with a "did you mean"), duplicate keys and a non-map are reported. An empty `known`
// accepts any key (free-form maps such as webhook headers). A null map is an empty map.
class config_map {
 public:
  config_map(config_reader& reader, const config_entry& map,
             std::span<const std::string_view> known);

  // The entry for `key`, or nullptr when the file does not set it.
  const config_entry* find(std::string_view key) const;
  const config_entry& self() const { return self_; }
  bool is_map() const { return is_map_; }
  config_reader& reader() const { return *reader_; }
  // One key: value of the map; `key` points at the key itself.
  struct item {
    std::string name;
    config_entry key;
    config_entry value;
  };
  // Every key: value in file order.
  const std::vector<item>& entries() const { return entries_; }

  // Each get_* sets `out` and returns true when `key` is set and valid; reports a bad value and
  // returns false; returns false and leaves `out` alone when the key is not set.
  bool get_duration(std::string_view key, millis& out, millis lo, millis hi = millis::max());
  bool get_int(std::string_view key, int& out, int lo, int hi);
  bool get_number(std::string_view key, double& out, double lo, double hi);
  bool get_bool(std::string_view key, bool& out);
  bool get_rate(std::string_view key, rate& out);
  bool get_text(std::string_view key, std::string& out);
  bool get_path(std::string_view key, std::string& out);
  template <class E>
  bool get_choice(std::string_view key, E& out,
                  std::span<const std::pair<std::string_view, E>> names) {
    const config_entry* e = find(key);
    const auto value = e != nullptr ? reader_->choice(*e, names) : std::nullopt;
    if (value) out = *value;
    return value.has_value();
  }

 private:
  config_reader* reader_;
  config_entry self_;
  bool is_map_ = false;
  std::vector<item> entries_;
};

// The root entry of a document (path "").
config_entry root_entry(const YAML::Node& node);
// The i-th element of a list entry.
config_entry element_entry(const config_entry& list, const YAML::Node& node, std::size_t index);

// Parses `text` into its single document, after a scan that rejects nesting deeper than 64 levels
// (yaml-cpp recurses once per level) and before a walk that rejects deep or oversized trees
// (aliases can make both). Syntax errors, extra documents and these limits are reported to
// `reader`; nullopt then. An empty document is a null node.
std::optional<YAML::Node> parse_yaml(std::string_view text, config_reader& reader);

// Reports an entry holding `url` unless it is an http(s) URL, with a query only when
// `allow_query`, and unless it is https when http is not allowed ("must be https (set
// <allow_key>: true to allow http)").
void check_http_url(config_reader& reader, const config_entry& e, const std::string& url,
                    bool allow_http, const std::string& allow_key, bool allow_query);

// The map's `proxy` (a proxy URL, "" or "none") and `proxy_auth_file` (a path) into `proxy` and
// `auth_file`, for connections to `url` (the map's own URL as written): a proxy URL that does not
// parse (reported without quoting it: it may hold a password), a proxy for a URL that is not
// https, and a proxy_auth_file beside `proxy: none` are reported.
void read_proxy_keys(config_map& m, const std::string& url, std::string& proxy,
                     std::string& auth_file);

// The `actions` list (read_actions.cpp): every problem reported, the valid actions returned.
std::vector<action_config> read_actions(config_reader& reader, const config_entry& list);

template <class E>
std::optional<E> config_reader::choice(const config_entry& e,
                                       std::span<const std::pair<std::string_view, E>> names) {
  std::vector<std::string_view> keys;
  for (const auto& [name, value] : names) keys.push_back(name);
  const std::string what = "one of " + choice_names(keys);
  const auto written = scalar(e, what);
  if (!written) return std::nullopt;
  for (const auto& [name, value] : names) {
    if (*written == name) return value;
  }
  expected(e, what);
  return std::nullopt;
}

}  // namespace fjwatch
