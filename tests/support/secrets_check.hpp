#pragma once
// The secrets sweep shared by the fault tests: after a run, neither the API key nor a webhook
// secret (as written, or its base64 part alone) may appear in what a user or an attacker can read:
// the daemon's stdout and stderr, every file under the workspace's state directory (the SQLite
// database, its WAL and journal), and every request the receiver got (headers and body).
// Header-only; no Boost.Test (it returns the places, the caller asserts on them).
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "support/process.hpp"
#include "support/receiver_thread.hpp"

namespace fjwatch::testing {

// Each secret and the forms it could leak in: whsec_<b64> also as <b64>.
inline std::vector<std::string> secret_forms(const std::vector<std::string>& secrets) {
  std::vector<std::string> out;
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    out.push_back(s);
    if (s.starts_with("whsec_") && s.size() > 6) out.push_back(s.substr(6));
  }
  return out;
}

// The default secrets of a test run: the workspace's API key and the receiver's webhook secret.
inline std::vector<std::string> default_secrets() {
  return {std::string(test_api_key), std::string(webhook_secret)};
}

// Where any of `secrets` was found, as "<place>: <secret's first 6 characters>...": empty when
// nowhere. `state` is walked recursively (a missing directory is no finding); `received` is
// what a receiver recorded (pass {} when none).
inline std::vector<std::string> find_secrets(const std::vector<std::string>& secrets,
                                             const child_process& daemon,
                                             const std::filesystem::path& state,
                                             const std::vector<sim::received>& received) {
  std::vector<std::string> found;
  const auto forms = secret_forms(secrets);
  auto scan = [&](std::string_view text, const std::string& place) {
    for (const auto& f : forms) {
      if (text.find(f) != std::string_view::npos)
        found.push_back(place + ": " + f.substr(0, 6) + "...");
    }
  };
  scan(daemon.err_text(), "stderr");
  scan(daemon.out_text(), "stdout");
  std::error_code ec;
  if (std::filesystem::is_directory(state, ec)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(state, ec)) {
      if (e.is_regular_file(ec)) scan(read_all(e.path()), e.path().string());
    }
  }
  for (std::size_t i = 0; i < received.size(); ++i) {
    const auto& r = received[i];
    std::string text = r.target + "\n" + r.body;
    for (const auto& [k, v] : r.headers) text += "\n" + k + ": " + v;
    scan(text, "request " + std::to_string(i));
  }
  return found;
}

}  // namespace fjwatch::testing
