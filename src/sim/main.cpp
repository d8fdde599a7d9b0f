// fjwatch-sim: the simulated FJ API as a process, for benchmarks and manual tries.
#include "fjwatch/util/units.hpp"
#include "sim/certs.hpp"
#include "sim/sim.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace sim = fjwatch::sim;

constexpr int exit_usage = 64;

constexpr const char* usage_text = R"(usage: fjwatch-sim [options]
  --port N             listen on 127.0.0.1:N (default 0: any free port)
  --http               plain HTTP instead of HTTPS
  --cert-dir DIR       use DIR/cert.pem + DIR/key.pem (and DIR/ca.pem) if present; otherwise
                       make a CA and a certificate, and write the CA to DIR/ca.pem
  --api-key KEY        the key requests must carry (default fjk_sim_key)
  --sessions N         serve N sessions, ids 000000000000000000000001 upwards (default 0)
  --done-after DUR     each is done DUR after start, give or take 20% (default 30s)
  --workload NAME      "steady" (the default: --done-after); "realistic": searches of
                       20s..10m (log-normal, median 60s) whose matched count rises in batches;
                       "lagged": searches of 20s..5m (median 60s) that show nothing matched
                       for 10-30% of their time, then rise evenly to the total
  --seed N             the workload's seed (default 1): same seed, same sessions
  --hide-progress      totalProfilesMatched stays 0 until done
  --report FILE        at exit, write one CSV line per session: id, added, done and first
                       served done (unix ms; empty if none), polls
  --watchlist-out FILE write a watch list YAML with those ids
  --latency DUR        delay before every answer (default 0s)
  --fraction-503 F     answer this fraction (0..1) of requests with 503
  --rate-limit N       requests per window (default 1000000)
  --rate-window DUR    the window (default 60s)
  --threads N          threads serving (default 1)
The first line on stdout is "listening on <url>". Runs until SIGINT or SIGTERM.
)";

enum class workload { steady, realistic, lagged };

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct settings {
  sim::options opts;
  std::string cert_dir;
  std::string watchlist_out;
  std::int64_t sessions = 0;
  std::chrono::milliseconds done_after{30000};
  workload kind = workload::steady;
  std::uint64_t seed = 1;
  std::string report;
  int threads = 1;
};

template <class T>
T parse_number(std::string_view flag, std::string_view text, T min, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    std::ostringstream msg;
    msg << flag << ": expected a number from " << min << " to " << max << ", got \"" << text
        << "\"";
    throw usage_error(msg.str());
  }
  return value;
}

std::chrono::milliseconds parse_dur(std::string_view flag, std::string_view text) {
  const auto d = fjwatch::parse_duration(text);
  if (!d) throw usage_error(std::string(flag) + ": " + d.error().what);
  return *d;
}

workload parse_workload(std::string_view text) {
  if (text == "steady") return workload::steady;
  if (text == "realistic") return workload::realistic;
  if (text == "lagged") return workload::lagged;
  throw usage_error("--workload: expected steady, realistic or lagged, got \"" + std::string(text) +
                    "\"");
}

settings parse_args(const std::vector<std::string_view>& args) {
  settings s;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw usage_error(std::string(flag) + ": needs a value");
      return args[++i];
    };
    if (flag == "--port")
      s.opts.port = parse_number<std::uint16_t>(flag, value(), 0, 65535);
    else if (flag == "--http")
      s.opts.tls = false;
    else if (flag == "--cert-dir")
      s.cert_dir = value();
    else if (flag == "--api-key")
      s.opts.api_key = value();
    else if (flag == "--sessions")
      s.sessions = parse_number<std::int64_t>(flag, value(), 0, 10000000);
    else if (flag == "--done-after")
      s.done_after = parse_dur(flag, value());
    else if (flag == "--workload")
      s.kind = parse_workload(value());
    else if (flag == "--seed")
      s.seed = parse_number<std::uint64_t>(flag, value(), 0, UINT64_MAX);
    else if (flag == "--hide-progress")
      s.opts.hide_progress = true;
    else if (flag == "--report")
      s.report = value();
    else if (flag == "--watchlist-out")
      s.watchlist_out = value();
    else if (flag == "--latency")
      s.opts.latency = parse_dur(flag, value());
    else if (flag == "--fraction-503")
      s.opts.fraction_503 = parse_number<double>(flag, value(), 0.0, 1.0);
    else if (flag == "--rate-limit")
      s.opts.rate_limit = parse_number<std::int64_t>(flag, value(), 1, INT64_MAX);
    else if (flag == "--rate-window")
      s.opts.rate_window =
          std::chrono::duration_cast<std::chrono::seconds>(parse_dur(flag, value()));
    else if (flag == "--threads")
      s.threads = parse_number<int>(flag, value(), 1, 256);
    else
      throw usage_error(std::string("unknown option ").append(flag));
  }
  if (s.opts.rate_window.count() < 1) throw usage_error("--rate-window: at least 1s");
  return s;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Loads DIR/cert.pem + key.pem when both exist; otherwise makes a CA and a leaf and writes the
// CA to DIR/ca.pem.
void prepare_certs(settings& s) {
  if (!s.opts.tls || s.cert_dir.empty()) return;
  const std::filesystem::path dir = s.cert_dir;
  if (std::filesystem::exists(dir / "cert.pem") && std::filesystem::exists(dir / "key.pem")) {
    s.opts.cert = {read_text(dir / "cert.pem"), read_text(dir / "key.pem")};
    if (std::filesystem::exists(dir / "ca.pem")) s.opts.ca_pem = read_text(dir / "ca.pem");
    return;
  }
  const sim::pem_pair ca = sim::make_ca("fjwatch-sim CA");
  s.opts.cert = sim::issue_cert(ca, {"localhost", "127.0.0.1"});
  s.opts.ca_pem = ca.cert;
  sim::write_file((dir / "ca.pem").string(), ca.cert, 0644);
}

std::string session_id_for(std::int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%024llx", static_cast<unsigned long long>(n));
  return buf;
}

// Steady: session n is done after `base` shifted by a fixed -20%..+20%, so runs are repeatable.
// Realistic, lagged: sim::realistic_session, sim::lagged_session for the seed.
std::vector<sim::session_script> make_sessions(const settings& s) {
  std::vector<sim::session_script> out;
  for (std::int64_t n = 1; n <= s.sessions; ++n) {
    if (s.kind == workload::realistic) {
      out.push_back(sim::realistic_session(session_id_for(n), s.seed, n));
      continue;
    }
    if (s.kind == workload::lagged) {
      out.push_back(sim::lagged_session(session_id_for(n), s.seed, n));
      continue;
    }
    const std::int64_t percent = (n * 37) % 41 - 20;
    const auto after = s.done_after + s.done_after * percent / 100;
    out.push_back(sim::done_after(session_id_for(n), after));
  }
  return out;
}

void write_watchlist(const std::string& path, const std::vector<sim::session_script>& sessions) {
  std::string yaml = "sessions:\n";
  for (const auto& s : sessions) yaml += "  - " + s.id + "\n";
  if (sessions.empty()) yaml = "sessions: []\n";
  sim::write_file(path, yaml, 0644);
}

std::string optional_ms(const std::optional<std::int64_t>& ms) {
  return ms ? std::to_string(*ms) : std::string();
}

void write_report(const std::string& path, const std::vector<sim::session_report>& rows) {
  std::string csv = "id,added_unix_ms,done_unix_ms,done_served_unix_ms,polls\n";
  for (const auto& r : rows) {
    csv += r.id + "," + std::to_string(r.added_unix_ms) + "," + optional_ms(r.done_unix_ms) + "," +
           optional_ms(r.done_served_unix_ms) + "," + std::to_string(r.polls) + "\n";
  }
  sim::write_file(path, csv, 0644);
}

int serve(settings s) {
  prepare_certs(s);
  const std::vector<sim::session_script> sessions = make_sessions(s);
  if (!s.watchlist_out.empty()) write_watchlist(s.watchlist_out, sessions);

  boost::asio::io_context ioc(s.threads);
  sim::server srv(ioc, s.opts);
  for (const auto& script : sessions) srv.add_session(script);
  std::cout << "listening on " << (s.opts.tls ? "https" : "http") << "://" << s.opts.host << ":"
            << srv.port() << std::endl;

  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) srv.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < s.threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  if (!s.report.empty()) write_report(s.report, srv.report());
  const sim::stats st = srv.snapshot();
  std::cerr << "fjwatch-sim: stopped after " << st.requests << " requests on " << st.connections
            << " connections\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (const auto a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      return 0;
    }
  }
  try {
    return serve(parse_args(args));
  } catch (const usage_error& e) {
    std::cerr << "fjwatch-sim: " << e.what() << "\n" << usage_text;
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "fjwatch-sim: " << e.what() << "\n";
    return 1;
  }
}
