#pragma once
// One delivery attempt through an action's real runner, outside the daemon and its outbox: what
// `fjwatch test-action` sends. Nothing is read from or written to the store.
#include "fjwatch/config/config.hpp"
#include "fjwatch/config/secrets.hpp"
#include "fjwatch/policy/webhook_retry.hpp"
#include "fjwatch/store/store.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace fjwatch {

struct single_attempt {
  delivery_verdict verdict = delivery_verdict::retry;  // delivered, retry (failed) or gone (410)
  std::string result;  // the runner's: "HTTP 204", "ok", "exit 3", "timeout after 15s"...
  std::string answer;  // webhook: the start of the answer's body as received ("" for others)
  std::chrono::milliseconds took{0};  // from the attempt's start to its outcome
};

// Makes one attempt of `d` with the index-th action of `cfg` on a loop of its own, with the same
// runner, signing, headers, limits and timeout as the daemon's outbox (make_runner), and returns
// when it ends: the runner's timeout bounds it. The action's `on:` list is not consulted. Throws
// config_error as make_runner does (an unparsable url, no signing secret in `keys`), and what the
// runner's construction throws (a ca_file that does not load).
single_attempt attempt_once(const config& cfg, std::size_t index, const secrets& keys,
                            const delivery& d);

}  // namespace fjwatch
