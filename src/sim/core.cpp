#include "sim/core.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace fjwatch::sim::detail {
namespace {

constexpr std::string_view session_prefix = "/api/v1/wl/sourcing-session/";

// RFC 9110 If-None-Match: "*" or a list of entity tags, compared weakly.
bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
  }
  return false;
}

// The nesting of the nested fault's arrays, and the body size of the huge_50mb faults.
constexpr std::size_t nested_depth = 100000;
constexpr std::uint64_t huge_50mb_size = 50ull * 1024 * 1024;

// 2 KiB of deterministic binary noise (NUL bytes included, never "HTTP/"), then "\r\n\r\n" so
// that a parser which waits for the end of the header judges it at once.
std::string garbage_bytes() {
  std::string out(2048, '\0');
  std::uint32_t x = 2463534242u;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  out[0] = '\x16';
  return out + "\r\n\r\n";
}

bool valid_id(std::string_view id) {
  if (id.size() != 24) return false;
  for (const char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

struct core::plan {
  http::status status = http::status::ok;
  reply::how action = reply::how::respond;
  std::shared_ptr<const std::string> shared_body;
  std::string body;
  std::string etag;
  std::optional<std::chrono::seconds> retry_after;
  std::string location;
  bool allow_header = false;
  bool chunked = false;  // for reply::how::stream
  std::chrono::milliseconds delay{0};
  rate_info rate;
};

void core::set_error(plan& p, http::status status, std::string_view message) {
  p.status = status;
  p.body = concat({"{\"statusCode\":", std::to_string(static_cast<unsigned>(status)),
                   ",\"data\":null,\"message\":\"", message, "\",\"status\":\"FAILURE\"}"});
}

fixed_window::fixed_window(std::int64_t limit, std::chrono::seconds window,
                           steady_clock::time_point start)
    : limit_(limit), window_(std::max(window, std::chrono::seconds(1))), start_(start) {}

void fixed_window::roll(steady_clock::time_point now) {
  const std::int64_t index = now <= start_ ? 0 : (now - start_) / window_;
  if (index != index_) {
    index_ = index;
    used_ = 0;
  }
}

rate_info fixed_window::info(steady_clock::time_point now) const {
  const auto end = start_ + window_ * (index_ + 1);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count();
  return {limit_, std::max<std::int64_t>(0, limit_ - used_),
          std::max<std::int64_t>(1, (left + 999) / 1000),
          std::chrono::duration_cast<std::chrono::seconds>(window_).count()};
}

bool fixed_window::take(steady_clock::time_point now, rate_info& out) {
  roll(now);
  const bool ok = used_ < limit_;
  if (ok) ++used_;
  out = info(now);
  return ok;
}

rate_info fixed_window::peek(steady_clock::time_point now) {
  roll(now);
  return info(now);
}

stats counters::snapshot() const {
  const auto v = [](const std::atomic<std::int64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  return {v(requests),         v(requests_with_key), v(ok_200),
          v(not_modified_304), v(redirects_3xx),     v(unauthorized_401),
          v(not_found_404),    v(rate_limited_429),  v(errors_5xx),
          v(resets),           v(endless_bodies),    v(tls_handshakes),
          v(connections),      v(idle_closes),       v(streamed_bytes),
          v(pipelined),        v(keepalive_closes)};
}

core::core(options opts)
    : opts_(std::move(opts)),
      latency_ms_(opts_.latency.count()),
      seed_(static_cast<std::uint64_t>(steady_clock::now().time_since_epoch().count())),
      api_key_(opts_.api_key),
      window_(opts_.rate_limit, opts_.rate_window, steady_clock::now()) {
  if (opts_.fraction_503 > 0) global_faults_.push_back({fault::http_503, opts_.fraction_503});
  for (const auto& g : opts_.global_faults)
    if (g.kind != fault::none && g.fraction > 0) global_faults_.push_back({g.kind, g.fraction});
}

void core::log(std::string_view line) const {
  if (opts_.log)
    opts_.log(line);
  else
    std::cerr << "fjwatch-sim: " << line << std::endl;
}

reply core::handle(const request& req) {
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  plan p = decide(req);
  reply r = build(req, std::move(p));
  tally(r);
  return r;
}

core::plan core::decide(const request& req) {
  const auto now = steady_clock::now();
  const auto key = req.find("x-fj-api-key");
  const bool has_key = key != req.end();
  if (has_key) counters_.requests_with_key.fetch_add(1, std::memory_order_relaxed);
  plan p;
  p.delay = std::chrono::milliseconds(latency_ms_.load(std::memory_order_relaxed));
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string_view id =
      path.starts_with(session_prefix) ? path.substr(session_prefix.size()) : "";
  std::lock_guard lock(mu_);
  if (!has_key || key->value() != api_key_) {
    set_error(p, http::status::unauthorized, "Invalid or missing API key");
    p.rate = window_.peek(now);
    return p;
  }
  if (!window_.take(now, p.rate)) {
    set_error(p, http::status::too_many_requests, "Too many requests");
    p.retry_after = std::chrono::seconds(p.rate.reset_seconds);
    return p;
  }
  ++authorized_;
  if (id.empty() || id.find('/') != std::string_view::npos) {
    set_error(p, http::status::not_found, "Route not found");
  } else if (req.method() != http::verb::get) {
    set_error(p, http::status::method_not_allowed, "Method not allowed");
    p.allow_header = true;
  } else {
    answer_session(p, req, path, id, now);
  }
  return p;
}

void core::answer_session(plan& p, const request& req, std::string_view path, std::string_view id,
                          steady_clock::time_point now) {
  const auto it = sessions_.find(id);
  entry* e = it == sessions_.end() ? nullptr : it->second.get();
  fault f = next_global_fault();
  if (e) {
    ++e->polls;
    if (e->faults_left != 0) {
      f = e->fault_kind;
      if (e->faults_left > 0) --e->faults_left;
    }
    e->model.observe(now, wall_clock::now(), e->polls);
  }
  if (f == fault::redirect) p.location = opts_.redirect_to + std::string(path);
  if (plan_fault(p, f, e)) return;
  if (!e) return set_error(p, http::status::not_found, "Session not found");
  if (f == fault::slow) p.delay += e->model.script().slow_delay;
  p.etag = e->model.etag();
  const auto inm = req.find(http::field::if_none_match);
  if (inm != req.end() && etag_matches(inm->value(), p.etag)) {
    p.status = http::status::not_modified;
    return;
  }
  p.shared_body = e->model.body();
}

// False (and `p` untouched) for a body fault without a session: the caller answers 404 instead.
bool core::plan_fault(plan& p, fault f, entry* e) {
  const std::chrono::seconds retry = e ? e->model.script().retry_after : std::chrono::seconds(1);
  switch (f) {
    case fault::http_503:
      set_error(p, http::status::service_unavailable, "Service temporarily unavailable");
      p.retry_after = retry;
      return true;
    case fault::http_500:
      set_error(p, http::status::internal_server_error, "Internal server error");
      return true;
    case fault::rate_limited:
      set_error(p, http::status::too_many_requests, "Too many requests");
      p.retry_after = retry;
      return true;
    case fault::reset:
      p.action = reply::how::reset;
      return true;
    case fault::endless_body:
      p.action = reply::how::endless;
      return true;
    case fault::garbage:
      p.action = reply::how::garbage;
      return true;
    case fault::huge_50mb:
    case fault::huge_50mb_chunked:
      p.action = reply::how::stream;
      p.chunked = f == fault::huge_50mb_chunked;
      return true;
    case fault::nested:
      p.body = std::string(nested_depth, '[') + std::string(nested_depth, ']');
      return true;
    case fault::redirect:
      set_error(p, http::status::found, "Found");
      return true;
    case fault::malformed_json:
    case fault::huge_body:
    case fault::wrong_type:
    case fault::wrong_types:
    case fault::wrong_shape:
      if (!e) return false;
      p.body = e->model.render_fault_body(f);
      return true;
    case fault::none:
    case fault::slow:
      return false;
  }
  return false;
}

fault core::next_global_fault() {
  const auto n = static_cast<double>(authorized_);
  for (const auto& g : global_faults_)
    if (std::floor(n * g.fraction) > std::floor((n - 1) * g.fraction)) return g.kind;
  return fault::none;
}

reply core::build(const request& req, plan&& p) {
  reply r;
  r.action = p.action;
  r.delay = p.delay;
  if (p.action == reply::how::reset) return r;
  char rid[24];
  std::snprintf(
      rid, sizeof rid, "sim-%016llx",
      static_cast<unsigned long long>(request_seq_.fetch_add(1, std::memory_order_relaxed) + 1));
  if (p.action == reply::how::endless) {
    r.raw = std::string("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n") +
            "Content-Length: 1048576\r\nX-Request-Id: " + rid +
            "\r\n\r\n{\"statusCode\":200,\"data\":{";
    return r;
  }
  if (p.action == reply::how::garbage) {
    r.raw = garbage_bytes();
    return r;
  }
  if (p.action == reply::how::stream) {
    const std::string start = "{\"statusCode\":200,\"data\":{\"session\":{\"nuances\":\"";
    r.chunked = p.chunked;
    r.stream_bytes = huge_50mb_size - start.size();
    r.raw = concat({"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n",
                    "X-Request-Id: ", rid, "\r\n",
                    p.chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                              : "Content-Length: " + std::to_string(huge_50mb_size) + "\r\n\r\n"});
    if (p.chunked) {
      char size[24];
      std::snprintf(size, sizeof size, "%zx\r\n", start.size());
      r.raw += concat({size, start, "\r\n"});
    } else {
      r.raw += start;
    }
    return r;
  }
  response& res = r.res;
  res.version(req.version());
  res.result(p.status);
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.set("X-Request-Id", rid);
  res.set("X-Powered-By", "Express");
  res.set("RateLimit-Policy",
          concat({std::to_string(p.rate.limit), ";w=", std::to_string(p.rate.window_seconds)}));
  res.set("RateLimit-Limit", std::to_string(p.rate.limit));
  res.set("RateLimit-Remaining", std::to_string(p.rate.remaining));
  res.set("RateLimit-Reset", std::to_string(p.rate.reset_seconds));
  if (!p.etag.empty()) res.set(http::field::etag, p.etag);
  if (p.retry_after) res.set(http::field::retry_after, std::to_string(p.retry_after->count()));
  if (!p.location.empty()) res.set(http::field::location, p.location);
  if (p.allow_header) res.set(http::field::allow, "GET");
  if (p.shared_body)
    res.body() = *p.shared_body;
  else if (p.status != http::status::not_modified)
    res.body() = std::move(p.body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return r;
}

void core::tally(const reply& r) {
  const auto bump = [](std::atomic<std::int64_t>& a) { a.fetch_add(1, std::memory_order_relaxed); };
  if (r.action == reply::how::reset) return bump(counters_.resets);
  if (r.action == reply::how::endless) return bump(counters_.endless_bodies);
  if (r.action == reply::how::garbage) return;
  if (r.action == reply::how::stream) return bump(counters_.ok_200);
  const unsigned code = r.res.result_int();
  if (code == 200)
    bump(counters_.ok_200);
  else if (code == 304)
    bump(counters_.not_modified_304);
  else if (code >= 300 && code < 400)
    bump(counters_.redirects_3xx);
  else if (code == 401)
    bump(counters_.unauthorized_401);
  else if (code == 404)
    bump(counters_.not_found_404);
  else if (code == 429)
    bump(counters_.rate_limited_429);
  else if (code >= 500)
    bump(counters_.errors_5xx);
}

void core::add_session(session_script script) {
  if (!valid_id(script.id))
    throw std::invalid_argument("sim: a session id is 24 lowercase hex characters");
  std::string id = script.id;
  const fault kind = script.fault_kind;
  const int polls = script.fault_polls;
  std::lock_guard lock(mu_);
  const std::uint64_t incarnation = seed_ * 31 + ++adds_;
  auto e = std::make_unique<entry>(
      entry{session_model(std::move(script), incarnation, steady_clock::now(), wall_clock::now(),
                          opts_.hide_progress),
            0, kind, kind == fault::none ? 0 : polls});
  sessions_.insert_or_assign(std::move(id), std::move(e));
}

bool core::remove_session(std::string_view id) {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  sessions_.erase(it);
  return true;
}

bool core::set_fault(std::string_view id, fault kind, int polls) {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second->fault_kind = kind;
  it->second->faults_left = kind == fault::none ? 0 : polls;
  return true;
}

void core::set_global_fault(fault kind, double fraction) {
  std::lock_guard lock(mu_);
  std::erase_if(global_faults_, [&](const global_fault& g) { return g.kind == kind; });
  if (kind != fault::none && fraction > 0) global_faults_.push_back({kind, fraction});
}

void core::set_api_key(std::string key) {
  std::lock_guard lock(mu_);
  api_key_ = std::move(key);
}

void core::set_latency(std::chrono::milliseconds latency) {
  latency_ms_.store(latency.count(), std::memory_order_relaxed);
}

std::int64_t core::polls_of(std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? 0 : it->second->polls;
}

}  // namespace fjwatch::sim::detail

namespace fjwatch::sim::detail {

std::vector<session_report> core::report() const {
  const auto unix_ms = [](wall_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  std::vector<session_report> out;
  std::lock_guard lock(mu_);
  out.reserve(sessions_.size());
  for (const auto& [id, e] : sessions_) {
    session_report r{.id = id, .added_unix_ms = unix_ms(e->model.created()), .polls = e->polls};
    if (const auto at = first_done_at(e->model.script()))
      r.done_unix_ms = r.added_unix_ms + at->count();
    if (const auto& served = e->model.done_served()) r.done_served_unix_ms = unix_ms(*served);
    out.push_back(std::move(r));
  }
  std::ranges::sort(out, {}, &session_report::id);
  return out;
}

}  // namespace fjwatch::sim::detail
