#pragma once
// Every secret a config names: the API key and each webhook action's signing secrets. Loaded
// once when the daemon starts and the same way by `fjwatch check`, so that check finds every
// problem run would meet; and named, so that no child process inherits one.
#include "fjwatch/config/config.hpp"
#include "fjwatch/http/proxy.hpp"
#include "fjwatch/signing/webhook.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <map>
#include <string>
#include <vector>

namespace fjwatch {

struct secrets {
  std::string api_key;
  // By action name: each webhook action's signing secrets, in the order its secret_file lists
  // them (one for secret_env).
  std::map<std::string, std::vector<webhook_secret>, std::less<>> webhooks;
  // The proxy of the API's connections and of each webhook action's (by name; absent or nullopt:
  // direct), with its Proxy-Authorization: chosen from the config and the environment as it was
  // when loaded (choose_proxy).
  std::optional<proxy_route> api_proxy;
  std::map<std::string, std::optional<proxy_route>, std::less<>> webhook_proxies;
};

struct secrets_loaded {
  secrets values;
  std::vector<diagnostic> problems;  // empty when every secret was found and is well-formed
};

// Reads the API key (load_api_key's places) and every webhook action's secret_file(s) or
// secret_env, each parsed as a Standard Webhooks secret ("whsec_" + base64 of 24..64 bytes). Does
// not stop at the first problem: every missing, unreadable, empty, unset or malformed secret is a
// problem of its own, naming the action and the position of the key that names the secret (the
// API key's as load_api_key words it). No problem quotes a secret. Every secret read, good or
// bad, is registered with the logger's mask.
// Also chooses the proxy of the API and of every webhook with `env` (read_proxy_environment()
// when not given), reading each proxy_auth_file: an unreadable or malformed one, or a proxy URL
// in the environment that does not parse, is a problem too.
secrets_loaded load_secrets(const config& cfg, const proxy_environment* env = nullptr);

// The secrets of the index-th action alone, loaded and checked as load_secrets does: a
// webhook's signing secrets (no API key, nothing for other kinds). For `fjwatch test-action`,
// which talks to no API.
secrets_loaded load_action_secrets(const config& cfg, std::size_t index);

// The environment variables the config names as holding a secret: FJ_API_KEY (always a place of
// the API key) and every webhook's secret_env, sorted, each once. No child process gets them.
std::vector<std::string> secret_variables(const config& cfg);

}  // namespace fjwatch
