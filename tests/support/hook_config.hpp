#pragma once
// A webhook action for the in-process daemon tests: its `actions:` entry, the files it names, and
// its delivery rows as the store has them.
#include "support/daemon_env.hpp"
#include "support/receiver_thread.hpp"

#include <string>
#include <vector>

namespace itest::hooks {

using fjwatch::testing::receiver_thread;

// What a test's webhook action varies; the rest is the same for every test.
struct hook_settings {
  std::string path = "/hook";  // on the receiver, query included
  std::string secret_file;     // "": <name>.secret, as hook_files() writes it
  std::string timeout = "500ms";
  std::string retry_schedule = "[100ms, 100ms, 100ms, 100ms, 100ms, 100ms]";
  int max_in_flight = 0;  // 0: the default
};

// An `actions:` entry for a webhook to `rx`; its secret and CA files are written by hook_files()
// (the config names them relative to itself).
inline std::string hook_yaml(const std::string& name, receiver_thread& rx,
                             const hook_settings& s = {}) {
  const std::string secret_file = s.secret_file.empty() ? name + ".secret" : s.secret_file;
  std::string y = "  - name: " + name + "\n    type: webhook\n    url: " + rx->url(s.path) +
                  "\n    secret_file: " + secret_file + "\n    ca_file: " + name +
                  "-ca.pem\n    timeout: " + s.timeout +
                  "\n    retry_schedule: " + s.retry_schedule +
                  "\n    headers: { X-Team: sourcing }\n";
  if (s.max_in_flight > 0) y += "    max_in_flight: " + std::to_string(s.max_in_flight) + "\n";
  return y;
}
inline void hook_files(const std::string& name, receiver_thread& rx, const ft::temp_dir& dir) {
  dir.write(name + ".secret", std::string(fjwatch::testing::webhook_secret) + "\n");
  dir.write(name + "-ca.pem", rx->ca_pem());
}

inline std::vector<fjwatch::delivery> deliveries_of(env& e, const std::string& event_id) {
  fjwatch::store db(e.state_dir());
  return db.deliveries_of(event_id);
}

}  // namespace itest::hooks
