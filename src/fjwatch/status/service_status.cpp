#include "fjwatch/status/service_status.hpp"

#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <initializer_list>
#include <utility>

namespace fjwatch {
namespace {

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string_view api_text(api_health h) {
  switch (h) {
    case api_health::ok:
      return "API ok";
    case api_health::failing:
      return "API failing";
    case api_health::unauthorized:
      return "API key rejected";
    case api_health::unknown:
      break;
  }
  return "API not polled yet";
}

}  // namespace

std::size_t session_counts::total() const {
  return waiting + processing + fetching_more + done + not_found + timed_out;
}

std::string status_line(const service_facts& f) {
  const auto& s = f.sessions;
  std::string out = "watching " + std::to_string(s.total());
  const std::initializer_list<std::pair<std::size_t, std::string_view>> buckets{
      {s.waiting, "waiting"}, {s.processing, "processing"}, {s.fetching_more, "fetching more"},
      {s.done, "done"},       {s.not_found, "not found"},   {s.timed_out, "timed out"}};
  const char* sep = ": ";
  for (const auto& [n, name] : buckets) {
    if (n == 0) continue;
    out += sep + std::to_string(n) + " " + std::string(name);
    sep = ", ";
  }
  out += "; " + plural(f.deliveries_pending, "delivery pending", "deliveries pending");
  if (f.deliveries_failed > 0) out += ", " + std::to_string(f.deliveries_failed) + " failed";
  out += "; ";
  out += api_text(f.api);
  if (f.paused_until_unix_ms != 0) {
    out += "; paused by the API until " + format_rfc3339(f.paused_until_unix_ms);
  }
  return out;
}

api_health judge_api(api_health previous, const poll_tally& before, const poll_tally& now,
                     bool auth_failing) {
  if (auth_failing) return api_health::unauthorized;
  using kind = poll_outcome::kind;
  auto since = [&](kind k) {
    const auto i = static_cast<std::size_t>(k);
    return now[i] - before[i];
  };
  std::uint64_t answered = 0;
  std::uint64_t failed = 0;
  for (const auto k : {kind::ok, kind::not_modified, kind::not_found, kind::rate_limited}) {
    answered += since(k);
  }
  for (const auto k : {kind::server_error, kind::bad_response, kind::network_error}) {
    failed += since(k);
  }
  if (answered > 0) return api_health::ok;
  if (failed > 0) return api_health::failing;
  // Only 401s since the last look, or none at all: the auth state above already said it.
  return previous == api_health::unauthorized ? api_health::ok : previous;
}

}  // namespace fjwatch
