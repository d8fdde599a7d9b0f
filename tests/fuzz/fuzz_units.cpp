// Durations, rates and URLs as written in the config, on arbitrary text. A duration reads back
// from its format_duration form; a rate is positive and finite; a URL written back from its parts
// parses to the same parts.
#include "fjwatch/util/units.hpp"
#include "fuzz_check.hpp"
#include "fjwatch/http/url.hpp"

#include <cmath>
#include <string>

namespace {

// `u` as an absolute URL again: brackets around an IPv6 host, the port always written.
std::string unparse(const fjwatch::url_parts& u) {
  const bool ipv6 = u.host.find(':') != std::string::npos;
  return u.scheme + "://" + (ipv6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port) +
         u.path + (u.query.empty() ? "" : "?" + u.query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  const std::string_view text = fuzz::as_text(data, size);

  if (const auto d = parse_duration(text)) {
    FUZZ_CHECK(d->count() >= 0, "a duration is not negative");
    const std::string shortest = format_duration(*d);
    const auto again = parse_duration(shortest);
    FUZZ_CHECK(again && *again == *d, shortest);
  } else {
    FUZZ_CHECK(!d.error().what.empty(), "a failure says why");
  }

  if (const auto r = parse_rate(text)) {
    FUZZ_CHECK(std::isfinite(r->per_second) && r->per_second > 0, "a rate is positive");
  }

  if (const auto u = parse_url(text)) {
    FUZZ_CHECK(u->scheme == "https" || u->scheme == "http", "scheme");
    FUZZ_CHECK(!u->host.empty(), "a host");
    FUZZ_CHECK(u->path.empty() || (u->path.front() == '/' && u->path.back() != '/'), "path form");
    const std::string written = unparse(*u);
    const auto again = parse_url(written);
    FUZZ_CHECK(again && *again == *u, written);
  }
  return 0;
}
