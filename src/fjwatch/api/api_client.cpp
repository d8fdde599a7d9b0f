// One poll of Get Session Details over the worker's keep-alive connection.
#include "fjwatch/api/api_client.hpp"

#include "fjwatch/api/fj_response.hpp"
#include "fjwatch/net/http_connection.hpp"
#include "fjwatch/http/token.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

namespace fjwatch {
namespace {

constexpr std::string_view session_path = "/api/v1/wl/sourcing-session/";

// Belt and braces: a reason built from server-supplied text must not carry the key either.
void redact(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
}

// An ETag is echoed in If-None-Match only when it cannot break the request's framing (the
// parser never lets one through, but a stored one came from an earlier run).
bool sendable(std::string_view etag) { return !etag.empty() && sendable_field_value(etag); }

poll_outcome from_http_error(const http_error& error) {
  poll_outcome out;
  const bool server_fault =
      error.what == http_error::kind::too_large || error.what == http_error::kind::bad_http;
  out.what = server_fault ? poll_outcome::kind::bad_response : poll_outcome::kind::network_error;
  out.reason = error.reason;
  return out;
}

poll_outcome from_response(const http_response& res) {
  response_headers headers;
  headers.etag = res.header("ETag");
  headers.retry_after = res.header("Retry-After");
  headers.ratelimit_remaining = res.header("RateLimit-Remaining");
  headers.ratelimit_reset = res.header("RateLimit-Reset");
  headers.request_id = res.header("X-Request-Id");
  headers.location = res.header("Location");
  return classify_response(res.status, headers, res.body, std::chrono::system_clock::now());
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_api_tls_context(const std::string& ca_file) {
  return make_client_tls_context(ca_file);
}

api_client::api_client(boost::asio::any_io_executor ex,
                       std::shared_ptr<boost::asio::ssl::context> tls, api_target target,
                       std::string api_key)
    : conn_(std::make_unique<http_connection>(
          std::move(ex), std::move(tls), target.base,
          http_limits{.step_timeout = target.timeout, .max_body = max_api_body}, target.proxy)),
      target_(std::move(target)),
      api_key_(std::move(api_key)),
      target_prefix_(target_.base.path + std::string(session_path)) {}

api_client::~api_client() = default;

void api_client::set_api_key(std::string key) {
  api_key_ = std::move(key);
  for (auto& r : reqs_) r.headers[fixed_headers - 1].value = api_key_;
}

boost::asio::awaitable<std::vector<poll_outcome>> api_client::poll_all(
    std::span<const poll_item> items) {
  const auto start = std::chrono::steady_clock::now();
  // The requests are kept between polls: only the target and If-None-Match change.
  while (reqs_.size() < items.size()) {
    http_request& r = reqs_.emplace_back();
    r.headers = {
        {"User-Agent", "fjwatch/" FJWATCH_VERSION},
        {"Accept", "application/json"},
        {"x-fj-api-key", api_key_},
    };
    r.headers.reserve(fixed_headers + 1);
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    http_request& r = reqs_[i];
    r.target.assign(target_prefix_).append(items[i].id.view());
    if (sendable(items[i].etag)) {
      if (r.headers.size() == fixed_headers) r.headers.push_back({"If-None-Match", {}});
      r.headers.back().value.assign(items[i].etag);
    } else if (r.headers.size() > fixed_headers) {
      r.headers.pop_back();
    }
  }

  const auto results =
      co_await conn_->request_all(std::span(reqs_.data(), items.size()), target_.timeout);
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  pipelining_problem_ = conn_->pipelining_problem();
  std::vector<poll_outcome> outcomes;
  outcomes.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& result = results[i];
    poll_outcome out = result ? from_response(*result) : from_http_error(result.error());
    const bool ok = out.what == poll_outcome::kind::ok;
    check_answer_is_for(out, items[i].id.view());
    if (ok && out.what != poll_outcome::kind::ok && items.size() > 1 &&
        pipelining_problem_.empty()) {
      pipelining_problem_ = "an answer for another session among " + std::to_string(items.size()) +
                            " pipelined requests";
    }
    redact(out.reason, api_key_);
    out.latency = latency;
    outcomes.push_back(std::move(out));
  }
  co_return outcomes;
}

void api_client::close() { conn_->close(); }

std::uint64_t api_client::connections_opened() const { return conn_->connections_opened(); }

}  // namespace fjwatch
