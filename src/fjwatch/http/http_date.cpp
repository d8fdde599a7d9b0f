// HTTP header values: HTTP-dates (RFC 9110 §5.6.7), Retry-After and plain integer fields.
#include <array>
#include <limits>

#include "fjwatch/http/http_date.hpp"
#include "fjwatch/util/text.hpp"

namespace fjwatch {
namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 7> short_days{"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Longest wait a server can impose through Retry-After or RateLimit-Reset.
constexpr chr::milliseconds max_wait = chr::hours(24);

// A left-to-right reader over one header value; every step fails without consuming on mismatch.
class cursor {
 public:
  explicit cursor(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }

  bool literal(std::string_view word) {
    if (!rest_.starts_with(word)) return false;
    rest_.remove_prefix(word.size());
    return true;
  }

  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& words, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(words[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  // Exactly `width` decimal digits.
  bool digits(std::size_t width, int& out) {
    if (rest_.size() < width) return false;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = rest_[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    rest_.remove_prefix(width);
    out = value;
    return true;
  }

 private:
  std::string_view rest_;
};

struct clock_time {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// "HH:MM:SS"; second 60 (a leap second) is allowed.
bool read_time(cursor& in, clock_time& t) {
  return in.digits(2, t.hour) && in.literal(":") && in.digits(2, t.minute) && in.literal(":") &&
         in.digits(2, t.second) && t.hour <= 23 && t.minute <= 59 && t.second <= 60;
}

// The instant, or nullopt for a date that does not exist. A real date that system_clock cannot
// hold (its nanoseconds reach only the years 1677..2262; converting would overflow) reads as the
// clock's first or last instant: "Fri, 31 Dec 9999 23:59:59 GMT" means "not for a long time".
std::optional<chr::system_clock::time_point> make_time(int year, int month_index, int day,
                                                       const clock_time& t) {
  const chr::year_month_day date{chr::year(year),
                                 chr::month(static_cast<unsigned>(month_index + 1)),
                                 chr::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  const chr::sys_seconds when =
      chr::sys_days(date) + chr::hours(t.hour) + chr::minutes(t.minute) + chr::seconds(t.second);
  constexpr auto earliest = chr::ceil<chr::seconds>(chr::system_clock::time_point::min());
  constexpr auto latest = chr::floor<chr::seconds>(chr::system_clock::time_point::max());
  if (when < earliest) return chr::system_clock::time_point::min();
  if (when > latest) return chr::system_clock::time_point::max();
  return chr::time_point_cast<chr::system_clock::duration>(when);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<chr::system_clock::time_point> imf_fixdate(std::string_view text) {
  cursor in(text);
  int weekday = 0, day = 0, month = 0, year = 0;
  clock_time t;
  if (!(in.one_of(short_days, weekday) && in.literal(", ") && in.digits(2, day) &&
        in.literal(" ") && in.one_of(months, month) && in.literal(" ") && in.digits(4, year) &&
        in.literal(" ") && read_time(in, t) && in.literal(" GMT") && in.done())) {
    return std::nullopt;
  }
  return make_time(year, month, day, t);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; the century is chosen so the date is at most 50 years after
// `now`.
std::optional<chr::system_clock::time_point> rfc850_date(std::string_view text,
                                                         chr::system_clock::time_point now) {
  cursor in(text);
  int weekday = 0, day = 0, month = 0, year2 = 0;
  clock_time t;
  if (!(in.one_of(long_days, weekday) && in.literal(", ") && in.digits(2, day) && in.literal("-") &&
        in.one_of(months, month) && in.literal("-") && in.digits(2, year2) && in.literal(" ") &&
        read_time(in, t) && in.literal(" GMT") && in.done())) {
    return std::nullopt;
  }
  const chr::year_month_day today{chr::floor<chr::days>(now)};
  const auto horizon = chr::sys_days(today + chr::years(50)) + (now - chr::floor<chr::days>(now));
  const int century = static_cast<int>(today.year()) / 100 * 100;
  auto candidate = make_time(century + 100 + year2, month, day, t);
  for (int shift = 0; shift < 3 && (!candidate || *candidate > horizon); ++shift) {
    candidate = make_time(century + year2 - 100 * shift, month, day, t);
  }
  if (candidate && *candidate > horizon) return std::nullopt;
  return candidate;
}

// "Sun Nov  6 08:49:37 1994" (the day is padded with a space, or a zero from lenient senders).
std::optional<chr::system_clock::time_point> asctime_date(std::string_view text) {
  cursor in(text);
  int weekday = 0, day = 0, month = 0, year = 0;
  clock_time t;
  if (!(in.one_of(short_days, weekday) && in.literal(" ") && in.one_of(months, month) &&
        in.literal(" "))) {
    return std::nullopt;
  }
  if (in.literal(" ")) {
    if (!in.digits(1, day)) return std::nullopt;
  } else if (!in.digits(2, day)) {
    return std::nullopt;
  }
  if (!(in.literal(" ") && read_time(in, t) && in.literal(" ") && in.digits(4, year) &&
        in.done())) {
    return std::nullopt;
  }
  return make_time(year, month, day, t);
}

// Digits only; values past `cap` are clamped to it.
std::optional<std::int64_t> clamped_digits(std::string_view text, std::int64_t cap) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value <= cap) value = value * 10 + (c - '0');
  }
  return std::min(value, cap);
}

}  // namespace

std::optional<chr::system_clock::time_point> parse_http_date(std::string_view text,
                                                             chr::system_clock::time_point now) {
  if (auto t = imf_fixdate(text)) return t;
  if (auto t = rfc850_date(text, now)) return t;
  return asctime_date(text);
}

std::optional<chr::system_clock::time_point> parse_http_date(std::string_view text) {
  return parse_http_date(text, chr::system_clock::now());
}

std::optional<chr::milliseconds> parse_retry_after(std::string_view value,
                                                   chr::system_clock::time_point now) {
  value = trim(value, " \t");
  constexpr std::int64_t max_seconds = chr::duration_cast<chr::seconds>(max_wait).count();
  if (auto seconds = clamped_digits(value, max_seconds)) return chr::seconds(*seconds);
  const auto when = parse_http_date(value, now);
  if (!when) return std::nullopt;
  if (*when <= now) return chr::milliseconds(0);
  if (*when - now >= max_wait) return max_wait;  // before the subtraction could overflow a cast
  return chr::ceil<chr::milliseconds>(*when - now);
}

std::optional<std::int64_t> parse_header_int(std::string_view value) {
  value = trim(value, " \t");
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  if (value.empty()) return std::nullopt;
  std::int64_t result = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (result > (max - digit) / 10) return std::nullopt;
    result = result * 10 + digit;
  }
  return result;
}

}  // namespace fjwatch
