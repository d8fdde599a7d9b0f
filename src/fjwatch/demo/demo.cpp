#include "fjwatch/demo/demo.hpp"

#include "fjwatch/service/daemon.hpp"
#include "fjwatch/log/log.hpp"
#include "sim/receiver.hpp"
#include "sim/sim.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

namespace fjwatch {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* demo_key = "fjk_demo_0123456789abcdef";
// The demo receiver's Standard Webhooks secret (32 bytes, base64).
constexpr const char* demo_secret = "whsec_ZGVtby1zZWNyZXQtZm9yLWZqd2F0Y2gtd2ViaG9va3M=";

struct scenario {
  sim::session_script script;
  std::string label;
  std::string expect;  // what the demo waits to see, for the summary
  int events = 1;      // events this scenario must fire
};

// The sessions the demo watches; `u` is one scripted second.
std::vector<scenario> scenarios(millis u) {
  std::vector<scenario> out;
  auto add = [&](sim::session_script s, std::string title, std::string label, std::string expect,
                 int events = 1) {
    s.title = std::move(title);
    out.push_back(scenario{std::move(s), std::move(label), std::move(expect), events});
  };
  add(sim::done_after("69f45196c8bbf1ce65b5bcd6", 8 * u), ".NET Developer", "Pune .NET",
      "done after ~8s");
  add(sim::done_after("69f45196c8bbf1ce65b5bc01", 15 * u), "Site Reliability Engineer",
      "Berlin SRE", "done after ~15s");
  add(sim::done_after("69f45196c8bbf1ce65b5bc02", 24 * u), "Rust Engineer", "Remote Rust",
      "done after ~24s");
  auto flaky = sim::done_after("69f45196c8bbf1ce65b5bc03", 32 * u);
  flaky.fault_kind = sim::fault::http_503;
  flaky.fault_polls = 3;
  add(std::move(flaky), "Data Analyst", "Lisbon data", "3 x 503 first (backoff), done after ~32s");
  add(sim::fetch_more_cycle("69f45196c8bbf1ce65b5bc04", 10 * u, 18 * u, 30 * u), "MLOps Engineer",
      "Toronto MLOps", "done, Fetch More, done again", 2);
  add(sim::done_after("69f45196c8bbf1ce65b5bc05", 40 * u), "Product Designer", "Lagos design",
      "done after ~40s");
  return out;
}

constexpr const char* unknown_id = "69f45196c8bbf1ce65b5ffff";

std::string scaled(millis u, double units) {
  return format_duration(millis(static_cast<millis::rep>(static_cast<double>(u.count()) * units)));
}

// Writes the demo's config and watch list into `dir`; returns the config path.
fs::path write_files(const fs::path& dir, const sim::server& api, const sim::receiver& rx, millis u,
                     const std::vector<scenario>& list) {
  std::ofstream(dir / "ca.pem") << api.ca_pem();
  std::ofstream(dir / "hook-ca.pem") << rx.ca_pem();
  std::ofstream(dir / "hook.secret") << demo_secret << "\n";
  std::ofstream(dir / "api-key") << demo_key << "\n";
  std::ofstream wl(dir / "watchlist.yaml");
  wl << "# Written by fjwatch demo.\nsessions:\n";
  for (const auto& s : list) wl << "  - { id: " << s.script.id << ", label: " << s.label << " }\n";
  wl << "  - { id: " << unknown_id << ", label: Deleted session }\n";
  wl.close();
  std::ofstream cfg(dir / "fjwatch.yaml");
  cfg << "api:\n  base_url: " << api.base_url() << "\n  api_key_file: api-key\n  ca_file: ca.pem\n"
      << "  timeout: " << scaled(u, 5) << "\n  max_in_flight: 4\n  rate: 20/s\n"
      << "poll:\n  interval: " << scaled(u, 2) << "\n  max_interval: " << scaled(u, 5)
      << "\n  multiplier: 1.5\n  jitter: 0.1\n  after_done: watch\n"
      << "retry:\n  initial: " << scaled(u, 1) << "\n  max: " << scaled(u, 4) << "\n"
      << "watchlist: watchlist.yaml\nstate_dir: state\ncontrol: \"\"\n"
      << "actions:\n  - name: journal\n    type: log\n    on: [session.done]\n"
      << "    template: \"{title} ({label}) is ready: {matched} profiles\"\n"
      << "  - name: alerts\n    type: log\n    on: [session.not_found, session.timeout]\n"
      << "    template: \"{event}: {label} ({session_id}) needs a look\"\n"
      << "  - name: team-hook\n    type: webhook\n    on: [session.done]\n    url: " << rx.url()
      << "\n    secret_file: hook.secret\n    ca_file: hook-ca.pem\n    timeout: " << scaled(u, 2)
      << "\n    retry_schedule: [" << scaled(u, 1) << ", " << scaled(u, 2) << ", " << scaled(u, 3)
      << ", " << scaled(u, 4) << ", " << scaled(u, 5) << ", " << scaled(u, 5) << "]\n"
      << "defaults:\n  actions: [journal, alerts, team-hook]\n";
  return dir / "fjwatch.yaml";
}

std::string status_text(const session_view& v) {
  switch (v.phase) {
    case session_phase::not_found:
      return "not found";
    case session_phase::timed_out:
      return "timed out";
    default:
      break;
  }
  return v.status ? std::string(to_string(*v.status)) : "-";
}

std::string seconds_until(std::int64_t unix_ms, std::int64_t now_ms) {
  if (unix_ms == 0) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << std::max<double>(0, (unix_ms - now_ms) / 1000.0)
    << "s";
  return s.str();
}

void draw(std::ostream& out, const daemon& d, const sim::receiver& rx,
          const std::deque<std::string>& lines, bool live, millis elapsed) {
  auto views = d.sessions();
  std::ranges::sort(views, {}, &session_view::label);
  const auto now_ms =
      std::chrono::duration_cast<millis>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (live) out << "\x1b[H\x1b[2J";
  out << "fjwatch demo: " << std::fixed << std::setprecision(1) << elapsed.count() / 1000.0
      << "s; a simulated FJ API on loopback over TLS, the daemon polling it\n\n";
  out << std::left << std::setw(26) << "SESSION" << std::setw(17) << "LABEL" << std::setw(15)
      << "STATUS" << std::setw(9) << "MATCHED" << std::setw(7) << "POLLS" << std::setw(11)
      << "NEXT POLL" << std::setw(8) << "EVENTS"
      << "LAST ERROR\n";
  for (const auto& v : views) {
    out << std::setw(26) << v.id << std::setw(17) << v.label << std::setw(15) << status_text(v)
        << std::setw(9) << (std::to_string(v.matched) + "/" + std::to_string(v.total_for_matching))
        << std::setw(7) << v.polls << std::setw(11) << seconds_until(v.next_poll_ms, now_ms)
        << std::setw(8) << v.events << v.last_error << "\n";
  }
  const auto got = rx.deliveries();
  const auto verified = std::ranges::count_if(got, [](const auto& r) { return r.signature_ok; });
  out << "\nwebhook receiver " << rx.url() << ": " << (rx.is_up() ? "up" : "DOWN (outage)") << ", "
      << got.size() << " requests, " << verified << " signatures verified, " << rx.ids().size()
      << " distinct events\n";
  if (live) {
    out << "\nlog:\n";
    for (const auto& l : lines) out << "  " << l << "\n";
  }
  out << std::flush;
}

}  // namespace

int run_demo(std::ostream& out, const demo_options& opts) {
  const millis u = opts.time_scale;
  char tmpl[] = "/tmp/fjwatch-demo-XXXXXX";
  if (!mkdtemp(tmpl)) {
    out << "fjwatch demo: cannot create a temporary directory\n";
    return 1;
  }
  const fs::path dir = tmpl;
  asio::io_context ioc(1);

  sim::options so;
  so.api_key = demo_key;
  so.log = [](std::string_view) {};
  sim::server api(ioc, so);
  sim::receiver_options ro;
  ro.secrets = {demo_secret};
  ro.log = [](std::string_view) {};
  sim::receiver rx(ioc, ro);
  const auto list = scenarios(u);
  std::size_t dones = 0;
  for (const auto& s : list) {
    api.add_session(s.script);
    dones += static_cast<std::size_t>(s.events);
  }
  // Every done goes to the journal and the webhook; the unknown session's not_found to alerts.
  const std::size_t expected_events = dones + 1;
  const std::size_t expected_deliveries = 2 * dones + 1;

  std::deque<std::string> lines;
  log::set_sink([&](std::string_view line) {
    if (opts.live) {
      lines.emplace_back(line);
      if (lines.size() > 12) lines.pop_front();
    } else {
      out << line << "\n";
    }
  });

  int code = 1;
  {
    auto cfg = load_config(write_files(dir, api, rx, u, list));
    // Everything is on loopback: a proxy of the environment (HTTPS_PROXY) must not take it.
    const proxy_environment direct;
    auto keys = load_secrets(cfg, &direct);
    if (!keys.problems.empty()) throw config_error(std::move(keys.problems));
    daemon d(ioc, std::move(cfg), std::move(keys.values),
             daemon_options{.handle_signals = false, .notify_systemd = false});
    d.start();
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + 90 * u;
    asio::steady_timer tick(ioc);
    int ticks = 0;
    std::function<void()> on_tick = [&] {
      const auto now = std::chrono::steady_clock::now();
      const auto elapsed = std::chrono::duration_cast<millis>(now - started);
      // A terminal gets the table redrawn in place; a pipe gets it every 10 ticks.
      if (opts.live || ticks++ % 10 == 0) draw(out, d, rx, lines, opts.live, elapsed);
      // The receiver is down from 12 to 22 scripted seconds: deliveries wait, then arrive.
      if (elapsed >= 12 * u && elapsed < 22 * u && rx.is_up()) rx.go_down();
      if (elapsed >= 22 * u && !rx.is_up()) rx.go_up();
      const bool all_seen = d.stats().events_recorded >= expected_events &&
                            d.delivered() >= expected_deliveries && rx.ids().size() >= dones;
      if (all_seen || now > deadline || d.exit_code() != 0) {
        code = all_seen && d.exit_code() == 0 ? 0 : 1;
        draw(out, d, rx, lines, opts.live, elapsed);
        d.stop();
        api.stop();
        rx.stop();
        return;
      }
      tick.expires_after(std::min<millis>(u / 2, 500ms));
      tick.async_wait([&](boost::system::error_code ec) {
        if (!ec) on_tick();
      });
    };
    on_tick();
    ioc.run();

    const auto st = api.snapshot();
    out << "\n"
        << (code == 0 ? "Done." : "The demo did not see everything it expected.") << " "
        << d.stats().events_recorded << " events recorded, " << d.delivered()
        << " deliveries made (log lines and signed webhooks); the API answered " << st.requests
        << " requests (" << st.ok_200 << " x 200, " << st.not_modified_304 << " x 304, "
        << st.errors_5xx << " x 5xx, " << st.not_found_404 << " x 404) over " << st.tls_handshakes
        << " TLS connections.\n";
    for (const auto& s : list) out << "  " << s.label << ": " << s.expect << "\n";
    out << "  Deleted session: 404, session.not_found fired once, polling stopped\n";
    out << "  Webhook receiver: down from 12s to 22s; " << rx.ids().size()
        << " events arrived, every signature verified by the receiver's own check\n";
    out << "Files: " << dir.string() << " (config, watch list, SQLite state)\n";
  }
  log::set_sink({});
  return code;
}

}  // namespace fjwatch
