// The soak test: the real `fjwatch run` for a chosen duration against the simulated API (HTTPS,
// in-process) with a share of requests faulted, a webhook receiver that goes down every few
// minutes and sometimes answers 500 or hangs, and a kill -9 of the daemon every few minutes,
// restarted on the same state. Sessions keep being added (`fjwatch add`) and, once all their
// events were accepted, removed (`fjwatch remove`), so events happen over the whole run and the
// watch list stays near a steady size. RSS and open descriptors are sampled into a CSV.
//
// After the duration: no faults, the receiver up, no kills; the daemon runs until every event
// the scripts made happen reached both actions and its outbox is empty, then stops. The report
// counts lost events (must be 0), duplicates (each with the same content), kills, RSS and
// descriptors per daemon process and a flatness check, and PRAGMA integrity_check. Exit status
// 0 when nothing was lost and every check held, 1 otherwise, 2 for a usage or setup error.
#include "soak/report.hpp"

#include "support/receiver_thread.hpp"
#include "soak/chaos.hpp"
#include "soak/daemon_proc.hpp"
#include "soak/options.hpp"
#include "soak/plan.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace t = fjwatch::testing;
namespace sim = fjwatch::sim;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Set by SIGINT or SIGTERM: the run stops at its next step, keeping the state.
volatile std::sig_atomic_t interrupted = 0;

// A webhook action to `rx`, retried for about 15 minutes before a delivery is given up.
std::string hook_yaml(t::receiver_thread& rx) {
  std::string schedule = "[1s, 2s, 5s, 10s";
  for (int i = 0; i < 60; ++i) schedule += ", 15s";
  return t::webhook_action({.url = rx->url(), .timeout = "10s", .retry_schedule = schedule + "]"});
}

class soak {
 public:
  explicit soak(t::soak_options o)
      : o_(std::move(o)),
        plan_(t::make_plan(o_.plan)),
        added_t_(plan_.size(), -1),
        rig_(api_options()),
        d_(rig_, o_.out / "daemon.log", log_tally_),
        chaos_({.outage_every = o_.outage_every,
                .outage_for = o_.outage_for,
                .last_start = end() - o_.outage_for,
                .seed = o_.plan.seed}),
        csv_(o_.out / "samples.csv"),
        rng_(o_.plan.seed) {
    rig_.dir.write("hook.secret", std::string(t::webhook_secret) + "\n");
    rig_.dir.write("hook-ca.pem", rx_->ca_pem());
    auto& c = rig_.cfg;
    c.rate = "200/s";
    c.interval = "5s";
    c.max_interval = "20s";
    c.retry_initial = "1s";
    c.retry_max = "5m";
    c.after_done = "watch";
    c.more_actions = hook_yaml(rx_);
    c.default_actions = std::vector<std::string>{"journal", "hook"};
    csv_ << "t_s,segment,pid,rss_kib,fds,watched,added,accepted_ids,receiver_up\n";
  }

  // The run, the drain and the report: 0 when it passes, 1 when it fails. Throws on a setup
  // failure (the daemon not ready within 60 s, `fjwatch add` failing), after keeping the state
  // in the output directory.
  int run() try {
    t0_ = clock_type::now();
    r_.ready_s.push_back(d_.start());
    schedule_kill(0);
    while (now() < end()) {
      const auto next = clock_type::now() + 1s;
      tick(true);
      std::this_thread::sleep_until(next);
    }
    r_.drained = drain();
    r_.stop_code = d_.stop();
    return finish();
  } catch (const std::exception& e) {
    note(std::string("stopped: ") + e.what());
    fs::copy(rig_.dir / "state", o_.out / "state", fs::copy_options::recursive);
    throw;
  }

 private:
  double now() const { return std::chrono::duration<double>(clock_type::now() - t0_).count(); }
  double end() const { return static_cast<double>(o_.plan.duration.count()) / 1000; }
  void note(const std::string& what) const {
    std::cerr << "t=" << static_cast<long>(now()) << "s " << what << std::endl;
  }

  sim::options api_options() {
    auto o = t::sim_options();
    o.global_faults = t::api_fault_mix(o_.faults);
    o.log = [this](std::string_view line) {
      if (sim_log_lines_++ < 5) std::cerr << "sim: " << line << "\n";
    };
    return o;
  }

  // One step of the control loop; `chaos` off during the drain.
  void tick(bool chaos) {
    if (interrupted) throw std::runtime_error("interrupted");
    const double t = now();
    if (auto code = d_.exited()) {
      r_.unexpected_exits.push_back("segment " + std::to_string(d_.segment()) + " exited with " +
                                    std::to_string(*code));
      note("daemon exited by itself with " + std::to_string(*code) + "; restarting");
      r_.ready_s.push_back(d_.start());
    }
    add_due(t);
    if (t >= next_remove_t_) remove_finished(t);
    if (chaos) {
      chaos_.step(t, rx_.get());
      if (t >= next_kill_t_) kill_and_restart(t);
    }
    d_.scan();
    if (t >= next_sample_t_) sample(t);
    if (t >= next_progress_t_) progress(t);
  }

  // Every 5 s: the sessions due by now, into the simulator and then (one `fjwatch add`) the
  // watch list.
  void add_due(double t) {
    if (t < next_add_t_ || next_add_ == plan_.size()) return;
    next_add_t_ = t + 5;
    std::vector<std::string> args{"add"};
    for (; next_add_ < plan_.size() && plan_[next_add_].add_at.count() <= t * 1000; ++next_add_) {
      auto& p = plan_[next_add_];
      rig_.api->add_session(std::move(p.script));
      added_t_[next_add_] = now();
      active_.push_back(next_add_);
      args.push_back(p.id);
    }
    if (args.size() > 1) cli(std::move(args));
  }

  // Every 5 s: the sessions whose script ended 30 s ago or more and whose every event the
  // receiver accepted leave the watch list (one `fjwatch remove`).
  void remove_finished(double t) {
    next_remove_t_ = t + 5;
    accepted_ = rx_->ids();
    std::vector<std::string> args{"remove"};
    std::vector<std::size_t> keep;
    for (const auto i : active_) {
      const auto& p = plan_[i];
      const double last = added_t_[i] + static_cast<double>(p.events.back().at.count()) / 1000;
      const bool done =
          t >= last + 30 && std::all_of(p.events.begin(), p.events.end(),
                                        [&](auto& e) { return accepted_.contains(e.id); });
      if (done) {
        args.push_back(p.id);
      } else {
        keep.push_back(i);
      }
    }
    active_ = std::move(keep);
    r_.removed += args.size() - 1;
    if (args.size() > 1) cli(std::move(args));
  }

  void cli(std::vector<std::string> args) {
    args.push_back("-c");
    args.push_back(rig_.config_path().string());
    const auto r = t::run_to_end(args, rig_.dir.path());
    if (r.code != 0) {
      throw std::runtime_error("fjwatch " + args[0] + " exited with " + std::to_string(r.code) +
                               (r.err.empty() ? "" : ": " + r.err.back()));
    }
  }

  void schedule_kill(double t) {
    next_kill_t_ = std::numeric_limits<double>::infinity();
    if (o_.kill_every <= 0) return;
    const double at = t + o_.kill_every * std::uniform_real_distribution<double>(0.75, 1.25)(rng_);
    if (at < end()) next_kill_t_ = at;
  }

  void kill_and_restart(double t) {
    const int segment = d_.segment();
    d_.kill9();
    ++r_.kills;
    r_.ready_s.push_back(d_.start());
    note("kill -9 of daemon " + std::to_string(segment) + ", ready again in " +
         std::to_string(r_.ready_s.back()) + " s" + (rx_->is_up() ? "" : " (receiver down)"));
    schedule_kill(t);
  }

  void sample(double t) {
    next_sample_t_ = t + o_.sample_every;
    auto s = t::read_proc(d_.pid());
    if (!s) return;
    s->t = t;
    s->age = d_.age();
    s->segment = d_.segment();
    samples_.push_back(*s);
    csv_ << static_cast<long>(t) << ',' << s->segment << ',' << d_.pid() << ',' << s->rss_kib << ','
         << s->fds << ',' << active_.size() << ',' << next_add_ << ',' << accepted_.size() << ','
         << rx_->is_up() << std::endl;
  }

  void progress(double t) {
    next_progress_t_ = t + 60;
    const auto& s = samples_.empty() ? t::proc_sample{} : samples_.back();
    note("added " + std::to_string(next_add_) + ", watched " + std::to_string(active_.size()) +
         ", webhook ids accepted " + std::to_string(accepted_.size()) + ", logged " +
         std::to_string(log_tally_.ids()) + ", kills " + std::to_string(r_.kills) + ", outages " +
         std::to_string(chaos_.outages()) + ", RSS " + std::to_string(s.rss_kib / 1024) +
         " MiB, fds " + std::to_string(s.fds));
  }

  // The done events the scripts made happen by now, from the simulator's report of when each
  // session was added.
  std::set<std::string> expected_events() {
    std::map<std::string, std::int64_t> added_ms;
    for (const auto& s : rig_.api->report()) added_ms[s.id] = s.added_unix_ms;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::set<std::string> out;
    for (const auto& p : plan_) {
      const auto it = added_ms.find(p.id);
      if (it == added_ms.end()) continue;
      ++r_.sessions;
      for (const auto& e : p.events) {
        if (it->second + e.at.count() <= now_ms) {
          out.insert(e.id);
          r_.fetch_more_done += e.id.ends_with("_done_1");
        } else {
          ++r_.not_yet;
        }
      }
    }
    return out;
  }

  // No faults, the receiver up, no kills: runs until every expected event reached both actions
  // and no delivery is pending, or the drain limit passes. False when it did not get there.
  bool drain() {
    const double start = now();
    note("end of faults; draining");
    for (const auto& f : t::api_fault_mix(o_.faults)) rig_.api->set_global_fault(f.kind, 0);
    chaos_.calm(start, rx_.get());
    expected_ = expected_events();
    fjwatch::store db(rig_.dir / "state");
    double next_note = 30;
    while (now() - start < o_.drain_limit) {
      const auto next = clock_type::now() + 1s;
      tick(false);
      accepted_ = rx_->ids();
      std::size_t no_hook = 0, no_log = 0;
      for (const auto& id : expected_) {
        no_hook += !accepted_.contains(id);
        no_log += !log_tally_.has(id);
      }
      const auto pending = db.count_deliveries(fjwatch::delivery_state::pending);
      r_.drain_s = now() - start;
      if (no_hook + no_log + pending == 0) return true;
      if (r_.drain_s >= next_note) {
        next_note += 30;
        note("draining: " + std::to_string(no_hook) + " events not yet accepted by the receiver, " +
             std::to_string(no_log) + " not yet logged, " + std::to_string(pending) +
             " deliveries pending");
      }
      std::this_thread::sleep_until(next);
    }
    return false;
  }

  int finish() {
    const auto state = rig_.dir / "state";
    r_.integrity = t::integrity_check(fjwatch::store::file_in(state));
    {
      fjwatch::store db(state);
      r_.pending = db.count_deliveries(fjwatch::delivery_state::pending);
      r_.failed = db.count_deliveries(fjwatch::delivery_state::failed);
      for (const auto& [id, n] : db.count_events_by_session(fjwatch::event_type::done))
        r_.events_in_db += n;
    }
    r_.options_line = options_line();
    r_.duration_s = end();
    r_.expected = expected_.size();
    r_.hooks = t::tally_webhooks(rx_->deliveries());
    r_.verdict = t::judge_losses(expected_, log_tally_, r_.hooks.accepted);
    r_.outages = chaos_.outages();
    r_.down_s = chaos_.down_seconds();
    r_.scripted_replies = chaos_.scripted();
    r_.api = rig_.api->snapshot();
    r_.daemon_events = d_.events();
    r_.sim_log_lines = sim_log_lines_;
    std::ofstream md(o_.out / "report.md");
    // Samples taken while a restarted daemon settles (connections, caches) are not judged.
    const double settle = o_.kill_every > 0 ? std::min(30.0, o_.kill_every / 3) : 30.0;
    const bool pass = t::write_report(std::cout, r_, log_tally_, samples_, settle);
    t::write_report(md, r_, log_tally_, samples_, settle);
    if (!pass) fs::copy(state, o_.out / "state", fs::copy_options::recursive);
    return pass ? 0 : 1;
  }

  std::string options_line() const {
    std::ostringstream s;
    s << "duration " << fjwatch::format_duration(o_.plan.duration) << ", " << o_.plan.sessions
      << " sessions (Fetch More share " << o_.plan.fetch_more_share << "), API faults "
      << o_.faults * 100 << "%, kill -9 every ~" << o_.kill_every << " s, receiver outage every ~"
      << o_.outage_every << " s for ~" << o_.outage_for << " s, seed " << o_.plan.seed;
    return s.str();
  }

  t::soak_options o_;
  std::vector<t::planned_session> plan_;
  std::vector<double> added_t_;  // seconds into the run each session was added; -1: not yet
  std::atomic<std::size_t> sim_log_lines_{0};
  t::receiver_thread rx_;
  t::rig rig_;
  t::delivery_tally log_tally_;
  t::daemon_proc d_;
  t::receiver_chaos chaos_;
  std::ofstream csv_;
  std::mt19937_64 rng_;
  clock_type::time_point t0_;
  std::size_t next_add_ = 0;
  std::vector<std::size_t> active_;  // added, not removed
  std::set<std::string> accepted_;   // webhook ids the receiver accepted, as of the last look
  std::set<std::string> expected_;
  double next_add_t_ = 0, next_remove_t_ = 0, next_sample_t_ = 0, next_progress_t_ = 60;
  double next_kill_t_ = 0;
  std::vector<t::proc_sample> samples_;
  t::soak_results r_;
};

}  // namespace

int main(int argc, char** argv) {
  t::soak_options o;
  try {
    o = t::parse_args(argc, argv);
    fs::create_directories(o.out);
  } catch (const std::exception& e) {
    std::cerr << "fjwatch-bench-soak: " << e.what() << "\n";
    return 2;
  }
  for (int signo : {SIGINT, SIGTERM}) std::signal(signo, [](int) { interrupted = 1; });
  try {
    soak s(o);
    return s.run();
  } catch (const std::exception& e) {
    std::cerr << "fjwatch-bench-soak: " << e.what() << "\n";
    return 2;
  }
}
