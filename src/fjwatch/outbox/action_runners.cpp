#include "fjwatch/outbox/detail/action_runner.hpp"

#include "fjwatch/process/command.hpp"
#include "fjwatch/net/http_connection.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/policy/webhook_retry.hpp"
#include "fjwatch/domain/event_template.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

namespace fjwatch {
namespace asio = boost::asio;

namespace {

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// log: one line through the daemon's logger. Always delivered.
class log_runner final : public action_runner {
 public:
  explicit log_runner(action_config a) : action_(std::move(a)) {}
  asio::awaitable<attempt_outcome> attempt(const delivery& d, std::size_t) override {
    const auto text = render_template(action_.template_text, d.type, d.event_id, d.fields);
    log::info("action.log", {{"action", action_.name},
                             {"event_type", to_string(d.type)},
                             {"event_id", d.event_id},
                             {"text", text}});
    co_return attempt_outcome{delivery_verdict::delivered, "ok", std::nullopt};
  }

 private:
  action_config action_;  // a copy: a reload may replace the config's
};

// The most of a receiver's answer body read; the rest is left unread (the status is what counts).
constexpr std::size_t max_answer_body = 64 * 1024;

// webhook: a signed POST (Standard Webhooks) over max_in_flight keep-alive connections to the
// target, one per slot.
class webhook_runner final : public action_runner {
 public:
  // `proxy`: the tunnel every connection goes through (none: direct).
  webhook_runner(asio::io_context& ioc, action_config a, url_parts url,
                 std::vector<webhook_secret> secrets, const std::optional<proxy_route>& proxy)
      : action_(std::move(a)), url_(url), secrets_(std::move(secrets)) {
    const auto tls = url.https() ? make_client_tls_context(action_.ca_file) : nullptr;
    for (int i = 0; i < std::max(1, action_.max_in_flight); ++i) {
      // Only the status of an answer counts: a long body is left unread.
      conns_.push_back(
          std::make_unique<http_connection>(ioc.get_executor(), tls, url,
                                            http_limits{.step_timeout = action_.timeout,
                                                        .max_body = max_answer_body,
                                                        .drop_oversized_body = true},
                                            proxy));
    }
  }

  std::size_t slots() const override { return conns_.size(); }

  asio::awaitable<attempt_outcome> attempt(const delivery& d, std::size_t slot) override {
    const auto timestamp = unix_seconds();
    http_request req;
    req.method = "POST";
    req.target = url_.target();
    req.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", "fjwatch/" FJWATCH_VERSION},
                   {"webhook-id", d.event_id},
                   {"webhook-timestamp", std::to_string(timestamp)},
                   {"webhook-signature", sign_webhook(d.event_id, timestamp, d.payload, secrets_)}};
    for (const auto& [name, value] : action_.headers) req.headers.push_back({name, value});
    req.body = d.payload;
    // Receivers dedupe on webhook-id, so a stale keep-alive connection may be retried once.
    req.idempotent = true;
    const auto res = co_await conns_.at(slot)->request(req, action_.timeout);
    if (!res) co_return attempt_outcome{delivery_verdict::retry, res.error().reason, std::nullopt};
    attempt_outcome out;
    out.verdict = classify_webhook_status(res->status);
    out.result = "HTTP " + std::to_string(res->status);
    out.answer = res->body.substr(0, max_answer_excerpt);
    out.retry_after = webhook_retry_after(res->status, res->header("Retry-After"),
                                          std::chrono::system_clock::now());
    co_return out;
  }

  void cancel() override {
    for (auto& c : conns_) c->close();
  }

 private:
  action_config action_;  // a copy: a reload may replace the config's
  url_parts url_;
  std::vector<webhook_secret> secrets_;
  std::vector<std::unique_ptr<http_connection>> conns_;
};

// command: the program with the event JSON on stdin; exit 0 is success.
class command_runner final : public action_runner {
 public:
  // `hidden`: the variables that hold secrets (secret_variables), kept out of every child.
  command_runner(asio::io_context& ioc, action_config a, std::vector<std::string> hidden)
      : ioc_(ioc),
        action_(std::move(a)),
        hidden_(std::move(hidden)),
        cancel_(static_cast<std::size_t>(std::max(1, action_.max_in_flight))) {}

  std::size_t slots() const override { return cancel_.size(); }

  asio::awaitable<attempt_outcome> attempt(const delivery& d, std::size_t slot) override {
    command_spec spec{
        .action_name = action_.name,
        .argv = action_.argv,
        .stdin_data = d.payload,
        .extra_env = event_environment(std::string(to_string(d.type)), d.event_id, d.session_id),
        .hidden_env = hidden_,
        .timeout = action_.timeout};
    // Run in its own coroutine so that cancel() (a stop) can end it: the child is killed.
    command_result r;
    try {
      r = co_await asio::co_spawn(
          ioc_, run_command(ioc_.get_executor(), std::move(spec)),
          asio::bind_cancellation_slot(cancel_.at(slot).slot(), asio::use_awaitable));
    } catch (const boost::system::system_error& e) {
      r.reason = std::string("cancelled: ") + e.code().message();
    }
    co_return attempt_outcome{r.ok ? delivery_verdict::delivered : delivery_verdict::retry,
                              r.ok ? "ok" : r.reason, std::nullopt};
  }

  void cancel() override {
    for (auto& c : cancel_) c.emit(asio::cancellation_type::terminal);
  }

 private:
  asio::io_context& ioc_;
  action_config action_;  // a copy: a reload may replace the config's
  std::vector<std::string> hidden_;
  std::vector<asio::cancellation_signal> cancel_;  // one per slot
};

}  // namespace

std::unique_ptr<action_runner> make_runner(asio::io_context& ioc, const config& cfg,
                                           std::size_t index, const secrets& keys) {
  const auto& a = cfg.actions[index];
  const std::string path = "actions[" + std::to_string(index) + "]";
  switch (a.kind) {
    case action_kind::log:
      return std::make_unique<log_runner>(a);
    case action_kind::command:
      return std::make_unique<command_runner>(ioc, a, secret_variables(cfg));
    case action_kind::webhook: {
      auto url = parse_url(a.url);
      if (!url) throw config_error({cfg.problem_at(path + ".url", url.error().what)});
      const auto signing = keys.webhooks.find(a.name);
      if (signing == keys.webhooks.end() || signing->second.empty()) {
        throw config_error(
            {cfg.problem_at(path, "action \"" + a.name + "\": no signing secret loaded")});
      }
      const auto proxy = keys.webhook_proxies.find(a.name);
      return std::make_unique<webhook_runner>(
          ioc, a, *url, signing->second,
          proxy != keys.webhook_proxies.end() ? proxy->second : std::nullopt);
    }
  }
  throw std::logic_error("unknown action kind");
}

}  // namespace fjwatch
