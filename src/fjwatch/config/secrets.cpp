#include "fjwatch/config/secrets.hpp"

#include "fjwatch/http/url.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/util/read_file.hpp"
#include "fjwatch/util/text.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fjwatch {
namespace {

constexpr std::string_view blanks = " \t\r\n";
constexpr std::size_t max_secret_bytes = 64 << 10;

// The secret text from a file (trimmed) or an environment variable; the failure says which.
result<std::string> read_secret_text(const std::string& file, const std::string& env) {
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr) return fail("$" + env + " is not set");
    if (*v == '\0') return fail("$" + env + " is empty");
    return std::string(v);
  }
  const auto text = read_file(file, max_secret_bytes);
  if (!text) return fail(file + ": cannot read: " + text.error().what);
  const auto secret = trim(*text, blanks);
  if (secret.empty()) return fail(file + ": empty");
  return std::string(secret);
}

// The path of the key that names the j-th secret of the i-th action, as config::positions has it.
std::string secret_key(const config& cfg, std::size_t i, std::size_t j) {
  const std::string action = "actions[" + std::to_string(i) + "]";
  if (!cfg.actions[i].secret_env.empty()) return action + ".secret_env";
  const std::string listed = action + ".secret_file[" + std::to_string(j) + "]";
  return cfg.positions.contains(listed) ? listed : action + ".secret_file";
}

// One webhook action's secrets; each problem is added to `problems`.
std::vector<webhook_secret> load_webhook_secrets(const config& cfg, std::size_t i,
                                                 std::vector<diagnostic>& problems) {
  const action_config& a = cfg.actions[i];
  std::vector<std::string> files = a.secret_files;
  if (!a.secret_env.empty()) files = {""};
  std::vector<webhook_secret> out;
  for (std::size_t j = 0; j < files.size(); ++j) {
    const auto problem = [&](const std::string& what) {
      problems.push_back(
          cfg.problem_at(secret_key(cfg, i, j), "action \"" + a.name + "\": " + what));
    };
    const auto text = read_secret_text(files[j], a.secret_env);
    if (!text) {
      problem(text.error().what);
      continue;
    }
    log::add_secret(*text);
    auto secret = parse_webhook_secret(*text);
    if (!secret) {
      problem((a.secret_env.empty() ? files[j] : "$" + a.secret_env) + ": " + secret.error().what);
      continue;
    }
    out.push_back(*secret);
  }
  return out;
}

// The proxy for connections to `url` with the `proxy` and `proxy_auth_file` of the config at
// `path` ("api", "actions[2]"); nullopt (with a problem added) when it cannot be chosen.
std::optional<proxy_route> load_proxy(const config& cfg, const std::string& path,
                                      const std::string& url, const std::string& proxy,
                                      const std::string& auth_file, const proxy_environment& env,
                                      std::vector<diagnostic>& problems) {
  const auto origin = parse_url(url);
  if (!origin) return std::nullopt;  // the config reader has reported it
  std::string credentials;
  if (!auth_file.empty() && proxy != proxy_off) {
    const auto text = read_file(auth_file, max_secret_bytes);
    if (!text) {
      problems.push_back(cfg.problem_at(path + ".proxy_auth_file",
                                        auth_file + ": cannot read: " + text.error().what));
      return std::nullopt;
    }
    credentials = std::string(trim(*text, blanks));
    log::add_secret(credentials);
    if (const auto split = parse_proxy_credentials(credentials)) log::add_secret(split->second);
  }
  // A password in the URL itself is masked too.
  const std::string_view written = proxy.empty() ? std::string_view(env.https_proxy) : proxy;
  if (const auto parsed = parse_proxy_url(written); parsed && parsed->has_user) {
    log::add_secret(parsed->password);
  }
  auto chosen =
      choose_proxy({.configured = proxy, .credentials = credentials, .env = &env}, *origin);
  if (!chosen) {
    // choose_proxy names the key ("proxy_auth_file: ..."); the problem names the file instead.
    constexpr std::string_view file_key = "proxy_auth_file: ";
    const std::string& what = chosen.error().what;
    if (what.starts_with(file_key)) {
      problems.push_back(cfg.problem_at(path + ".proxy_auth_file",
                                        auth_file + ": " + what.substr(file_key.size())));
    } else {
      problems.push_back(cfg.problem_at(path + ".proxy", what));
    }
    return std::nullopt;
  }
  if (*chosen) log::add_secret((*chosen)->authorization);
  return *chosen;
}

}  // namespace

secrets_loaded load_secrets(const config& cfg, const proxy_environment* env) {
  secrets_loaded out;
  const proxy_environment from_environment = env != nullptr ? *env : read_proxy_environment();
  try {
    out.values.api_key = load_api_key(cfg);
    log::add_secret(out.values.api_key);
  } catch (const config_error& e) {
    out.problems = e.problems();
  }
  out.values.api_proxy = load_proxy(cfg, "api", cfg.api.base_url, cfg.api.proxy,
                                    cfg.api.proxy_auth_file, from_environment, out.problems);
  for (std::size_t i = 0; i < cfg.actions.size(); ++i) {
    if (cfg.actions[i].kind != action_kind::webhook) continue;
    const action_config& a = cfg.actions[i];
    auto loaded = load_webhook_secrets(cfg, i, out.problems);
    out.values.webhooks.emplace(a.name, std::move(loaded));
    out.values.webhook_proxies.emplace(
        a.name, load_proxy(cfg, "actions[" + std::to_string(i) + "]", a.url, a.proxy,
                           a.proxy_auth_file, from_environment, out.problems));
  }
  return out;
}

secrets_loaded load_action_secrets(const config& cfg, std::size_t index) {
  secrets_loaded out;
  if (cfg.actions.at(index).kind == action_kind::webhook) {
    auto loaded = load_webhook_secrets(cfg, index, out.problems);
    out.values.webhooks.emplace(cfg.actions[index].name, std::move(loaded));
  }
  return out;
}

std::vector<std::string> secret_variables(const config& cfg) {
  std::vector<std::string> names{"FJ_API_KEY"};
  for (const auto& a : cfg.actions) {
    if (!a.secret_env.empty()) names.push_back(a.secret_env);
  }
  std::ranges::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace fjwatch
