#include "sim/model.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>

namespace fjwatch::sim::detail {
namespace {

namespace json = boost::json;

constexpr const char* workspace_id = "69f0dd1da08d760844569ba4";
// As in the documented example (an opaque cursor).
constexpr const char* next_cursor =
    "H4sIAJhR9GkC_xXMQQrCMBBG4auUrF1M8ncyiVcRKZM2QxdisE0XIt7dun0fvI97HXV7T6vuq7sOzmSJIiiQ6"
    "k3HEqhaCnnJ4AjRZGKQWXIooykiU-HCPnjiyCBidxnc3rZ-vm4MnxD4fqbeuj6muR3PvwD4_gBgPJhCeQAAAA==";

bool applies(const step& s, std::chrono::milliseconds elapsed, std::int64_t poll) {
  return s.at_poll > 0 ? poll >= s.at_poll : elapsed >= s.at;
}

// The matched count of the last point reached `since` after its step began; 0 before the first.
std::int64_t reached(const std::vector<progress_point>& points, std::chrono::milliseconds since) {
  const auto after = std::upper_bound(points.begin(), points.end(), since,
                                      [](auto t, const progress_point& p) { return t < p.at; });
  return after == points.begin() ? 0 : std::prev(after)->matched;
}

// A value of another JSON type than `v`: a string becomes its length, a number its text, a
// bool its text, an object the array of its values, an array an object, null false.
json::value mistyped(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return static_cast<std::int64_t>(v.get_string().size());
    case json::kind::int64:
      return json::string(std::to_string(v.get_int64()));
    case json::kind::uint64:
      return json::string(std::to_string(v.get_uint64()));
    case json::kind::double_:
      return json::string(std::to_string(v.get_double()));
    case json::kind::bool_:
      return json::string(v.get_bool() ? "true" : "false");
    case json::kind::object: {
      json::array values;
      for (const auto& member : v.get_object()) values.push_back(member.value());
      return values;
    }
    case json::kind::array:
      return json::object{{"length", v.get_array().size()}};
    case json::kind::null:
      return false;
  }
  return nullptr;
}

// wrong_types: every member of `root` but data, and every member of data.session, mistyped.
// wrong_shape: every member of `root` mistyped, so data is an array holding the session.
void mistype(json::object& root, fault f) {
  for (auto& member : root) {
    if (f == fault::wrong_shape || member.key() != "data")
      member.value() = mistyped(member.value());
  }
  if (f != fault::wrong_types) return;
  for (auto& member : root.at("data").at("session").as_object()) {
    member.value() = mistyped(member.value());
  }
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex(std::uint64_t value, int digits) {
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    out[static_cast<std::size_t>(i)] = "0123456789abcdef"[value & 0xf];
  return out;
}

// A batch _id near the session's, as MongoDB would assign a little later.
std::string batch_id(const std::string& session_id, std::int64_t index) {
  const std::uint64_t tail = std::stoull(session_id.substr(18), nullptr, 16);
  return session_id.substr(0, 18) +
         hex((tail + 5 + static_cast<std::uint64_t>(index)) & 0xffffff, 6);
}

json::array make_batches(const session_script& script, const std::vector<step>& steps,
                         const session_state& st) {
  std::map<std::int64_t, std::int64_t> done_total;  // searchMoreCounter -> profiles when done
  for (const step& s : steps)
    if (s.status == matching_status::done) done_total[s.search_more_counter] = s.total;
  const auto total_before = [&](std::int64_t k) {
    const auto it = done_total.find(k - 1);
    return it == done_total.end() ? std::int64_t{0} : it->second;
  };
  json::array batches;
  for (std::int64_t k = 0; k <= st.counter; ++k) {
    const std::int64_t end = k == st.counter          ? st.matched
                             : done_total.contains(k) ? done_total[k]
                                                      : total_before(k);
    json::object b;
    b["batchKey"] =
        k == 0 ? std::string("CREATED_BATCH") : concat({"FETCH_MORE_BATCH_", std::to_string(k)});
    b["count"] = std::max<std::int64_t>(0, end - total_before(k));
    b["_id"] = batch_id(script.id, k);
    batches.push_back(std::move(b));
  }
  return batches;
}

json::object make_queries(const std::string& title) {
  const auto query = [](const char* type, json::value value) {
    return json::object{{"type", type}, {"value", std::move(value)}};
  };
  json::object skills_value{{"mandatory", json::array{"C#"}},
                            {"core", json::array{"ASP.NET MVC"}},
                            {"secondary", json::array{}}};
  return json::object{
      {"country_region", query("(.)", json::array{"India"})},
      {"current_employers.title", query("IN", json::array{title})},
      {"years_of_experience_raw", query("RANGE", json::array{1, 5})},
      {"region", query("IN", json::array{"Pune, Maharashtra, India"})},
      {"skills", query("IN", std::move(skills_value))},
  };
}

json::object make_created_by() {
  return json::object{
      {"_id", "68b6a343b878a5da9a172b65"},
      {"name", "Sachin Dhayatadak"},
      {"email", "sachin@futurejobs.ai"},
      {"avatar", json::object{{"id", "user/68b6a343b878a5da9a172b65/avatar_1777107886005.jpg"}}},
      {"role", "owner"},
      {"status", "active"},
      {"lastActiveAt", "2026-04-30T06:09:34.240Z"},
  };
}

}  // namespace

std::vector<step> normalize_steps(std::vector<step> steps) {
  const bool from_start =
      !steps.empty() &&
      (steps.front().at_poll == 1 || (steps.front().at_poll <= 0 && steps.front().at.count() <= 0));
  if (!from_start) {
    step first;
    first.total = steps.empty() ? 25 : steps.front().total;
    steps.insert(steps.begin(), first);
  }
  return steps;
}

std::size_t current_step(const std::vector<step>& steps, std::chrono::milliseconds elapsed,
                         std::int64_t poll) {
  std::size_t i = 0;
  for (std::size_t k = 0; k < steps.size(); ++k)
    if (applies(steps[k], elapsed, poll)) i = k;
  return i;
}

session_state evaluate(const std::vector<step>& steps, std::chrono::milliseconds elapsed,
                       std::int64_t poll, const step_entry& entry, bool hide_progress) {
  const std::size_t i = current_step(steps, elapsed, poll);
  const step& cur = steps[i];
  session_state st{i, cur.status, 0, cur.total, cur.search_more_counter};
  if (cur.status == matching_status::done) {
    st.matched = cur.total;
    return st;
  }
  const std::int64_t base = cur.status == matching_status::processing || i == 0
                                ? 0
                                : std::min(steps[i - 1].total, cur.total);
  st.matched = base;
  if (hide_progress) return st;
  if (!cur.progress.empty()) {
    st.matched = std::min(cur.total, base + reached(cur.progress, elapsed - cur.at));
    return st;
  }
  if (i + 1 >= steps.size()) return st;
  const step& next = steps[i + 1];
  const bool entered_known = entry.step == i;
  double fraction = 0;
  if (next.at_poll > 0) {
    const std::int64_t start = cur.at_poll > 0 ? cur.at_poll : entered_known ? entry.poll : poll;
    const std::int64_t span = next.at_poll - start;
    if (span > 0) fraction = static_cast<double>(poll - start) / static_cast<double>(span);
  } else {
    const auto start = cur.at_poll > 0 ? (entered_known ? entry.elapsed : elapsed) : cur.at;
    const auto span = next.at - start;
    if (span.count() > 0)
      fraction = static_cast<double>((elapsed - start).count()) / static_cast<double>(span.count());
  }
  fraction = std::clamp(fraction, 0.0, 1.0);
  st.matched = base + static_cast<std::int64_t>(static_cast<double>(cur.total - base) * fraction);
  st.matched = std::min(st.matched, cur.total);
  return st;
}

std::string concat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (const auto part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (const auto part : parts) out.append(part);
  return out;
}

std::string iso_time(wall_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

session_model::session_model(session_script script, std::uint64_t incarnation,
                             steady_clock::time_point added, wall_clock::time_point created,
                             bool hide_progress)
    : script_(std::move(script)),
      incarnation_(incarnation),
      added_(added),
      created_(created),
      hide_progress_(hide_progress),
      updated_(created),
      fetched_(created) {
  script_.steps = normalize_steps(std::move(script_.steps));
}

void session_model::observe(steady_clock::time_point now, wall_clock::time_point wall_now,
                            std::int64_t poll) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - added_);
  const std::size_t current = current_step(script_.steps, elapsed, poll);
  if (!seen_ || current != entry_.step) entry_ = {current, elapsed, poll};
  const session_state next = evaluate(script_.steps, elapsed, poll, entry_, hide_progress_);
  if (seen_ && next == state_) return;
  const bool reached_done =
      next.status == matching_status::done &&
      (!seen_ || state_.status != matching_status::done || state_.counter != next.counter);
  seen_ = true;
  state_ = next;
  ++version_;
  updated_ = std::max(wall_now, created_);
  if (reached_done) fetched_ = updated_;
  if (reached_done && !done_served_) done_served_ = updated_;
  body_ = std::make_shared<const std::string>(render(fault::none));
  etag_ = concat({"\"", hex(incarnation_, 8), "-", std::to_string(version_), "\""});
}

std::string session_model::render_fault_body(fault f) const { return render(f); }

std::string session_model::render(fault f) const {
  const session_script& sc = script_;
  json::object s;
  s["_id"] = sc.id;
  s["sessionTitle"] = sc.title;
  s["medium"] = "MANUAL";
  s["jdDetail"] = json::object{
      {"userText", "Job Title: " + sc.title + ", Experience: 1-5 years, Location: Pune"},
      {"sampleProfileURL", ""}};
  s["queries"] = make_queries(sc.title);
  json::array nuances;
  if (f == fault::huge_body) {
    const std::string filler(1000, 'n');
    for (int i = 0; i < 2200; ++i) nuances.emplace_back(filler);
  }
  s["nuances"] = std::move(nuances);
  s["mustHaves"] = "";
  s["createdBy"] = make_created_by();
  s["workspaceId"] = workspace_id;
  s["projectId"] = concat({"69f0dd1d", hex(fnv1a(sc.project), 16)});
  s["next_cursor"] = next_cursor;
  s["searchMoreCounter"] = state_.counter;
  s["filterChangesCounter"] = 0;
  s["lastCandidatesFetchedAt"] = iso_time(fetched_);
  if (f == fault::wrong_type)
    s["profileMatchingStatus"] = static_cast<int>(state_.status);
  else
    s["profileMatchingStatus"] = to_string(state_.status);
  s["totalProfilesForMatching"] = state_.total;
  s["totalProfilesMatched"] = state_.matched;
  s["profileMatchingProvider"] = "gemini";
  s["sessionCreditCharged"] = true;
  s["forceRefreshAnalysis"] = false;
  s["isFallback"] = false;
  s["totalAvailableProfiles"] = sc.available;
  s["metadata"] = json::object{};
  s["batches"] = make_batches(sc, sc.steps, state_);
  s["createdAt"] = iso_time(created_);
  s["updatedAt"] = iso_time(updated_);
  s["__v"] = state_.counter;
  s["projectName"] = sc.project;
  json::object root{{"statusCode", 200},
                    {"data", json::object{{"session", std::move(s)}}},
                    {"message", "Session fetched successfully"},
                    {"status", "SUCCESS"}};
  if (f == fault::wrong_types || f == fault::wrong_shape) mistype(root, f);
  std::string out = json::serialize(root);
  if (f == fault::malformed_json) out.resize(out.size() / 2);
  return out;
}

}  // namespace fjwatch::sim::detail

namespace fjwatch::sim {

std::string_view to_string(fault f) {
  switch (f) {
    case fault::none:
      return "none";
    case fault::http_503:
      return "http_503";
    case fault::http_500:
      return "http_500";
    case fault::rate_limited:
      return "rate_limited";
    case fault::malformed_json:
      return "malformed_json";
    case fault::reset:
      return "reset";
    case fault::endless_body:
      return "endless_body";
    case fault::huge_body:
      return "huge_body";
    case fault::redirect:
      return "redirect";
    case fault::wrong_type:
      return "wrong_type";
    case fault::slow:
      return "slow";
    case fault::garbage:
      return "garbage";
    case fault::nested:
      return "nested";
    case fault::wrong_types:
      return "wrong_types";
    case fault::wrong_shape:
      return "wrong_shape";
    case fault::huge_50mb:
      return "huge_50mb";
    case fault::huge_50mb_chunked:
      return "huge_50mb_chunked";
  }
  return "unknown";
}

session_script done_after(std::string id, std::chrono::milliseconds after) {
  session_script s;
  s.id = std::move(id);
  s.steps = {step{}, step{.at = after, .status = matching_status::done}};
  return s;
}

session_script fetch_more_cycle(std::string id, std::chrono::milliseconds done_at,
                                std::chrono::milliseconds fetch_at,
                                std::chrono::milliseconds done_again_at) {
  session_script s = done_after(std::move(id), done_at);
  s.steps.push_back({.at = fetch_at,
                     .status = matching_status::fetching_more,
                     .total = 50,
                     .search_more_counter = 1});
  s.steps.push_back({.at = done_again_at,
                     .status = matching_status::done,
                     .total = 50,
                     .search_more_counter = 1});
  return s;
}

session_script done_at_poll(std::string id, int at_poll) {
  session_script s;
  s.id = std::move(id);
  s.steps = {step{}, step{.at_poll = at_poll, .status = matching_status::done}};
  return s;
}

}  // namespace fjwatch::sim
