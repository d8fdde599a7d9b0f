// The real daemon's webhook deliveries to a receiver that misbehaves: it never answers, answers
// a byte at a time, answers before reading the body, closes mid-answer, redirects to another
// host, or answers 50 MB. Each attempt is recorded as the delivery rules say (2xx delivered;
// anything else, a timeout or a broken answer retried on the schedule, then failed; a redirect
// never followed), nothing crashes, and a second, healthy receiver gets its delivery regardless.
// Level debug, and no secret in the output, the state or any request.
#include <boost/test/unit_test.hpp>

#include "support/fault_checks.hpp"
#include "fjwatch/store/store.hpp"
#include "support/process.hpp"
#include "support/receiver_thread.hpp"

namespace {

namespace sim = fjwatch::sim;
namespace t = fjwatch::testing;
using namespace std::chrono_literals;

// One done session whose event goes to the log, to `bad` and to `good`.
struct hook_rig : t::rig {
  hook_rig() {
    cfg.level = "debug";
    api->add_session(sim::done_after(id, 0ms));
    watch({id});
    dir.write("hook.secret", std::string(t::webhook_secret) + "\n");
    dir.write("bad-ca.pem", bad->ca_pem());
    dir.write("good-ca.pem", good->ca_pem());
    cfg.more_actions = hook("bad", bad) + hook("good", good);
    cfg.default_actions = {"journal", "bad", "good"};
  }

  // A webhook action to `rx`: 1 s per attempt, three attempts 300 ms apart at most.
  static std::string hook(const std::string& name, t::receiver_thread& rx) {
    return t::webhook_action({.name = name,
                              .url = rx->url(),
                              .ca_file = name + "-ca.pem",
                              .timeout = "1s",
                              .retry_schedule = "[300ms, 300ms]"});
  }

  // Every request any receiver got.
  std::vector<sim::received> all_requests() {
    auto out = bad->deliveries();
    for (auto* rx : {&good, &elsewhere}) {
      const auto more = (*rx)->deliveries();
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }

  // The delivery row of `action` for the event, read after the daemon stopped.
  fjwatch::delivery row(const std::string& action) const {
    fjwatch::store db(dir / "state");
    for (auto& d : db.deliveries_of(event)) {
      if (d.action == action) return d;
    }
    BOOST_FAIL("no delivery row for " << action);
    return {};
  }

  const std::string id = t::hex_id(0x400);
  const std::string event = t::done_event(id);
  t::receiver_thread bad, good, elsewhere;
};

// The `result` of each attempt the daemon logged for `action`, in order (delivery.retry,
// delivery.ok, delivery.failed).
std::vector<std::string> attempt_results(const std::vector<std::string>& lines,
                                         const std::string& action) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    const bool attempt = t::is_event(l, "delivery.retry") || t::is_event(l, "delivery.ok") ||
                         t::is_event(l, "delivery.failed");
    if (attempt && t::log_field(l, "action") == action) out.push_back(*t::log_field(l, "result"));
  }
  return out;
}

// Waits for the last word on `action`'s delivery: delivery.ok or delivery.failed.
bool wait_for_outcome(t::child_process& c, const std::string& action) {
  return c
      .wait_for_line(
          [&](std::string_view l) {
            return (t::is_event(l, "delivery.ok") || t::is_event(l, "delivery.failed")) &&
                   t::log_field(l, "action") == action;
          },
          20s)
      .has_value();
}

struct row {
  std::string name;
  std::vector<sim::reply> script;  // the bad receiver's first replies; then `then`
  sim::reply then;
  std::vector<std::string> results;  // each attempt's result
  fjwatch::delivery_state state;
};

// Runs the daemon until the bad receiver's delivery is settled; checks the attempts, the row
// and the good receiver's delivery; returns the daemon (stopped) for further checks.
std::unique_ptr<t::child_process> run_row(hook_rig& r, const row& w,
                                          std::int64_t* hwm_growth_kib = nullptr) {
  r.bad->script(w.script);
  r.bad->set_default(w.then);
  auto c = r.start_ready(t::measured_env());
  const auto hwm_at_ready = t::proc_status_kib(c->pid(), "VmHWM").value_or(0);
  BOOST_REQUIRE_MESSAGE(wait_for_outcome(*c, "bad"), "bad never settled:" << t::tail(*c));
  BOOST_REQUIRE_MESSAGE(wait_for_outcome(*c, "good"), "good never settled:" << t::tail(*c));
  if (hwm_growth_kib) {
    *hwm_growth_kib = t::proc_status_kib(c->pid(), "VmHWM").value_or(0) - hwm_at_ready;
  }
  BOOST_TEST(t::terminate(*c) == 0, t::tail(*c));
  const auto lines = c->err_lines();
  BOOST_TEST(attempt_results(lines, "bad") == w.results, boost::test_tools::per_element());
  BOOST_TEST(attempt_results(lines, "good") == std::vector<std::string>{"HTTP 200"},
             boost::test_tools::per_element());
  const auto bad = r.row("bad");
  BOOST_TEST((bad.state == w.state), to_string(bad.state));
  BOOST_TEST(bad.attempts == static_cast<int>(w.results.size()));
  BOOST_TEST(bad.last_result == w.results.back());
  BOOST_TEST((r.row("good").state == fjwatch::delivery_state::delivered));
  // Every attempt reached the bad receiver with the event id and a good signature.
  const auto got = r.bad->deliveries();
  BOOST_TEST(got.size() == w.results.size());
  for (const auto& d : got) {
    BOOST_TEST(d.id == r.event);
    if (d.body_read) BOOST_TEST(d.signature_ok, d.signature_problem);
  }
  const auto good = r.good->deliveries();
  BOOST_TEST_REQUIRE(good.size() == 1u);
  BOOST_TEST(good[0].signature_ok, good[0].signature_problem);
  t::expect_no_secrets(*c, r.dir / "state", r.all_requests());
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(receiver_faults)

// A receiver that holds the connection without answering, or sends its answer a byte every
// 100 ms: the 1 s timeout ends the attempt, the delivery stays pending and the retry, to the
// same receiver now answering, is delivered.
BOOST_AUTO_TEST_CASE(slowloris_is_cut_by_the_timeout_then_retried) {
  const std::vector<row> rows{
      {"never answers",
       {{sim::reply_kind::hang}},
       {},
       {"timeout after 1s", "HTTP 200"},
       fjwatch::delivery_state::delivered},
      {"a byte every 100 ms",
       {{sim::reply_kind::trickle}},
       {},
       {"timeout after 1s", "HTTP 200"},
       fjwatch::delivery_state::delivered},
  };
  for (const auto& w : rows) {
    BOOST_TEST_CONTEXT(w.name) {
      hook_rig r;
      run_row(r, w);
    }
  }
}

// A 200 sent before the body was read is a 200: delivered at the first attempt.
BOOST_AUTO_TEST_CASE(answer_before_the_body_is_read_counts) {
  hook_rig r;
  run_row(r, {"no read",
              {{sim::reply_kind::no_read}},
              {},
              {"HTTP 200"},
              fjwatch::delivery_state::delivered});
  const auto got = r.bad->deliveries();
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(!got[0].body_read);
}

// Half a status line, then the connection closes: a failed attempt, retried and delivered.
BOOST_AUTO_TEST_CASE(close_mid_answer_is_retried) {
  hook_rig r;
  run_row(r, {"partial",
              {{sim::reply_kind::partial}},
              {},
              {"connection closed", "HTTP 200"},
              fjwatch::delivery_state::delivered});
}

// Every attempt is redirected to another receiver: never followed, each a failure, and after
// the schedule the delivery is failed and kept.
BOOST_AUTO_TEST_CASE(redirect_to_another_host_is_never_followed) {
  hook_rig r;
  const sim::reply redirect{.kind = sim::reply_kind::redirect, .location = r.elsewhere->url()};
  run_row(r, {"redirect",
              {},
              redirect,
              {"HTTP 302", "HTTP 302", "HTTP 302"},
              fjwatch::delivery_state::failed});
  BOOST_TEST(r.elsewhere->count() == 0u);
}

// A 200 whose body is 50 MiB (chunked): the status is what counts (delivered at once); the
// daemon stops reading at its limit, so its peak resident set stays below the body's size.
BOOST_AUTO_TEST_CASE(gigantic_answer_is_not_read_to_its_end) {
  hook_rig r;
  std::int64_t growth_kib = 0;
  run_row(r,
          {"gigantic",
           {{sim::reply_kind::gigantic}},
           {},
           {"HTTP 200"},
           fjwatch::delivery_state::delivered},
          &growth_kib);
  const auto streamed = r.bad->streamed_bytes();
  BOOST_TEST(streamed < 25u * 1024 * 1024, streamed << " bytes of 50 MiB written");
  BOOST_TEST(growth_kib < t::rss_growth_bound_kib, "VmHWM grew by " << growth_kib << " KiB");
  BOOST_TEST_MESSAGE("50 MiB answer: " << streamed << " bytes written, VmHWM grew by " << growth_kib
                                       << " KiB");
}

// The same with a Content-Length over the limit (2 MiB): refused at the header, still a 200.
BOOST_AUTO_TEST_CASE(long_answer_with_a_length_counts_by_its_status) {
  hook_rig r;
  run_row(
      r, {"huge", {{sim::reply_kind::huge}}, {}, {"HTTP 200"}, fjwatch::delivery_state::delivered});
}

BOOST_AUTO_TEST_SUITE_END()
