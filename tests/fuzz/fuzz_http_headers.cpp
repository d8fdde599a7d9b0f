// Retry-After, RateLimit-* and HTTP-date parsing on arbitrary header values. The whole input is
// one header value for the single-value parsers; its lines are the headers of one response for
// classify_response. Waits stay within [0, 24h], integers are what was written, and every date
// that parses (but one past the clock's range, which saturates) reads back the same from its
// IMF-fixdate form.
#include "fjwatch/api/fj_response.hpp"
#include "fjwatch/domain/poll_outcome.hpp"
#include "fjwatch/http/http_date.hpp"
#include "fjwatch/policy/webhook_retry.hpp"
#include "fuzz_check.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace {

namespace chr = std::chrono;
using fjwatch::fuzz::as_text;

const chr::system_clock::time_point now{chr::seconds(1'777'600'000)};  // 2026-05-01
constexpr chr::milliseconds max_wait = chr::hours(24);

bool within_limits(const std::optional<chr::milliseconds>& wait) {
  return !wait || (*wait >= chr::milliseconds(0) && *wait <= max_wait);
}

// `t` (whole seconds) as "Sun, 06 Nov 1994 08:49:37 GMT".
std::string imf_fixdate(chr::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = chr::floor<chr::days>(t);
  const chr::year_month_day date{day};
  const chr::hh_mm_ss clock{chr::floor<chr::seconds>(t - day)};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                days[chr::weekday(day).c_encoding()], static_cast<unsigned>(date.day()),
                months[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buf;
}

// `text` without surrounding spaces/tabs and leading zeros (one digit kept).
std::string_view canonical_digits(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  return text;
}

void check_single_value(std::string_view value) {
  using namespace fjwatch;
  // A date past the clock's range saturates to its first or last instant, which has no
  // IMF-fixdate form of its own (and no day to format without overflowing): only the others
  // must read back the same.
  const auto date = parse_http_date(value, now);
  if (date && *date != chr::system_clock::time_point::max() &&
      *date != chr::system_clock::time_point::min()) {
    const std::string again = imf_fixdate(*date);
    const auto reread = parse_http_date(again, now);
    FUZZ_CHECK(reread && *reread == *date, again);
  }
  const auto wait = parse_retry_after(value, now);
  FUZZ_CHECK(within_limits(wait), "Retry-After within [0, 24h]");
  for (const int status : {429, 503, 200, 500}) {
    const auto hook = webhook_retry_after(status, value, now);
    const bool honoured = status == 429 || status == 503;
    FUZZ_CHECK(honoured || !hook, "only 429 and 503 carry a wait");
    if (honoured) FUZZ_CHECK(hook == wait, "webhook wait is parse_retry_after's");
  }
  if (const auto n = parse_header_int(value)) {
    FUZZ_CHECK(*n >= 0 && std::to_string(*n) == canonical_digits(value), "the integer written");
  }
}

// The input's lines as the headers of one response.
fjwatch::response_headers split_headers(std::string_view text) {
  std::array<std::string_view, 6> fields{};
  for (auto& field : fields) {
    const std::size_t eol = text.find('\n');
    field = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  return {fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  const std::string_view text = as_text(data, size);
  check_single_value(text);

  const response_headers headers = split_headers(text);
  for (const int status : {200, 304, 401, 404, 429, 503, 302, 418}) {
    const poll_outcome out = classify_response(status, headers, "", now);
    FUZZ_CHECK(out.http_status == status, "status kept");
    FUZZ_CHECK(within_limits(out.retry_after) && within_limits(out.ratelimit_reset),
               "waits within [0, 24h]");
    FUZZ_CHECK(!out.ratelimit_remaining || *out.ratelimit_remaining >= 0, "remaining >= 0");
    for (const char c : out.reason) FUZZ_CHECK(c >= 0x20 && c < 0x7f, "a printable reason");
  }
  return 0;
}
