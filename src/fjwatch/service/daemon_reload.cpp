// The daemon's reload (SIGHUP) and the status it reports to systemd: kept apart from the wiring
// in daemon.cpp.
#include "fjwatch/service/daemon.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/config/reload_diff.hpp"

#include <cstdlib>
#include <filesystem>

namespace fjwatch {

void daemon::reload() {
  notifier_.reloading();
  if (cfg_.source.empty()) {
    log::info("config.reload_skipped", {{"reason", "built-in config, no file to read"}});
  } else {
    reload_config();
  }
  reload_watch_list();
  notifier_.reloaded();
}

// Reads the config file and every secret it names, then applies the live keys, the actions with
// their secrets, and the API key. A problem in the file or with a secret changes nothing.
void daemon::reload_config() {
  try {
    const auto next = load_config(cfg_.source);
    auto loaded = load_secrets(next);
    if (!loaded.problems.empty()) throw config_error(std::move(loaded.problems));
    if (outbox_) outbox_->reconfigure(next, loaded.values);  // throws before changing anything
    const auto changes = diff_config(cfg_, next);
    for (const auto& c : changes) {
      if (c.live) continue;
      log::warn("config.restart_needed",
                {{"key", c.key}, {"kept", "the running value, until a restart"}});
    }
    apply_live(cfg_, next);
    log::configure(cfg_.log.level, cfg_.log.format);
    if (scheduler_) scheduler_->reconfigure();
    take_api_key(loaded.values.api_key);
    auto api_proxy = std::move(keys_.api_proxy);  // restart-only, as the API's connections are
    keys_ = std::move(loaded.values);
    keys_.api_proxy = std::move(api_proxy);
    log::info("config.reloaded", {{"file", cfg_.source},
                                  {"applied", join_keys(changes, true)},
                                  {"needs_restart", join_keys(changes, false)}});
  } catch (const config_error& e) {
    log::problems("config.problem", e.problems());
    log::error("config.reload_rejected",
               {{"file", cfg_.source}, {"kept", "the running config, API key and secrets"}});
  } catch (const std::runtime_error& e) {
    // What building an action's runner meets beyond the file (a ca_file that does not load).
    log::error("config.reload_rejected", {{"file", cfg_.source},
                                          {"reason", e.what()},
                                          {"kept", "the running config, API key and secrets"}});
  }
}

// The key a reload read: polls not yet sent use it. The old one is dropped, not kept as a
// fallback.
void daemon::take_api_key(std::string key) {
  if (key == keys_.api_key) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir != nullptr && *dir != '\0' &&
        std::filesystem::exists(std::filesystem::path(dir) / "fj-api-key")) {
      log::info("api.key_unchanged",
                {{"source", "the systemd credential fj-api-key"},
                 {"note",
                  "systemd copies a credential when the service starts; see README, "
                  "\"Rotating the API key\""}});
    }
    return;
  }
  keys_.api_key = std::move(key);
  if (scheduler_) scheduler_->set_api_key(keys_.api_key);
  log::info("api.key_reloaded", {{"effect", "the next polls send the new key"}});
}

std::string daemon::status_text() {
  service_facts f;
  if (scheduler_) {
    const auto stats = scheduler_->stats();
    api_health_ = judge_api(api_health_, polls_seen_, stats.polls_by_outcome, stats.auth_failing);
    polls_seen_ = stats.polls_by_outcome;
    f.api = api_health_;
    f.sessions = scheduler_->counts();
    if (stats.api_pause && stats.api_pause->long_at(std::chrono::steady_clock::now())) {
      f.paused_until_unix_ms = stats.api_pause->until_unix_ms;
    }
  }
  if (db_) {
    try {
      f.deliveries_pending = db_->count_deliveries(delivery_state::pending);
      f.deliveries_failed = db_->count_deliveries(delivery_state::failed);
    } catch (const store_error& e) {
      fatal(e.what());
    }
  }
  return status_line(f);
}

}  // namespace fjwatch
