// Webhook deliveries per second from one fjwatch daemon to one loopback receiver over TLS.
//
// 1. Prefill: the real daemon runs against the simulated API until N sessions reached done while
//    the receiver is down, so N signed deliveries wait in its outbox. That state is kept.
// 2. Each run copies the state, starts the daemon with the receiver up and times the first to the
//    last arrival; the daemon's CPU time comes from /proc. Once with the hook's max_in_flight at
//    1 (one request, then one commit), once at the default 4 (waves of 4, one commit each).
// 3. Baseline, in the same run: the same N payloads posted and signed by this process over one
//    keep-alive TLS connection, one after another, with no outbox (what the network path alone
//    allows on this machine).
// Prints one table: medians over the runs and the ratio of the daemon to the baseline.
#include "fjwatch/net/http_connection.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/signing/webhook.hpp"
#include "support/process.hpp"
#include "support/receiver_thread.hpp"
#include "fjwatch/http/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct options {
  std::size_t events = 5000;
  int runs = 5;
};

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) {
      o.events = std::stoul(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      o.runs = std::stoi(argv[++i]);
    } else {
      throw std::invalid_argument("usage: fjwatch-bench-deliver [--events N] [--runs R]");
    }
  }
  if (o.events < 2 || o.runs < 1) throw std::invalid_argument("--events >= 2, --runs >= 1");
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// user+sys CPU seconds of a running process.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A workspace whose daemon posts every event to `rx` (action "hook").
struct bench_rig : t::rig {
  explicit bench_rig(t::receiver_thread& rx) : url(rx->url()) {
    dir.write("hook.secret", std::string(t::webhook_secret) + "\n");
    dir.write("hook-ca.pem", rx->ca_pem());
    cfg.default_actions = std::vector<std::string>{"hook"};
    cfg.rate = "5000/s";
    hook_timeout("15s");
  }
  void hook_timeout(const std::string& timeout, int in_flight = 4) {
    cfg.more_actions =
        t::webhook_action({.url = url, .timeout = timeout, .max_in_flight = in_flight});
  }
  std::string url;
};

// Step 1: N sessions done, N deliveries pending and never attempted in <rig>/state: the receiver
// holds the first attempt unanswered until the stop, which cuts it without recording it.
void prefill(bench_rig& r, t::receiver_thread& rx, std::size_t n) {
  std::vector<std::string> ids;
  for (unsigned i = 0; i < n; ++i) ids.push_back(t::hex_id(100000 + i));
  for (const auto& id : ids) r.api->add_session(fjwatch::sim::done_after(id, 0ms));
  r.watch(ids);
  rx->set_default({fjwatch::sim::reply_kind::hang, 200, ""});
  r.hook_timeout("600s");
  auto c = r.start_ready();
  const bool done = c->wait_for(
      [&](const std::vector<std::string>& lines, bool) {
        return t::count_field(lines, "session.done", "event_id").size() >= n;
      },
      600s);
  if (!done || t::terminate(*c) != 0) throw std::runtime_error("prefill failed:" + t::tail(*c));
  r.watch({});
  r.hook_timeout("15s");
  rx->set_default({});
}

struct run_figures {
  double per_second = 0;
  double cpu_per_1000 = 0;  // daemon CPU seconds per 1,000 deliveries
};

// Step 2: one timed run on a copy of the prefilled state.
run_figures timed_run(bench_rig& r, t::receiver_thread& rx, const fs::path& template_state,
                      std::size_t n) {
  fs::remove_all(r.dir / "state");
  fs::copy(template_state, r.dir / "state", fs::copy_options::recursive);
  const auto before = rx->count();
  auto c = r.start();
  if (!rx->wait_for_count(before + n, 600s))
    throw std::runtime_error("run incomplete:" + t::tail(*c));
  const double cpu = cpu_seconds(c->pid());
  if (t::terminate(*c) != 0) throw std::runtime_error("daemon failed:" + t::tail(*c));
  const auto got = rx->deliveries();
  const auto span = std::chrono::duration<double>(got.back().at - got[before].at).count();
  return {static_cast<double>(n - 1) / span, cpu * 1000.0 / static_cast<double>(n)};
}

// Step 3: the same payloads straight from this process, one connection, no outbox.
double baseline(t::receiver_thread& rx, const std::vector<fjwatch::delivery>& rows) {
  boost::asio::io_context ioc;
  const auto url = fjwatch::parse_url(rx->url()).value();
  fs::path ca = fs::temp_directory_path() / ("fjwatch-bench-ca-" + std::to_string(getpid()));
  std::ofstream(ca) << rx->ca_pem();
  fjwatch::http_connection conn(ioc.get_executor(), fjwatch::make_client_tls_context(ca.string()),
                                url);
  fs::remove(ca);
  std::vector<fjwatch::webhook_secret> secrets{
      fjwatch::parse_webhook_secret(t::webhook_secret).value()};
  const auto before = rx->count();
  auto post_all = [&]() -> boost::asio::awaitable<void> {
    for (const auto& d : rows) {
      const auto ts = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      fjwatch::http_request req;
      req.method = "POST";
      req.target = url.target();
      req.headers = {
          {"Content-Type", "application/json"},
          {"webhook-id", d.event_id},
          {"webhook-timestamp", std::to_string(ts)},
          {"webhook-signature", fjwatch::sign_webhook(d.event_id, ts, d.payload, secrets)}};
      req.body = d.payload;
      const auto res = co_await conn.request(std::move(req), 10s);
      if (!res || res->status != 200) throw std::runtime_error("baseline request failed");
    }
  };
  auto done = boost::asio::co_spawn(ioc, post_all(), boost::asio::use_future);
  ioc.run();
  done.get();
  const auto got = rx->deliveries();
  const auto span = std::chrono::duration<double>(got.back().at - got[before].at).count();
  return static_cast<double>(rows.size() - 1) / span;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto opt = parse_args(argc, argv);
  t::receiver_thread rx;
  bench_rig r(rx);
  std::cerr << "prefill: " << opt.events << " sessions to done, deliveries held\n";
  prefill(r, rx, opt.events);
  const fs::path template_state = r.dir / "state-template";
  fs::rename(r.dir / "state", template_state);
  std::vector<fjwatch::delivery> rows;
  {
    fjwatch::store db(template_state);
    rows = db.list_deliveries(fjwatch::delivery_state::pending, opt.events);
  }
  if (rows.size() != opt.events)
    throw std::runtime_error("prefill left " + std::to_string(rows.size()) + " rows");

  // Interleaved, so that the machine's noise falls on all three alike.
  std::vector<double> one_rate, one_cpu, four_rate, four_cpu, base_rate;
  for (int i = 0; i < opt.runs; ++i) {
    r.hook_timeout("15s", 1);
    const auto one = timed_run(r, rx, template_state, opt.events);
    r.hook_timeout("15s", 4);
    const auto four = timed_run(r, rx, template_state, opt.events);
    one_rate.push_back(one.per_second);
    one_cpu.push_back(one.cpu_per_1000);
    four_rate.push_back(four.per_second);
    four_cpu.push_back(four.cpu_per_1000);
    base_rate.push_back(baseline(rx, rows));
    std::cerr << "run " << i + 1 << ": daemon " << one.per_second << "/s (1 in flight), "
              << four.per_second << "/s (4 in flight); baseline " << base_rate.back() << "/s\n";
  }
  const double b = median(base_rate);
  std::printf(
      "| median of %d runs, %zu deliveries of %zu bytes each | deliveries/s | vs baseline "
      "| daemon CPU s per 1,000 |\n|---|---|---|---|\n",
      opt.runs, opt.events, rows.front().payload.size());
  std::printf("| fjwatch, webhook max_in_flight 4 (default) | %.0f | %.2f | %.3f |\n",
              median(four_rate), median(four_rate) / b, median(four_cpu));
  std::printf("| fjwatch, webhook max_in_flight 1 | %.0f | %.2f | %.3f |\n", median(one_rate),
              median(one_rate) / b, median(one_cpu));
  std::printf("| baseline: signed POSTs over one connection, no outbox | %.0f | 1.00 | - |\n", b);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "fjwatch-bench-deliver: " << e.what() << "\n";
  return 1;
}
