#pragma once
// Internal to the outbox: one runner per configured action, which makes one delivery attempt of
// one row. Runners never throw for a failed attempt: the outcome says what happened.
#include "fjwatch/config/config.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/signing/webhook.hpp"
#include "fjwatch/policy/webhook_retry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace fjwatch {

struct attempt_outcome {
  delivery_verdict verdict = delivery_verdict::retry;
  std::string result;                                    // short: "ok", "HTTP 503", "exit 3"
  std::optional<std::chrono::milliseconds> retry_after;  // the receiver's wait hint (429, 503)
  std::string answer;  // webhook: the first max_answer_excerpt bytes of the answer's body
};

// The most of a receiver's answer body an outcome keeps (for a person reading why it failed).
inline constexpr std::size_t max_answer_excerpt = 512;

// A runner has slots() independent channels (a webhook's keep-alive connections, a command's
// process slots); attempts on different slots may run at the same time, one per slot.
class action_runner {
 public:
  virtual ~action_runner() = default;
  virtual std::size_t slots() const { return 1; }
  // One attempt of `d` on channel `slot` (< slots()).
  virtual boost::asio::awaitable<attempt_outcome> attempt(const delivery& d, std::size_t slot) = 0;
  // Aborts every attempt in flight (stop); their outcomes come back as retry, and the caller
  // ignores them.
  virtual void cancel() {}
};

// The runner for the index-th action of the config. A webhook signs with keys.webhooks[its
// name] (throws config_error when none was loaded, or when its url does not parse); a command's
// children never see the variables of secret_variables(cfg).
std::unique_ptr<action_runner> make_runner(boost::asio::io_context& ioc, const config& cfg,
                                           std::size_t index, const secrets& keys);

}  // namespace fjwatch
