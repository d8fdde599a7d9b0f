#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <thread>

#include "fjwatch/api/api_client.hpp"
#include "support/harness.hpp"
#include "sim/certs.hpp"
#include "sim/sim.hpp"
#include "fjwatch/http/url.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

namespace {

namespace asio = boost::asio;
namespace sim = fjwatch::sim;
using namespace std::chrono_literals;
using fjwatch::poll_outcome;
using kind = fjwatch::poll_outcome::kind;

constexpr std::string_view api_key = "fjk_test_secret_key_0123456789";
constexpr std::string_view session_hex = "69f45196c8bbf1ce65b5bcd6";

fjwatch::session_id sid(std::string_view text = session_hex) {
  return *fjwatch::session_id::parse(text);
}

std::string temp_path(std::string_view stem) {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("fjwatch-api-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::string(stem)))
      .string();
}

// A file holding `pem`, removed with the object.
struct pem_file {
  explicit pem_file(const std::string& pem) : path(temp_path("ca.pem")) {
    sim::write_file(path, pem, 0600);
  }
  ~pem_file() { std::filesystem::remove(path); }
  std::string path;
};

sim::options sim_options(sim::pem_pair cert = {}, std::string ca_pem = {}) {
  sim::options opts;
  opts.api_key = std::string(api_key);
  opts.cert = std::move(cert);
  opts.ca_pem = std::move(ca_pem);
  opts.log = [](std::string_view) {};
  return opts;
}

// The simulated API on its own thread and io_context, stopped and joined on destruction.
class sim_rig {
 public:
  explicit sim_rig(sim::options opts = sim_options())
      : server_(std::make_unique<sim::server>(ioc_, std::move(opts))),
        thread_([this] { ioc_.run(); }) {}
  ~sim_rig() {
    server_->stop();
    ioc_.stop();
    thread_.join();
  }

  sim::server& server() { return *server_; }
  sim::stats stats() const { return server_->snapshot(); }
  fjwatch::url_parts origin(std::string host = "127.0.0.1") const {
    return {"https", std::move(host), server_->port(), ""};
  }

 private:
  asio::io_context ioc_;
  std::unique_ptr<sim::server> server_;
  std::thread thread_;
};

// A client on its own io_context; every call runs that loop with a bound and checks it finished.
class client_rig {
 public:
  client_rig(fjwatch::url_parts origin, const std::string& ca_pem, fjwatch::millis timeout = 3s,
             std::string key = std::string(api_key))
      : ca_(ca_pem),
        client_(ioc_.get_executor(), fjwatch::make_api_tls_context(ca_.path),
                fjwatch::api_target{std::move(origin), timeout}, std::move(key)) {}

  poll_outcome poll(const fjwatch::session_id& id, std::string etag = "",
                    std::chrono::milliseconds bound = 5s) {
    const std::vector<fjwatch::poll_item> one{{id, std::move(etag)}};
    auto out = std::move(run(client_.poll_all(one), bound).at(0));
    BOOST_TEST(out.reason.find(api_key) == std::string::npos);
    return out;
  }

  std::vector<poll_outcome> poll_all(const std::vector<fjwatch::poll_item>& items,
                                     std::chrono::milliseconds bound = 5s) {
    auto out = run(client_.poll_all(items), bound);
    BOOST_TEST_REQUIRE(out.size() == items.size());
    return out;
  }

  fjwatch::api_client& client() { return client_; }

 private:
  // Runs `op` on the client's own loop for at most `bound`, and checks that it finished.
  template <class T>
  T run(asio::awaitable<T> op, std::chrono::milliseconds bound) {
    bool finished = false;
    T out;
    asio::co_spawn(ioc_, std::move(op), [&](std::exception_ptr e, T o) {
      finished = true;
      if (e) std::rethrow_exception(e);
      out = std::move(o);
    });
    ioc_.restart();
    ioc_.run_for(bound);
    BOOST_TEST_REQUIRE(finished);
    return out;
  }

  pem_file ca_;
  asio::io_context ioc_;
  fjwatch::api_client client_;
};

sim::session_script done_now(std::string_view id = session_hex) {
  return sim::done_at_poll(std::string(id), 1);
}

sim::session_script faulty(sim::fault f, int polls = -1) {
  auto script = done_now();
  script.fault_kind = f;
  script.fault_polls = polls;
  return script;
}

std::string kind_of(const poll_outcome& o) { return std::string(fjwatch::to_string(o.what)); }

}  // namespace

BOOST_AUTO_TEST_CASE(done_is_detected_with_every_field) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "ok");
  BOOST_TEST(out.reason == "");
  BOOST_TEST(out.http_status == 200);
  BOOST_TEST_REQUIRE(out.session.has_value());
  BOOST_TEST(fjwatch::to_string(out.session->status) == "done");
  BOOST_TEST(out.session->id == session_hex);
  BOOST_TEST(out.session->title == ".NET Developer");
  BOOST_TEST(out.session->project == "First Project");
  BOOST_TEST(out.session->matched == 25);
  BOOST_TEST(out.session->total_for_matching == 25);
  BOOST_TEST(out.session->available == 333);
  BOOST_TEST(!out.etag.empty());
  BOOST_TEST(out.request_id.starts_with("sim-"));
  BOOST_TEST(out.ratelimit_remaining.has_value());
  BOOST_TEST(out.ratelimit_reset.has_value());
  BOOST_TEST(out.latency.count() > 0);
  BOOST_TEST(rig.stats().requests_with_key == 1);
}

BOOST_AUTO_TEST_CASE(conditional_get_answers_not_modified) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  const auto first = c.poll(sid());
  BOOST_TEST_REQUIRE(kind_of(first) == "ok");
  const auto second = c.poll(sid(), first.etag);
  BOOST_TEST(kind_of(second) == "not_modified");
  BOOST_TEST(second.http_status == 304);
  BOOST_TEST(second.etag == first.etag);
  BOOST_TEST(!second.session.has_value());
  BOOST_TEST(rig.stats().not_modified_304 == 1);
}

BOOST_AUTO_TEST_CASE(http_answers_map_to_outcomes) {
  struct row {
    std::string name;
    sim::fault fault;
    std::string key;
    std::string session;  // the id polled; the sim knows only session_hex
    std::string kind;
    std::string reason;
    int status;
    std::optional<std::chrono::milliseconds> retry_after;  // Retry-After; else RateLimit-Reset
  };
  const std::string other_id = "0123456789abcdef01234567";
  const std::string key(api_key);
  const std::vector<row> rows{
      {"wrong key", sim::fault::none, "fjk_wrong", std::string(session_hex), "unauthorized",
       "HTTP 401", 401, std::nullopt},
      {"unknown session", sim::fault::none, key, other_id, "not_found", "HTTP 404", 404,
       std::nullopt},
      {"rate limited", sim::fault::rate_limited, key, std::string(session_hex), "rate_limited",
       "HTTP 429", 429, 7s},
      {"503", sim::fault::http_503, key, std::string(session_hex), "server_error", "HTTP 503", 503,
       7s},
      {"500", sim::fault::http_500, key, std::string(session_hex), "server_error", "HTTP 500", 500,
       std::nullopt},
      {"malformed JSON", sim::fault::malformed_json, key, std::string(session_hex), "bad_response",
       "not JSON", 200, std::nullopt},
      {"status of wrong type", sim::fault::wrong_type, key, std::string(session_hex),
       "bad_response", "no data.session.profileMatchingStatus", 200, std::nullopt},
      {"huge body", sim::fault::huge_body, key, std::string(session_hex), "bad_response",
       "body too large", 0, std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      sim_rig rig;
      auto script = faulty(r.fault);
      script.retry_after = 7s;
      rig.server().add_session(script);
      client_rig c(rig.origin(), rig.server().ca_pem(), 3s, r.key);
      const auto out = c.poll(sid(r.session));
      BOOST_TEST(kind_of(out) == r.kind);
      BOOST_TEST(out.reason == r.reason);
      BOOST_TEST(out.http_status == r.status);
      if (r.retry_after) {
        BOOST_TEST((out.retry_after == r.retry_after));
      } else if (out.what == fjwatch::poll_outcome::kind::rate_limited) {
        BOOST_TEST((out.retry_after == out.ratelimit_reset));  // the fallback hint
      } else {
        BOOST_TEST(!out.retry_after.has_value());  // the window's reset is no wait hint here
      }
      BOOST_TEST(out.reason.find(r.key) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(endless_body_stops_at_the_deadline) {
  sim_rig rig;
  rig.server().add_session(faulty(sim::fault::endless_body));
  client_rig c(rig.origin(), rig.server().ca_pem(), 400ms);
  const auto started = std::chrono::steady_clock::now();
  const auto out = c.poll(sid(), "", 3s);
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "timeout after 400ms");
  BOOST_TEST(out.http_status == 0);
  BOOST_TEST((took >= 400ms && took < 2s));
  BOOST_TEST(rig.stats().endless_bodies == 1);
}

BOOST_AUTO_TEST_CASE(slow_answer_times_out) {
  sim_rig rig;
  auto script = faulty(sim::fault::slow);
  script.slow_delay = 3s;
  rig.server().add_session(script);
  client_rig c(rig.origin(), rig.server().ca_pem(), 300ms);
  const auto out = c.poll(sid(), "", 3s);
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "timeout after 300ms");
}

BOOST_AUTO_TEST_CASE(reset_connection_is_a_network_error_then_reconnects) {
  sim_rig rig;
  rig.server().add_session(faulty(sim::fault::reset, 1));
  client_rig c(rig.origin(), rig.server().ca_pem());
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "connection reset");
  BOOST_TEST(rig.stats().resets == 1);
  const auto next = c.poll(sid());
  BOOST_TEST(kind_of(next) == "ok");
  BOOST_TEST(c.client().connections_opened() == 2u);
}

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  constexpr int polls = 6;
  for (int i = 0; i < polls; ++i) {
    BOOST_TEST_CONTEXT("poll " << i) { BOOST_TEST(kind_of(c.poll(sid())) == "ok"); }
  }
  BOOST_TEST(c.client().connections_opened() == 1u);
  BOOST_TEST(rig.stats().connections == 1);
  BOOST_TEST(rig.stats().tls_handshakes == 1);
  BOOST_TEST(rig.stats().requests_with_key == polls);
}

BOOST_AUTO_TEST_CASE(connection_closed_by_the_server_is_reopened) {
  auto opts = sim_options();
  opts.idle_timeout = 100ms;
  sim_rig rig(opts);
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST_REQUIRE(
      fjwatch::testing::wait_until([&] { return rig.stats().idle_closes == 1; }, 5s));
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "ok");
  BOOST_TEST(c.client().connections_opened() == 2u);
  BOOST_TEST(rig.stats().connections == 2);
}

BOOST_AUTO_TEST_CASE(reset_on_a_reused_connection_is_retried_once) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST_REQUIRE(rig.server().set_fault(session_hex, sim::fault::reset, 1));
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "ok");
  BOOST_TEST(c.client().connections_opened() == 2u);
  BOOST_TEST(rig.stats().resets == 1);
  BOOST_TEST(rig.stats().requests_with_key == 3);
}

BOOST_AUTO_TEST_CASE(a_second_reset_after_the_retry_is_reported) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST_REQUIRE(rig.server().set_fault(session_hex, sim::fault::reset, -1));
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "connection reset");
  BOOST_TEST(rig.stats().resets == 2);
}

// Five sessions, each with its own totalAvailableProfiles: `n` of them as poll items, and a check that every
// outcome is ok and is its own session's answer.
struct five_sessions {
  std::vector<std::string> ids;
  explicit five_sessions(sim::server& server) {
    for (int i = 0; i < 5; ++i) {
      ids.push_back("69f45196c8bbf1ce65b5bc0" + std::to_string(i));
      auto script = sim::done_at_poll(ids.back(), 1);
      script.available = 100 + i;
      server.add_session(script);
    }
  }
  std::vector<fjwatch::poll_item> items() const {
    std::vector<fjwatch::poll_item> out;
    for (const auto& id : ids) out.push_back({sid(id), ""});
    return out;
  }
  void check(const std::vector<poll_outcome>& outs) const {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      BOOST_TEST_CONTEXT("session " << i) {
        BOOST_TEST_REQUIRE(kind_of(outs[i]) == "ok");
        BOOST_TEST(outs[i].session->id == ids[i]);
        BOOST_TEST(outs[i].session->available == static_cast<std::int64_t>(100 + i));
      }
    }
  }
};

BOOST_AUTO_TEST_CASE(pipelined_polls_go_in_one_write_and_keep_their_order) {
  sim_rig rig;
  five_sessions five(rig.server());
  client_rig c(rig.origin(), rig.server().ca_pem());
  const auto first = c.poll_all(five.items());
  five.check(first);
  BOOST_TEST(rig.stats().pipelined >= 1);  // the server found requests waiting behind others
  // Again with the ETags: every answer is a 304, still on the one connection.
  auto again = five.items();
  for (std::size_t i = 0; i < again.size(); ++i) again[i].etag = first[i].etag;
  for (const auto& out : c.poll_all(again)) BOOST_TEST(kind_of(out) == "not_modified");
  BOOST_TEST(c.client().connections_opened() == 1u);
  BOOST_TEST(rig.stats().tls_handshakes == 1);
  BOOST_TEST(rig.stats().requests_with_key == 10);
  BOOST_TEST(c.client().pipelining_problem() == "");
}

// Servers that mishandle pipelined requests: what the client reports of each, so that the
// scheduler can go back to one request at a time. The sets' polls come back as failures or
// answers, never as another session's answer.
struct mishandling_server {
  explicit mishandling_server(sim::pipelining how, fjwatch::millis timeout = 3s)
      : rig([&] {
          auto opts = sim_options();
          opts.pipelined_requests = how;
          return opts;
        }()),
        five(rig.server()),
        c(rig.origin(), rig.server().ca_pem(), timeout) {}
  std::vector<poll_outcome> poll_five() { return c.poll_all(five.items()); }

  sim_rig rig;
  five_sessions five;
  client_rig c;
};

BOOST_AUTO_TEST_CASE(a_server_that_ignores_pipelined_requests_is_reported) {
  mishandling_server m(sim::pipelining::ignore, 400ms);
  auto& c = m.c;
  const auto outs = m.poll_five();
  BOOST_TEST(kind_of(outs[0]) == "ok");
  for (std::size_t i = 1; i < outs.size(); ++i) BOOST_TEST(kind_of(outs[i]) == "network_error");
  BOOST_TEST(c.client().pipelining_problem() == "no answer after 1 of 5 pipelined requests");
  // One request alone is answered, and a set of one reports nothing.
  BOOST_TEST(kind_of(c.poll(sid(m.five.ids[1]))) == "ok");
  BOOST_TEST(c.client().pipelining_problem() == "");
}

BOOST_AUTO_TEST_CASE(a_server_that_closes_on_pipelined_requests_is_reported) {
  mishandling_server m(sim::pipelining::close);
  const auto outs = m.poll_five();
  BOOST_TEST(kind_of(outs[0]) == "ok");
  BOOST_TEST(kind_of(outs[1]) == "ok");  // sent again on a second connection, answered first
  BOOST_TEST(m.c.client().pipelining_problem() ==
             "the connection closed twice within one set of 5 pipelined requests");
}

BOOST_AUTO_TEST_CASE(a_server_that_answers_pipelined_requests_out_of_order_is_reported) {
  mishandling_server m(sim::pipelining::reverse);
  // The server answers the first, then those behind it last first (5, 4, 3, 2 when all arrived
  // at once): an answer is either for its own session or refused as another's.
  const auto outs = m.poll_five();
  int refused = 0;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    BOOST_TEST_CONTEXT("session " << i) {
      if (kind_of(outs[i]) == "ok") {
        BOOST_TEST(outs[i].session->id == m.five.ids[i]);
      } else {
        BOOST_TEST(kind_of(outs[i]) == "bad_response");
        BOOST_TEST(outs[i].reason.find("answer for another session") == 0u);
        ++refused;
      }
    }
  }
  BOOST_TEST(refused >= 2);
  BOOST_TEST(m.c.client().pipelining_problem() ==
             "an answer for another session among 5 pipelined requests");
}

// A server that closes each connection after two answers (nginx's keepalive_requests): the
// requests it never read go again on a fresh connection, until all are answered.
BOOST_AUTO_TEST_CASE(pipelined_polls_survive_a_server_that_closes_after_two_answers) {
  auto opts = sim_options();
  opts.keepalive_requests = 2;
  sim_rig rig(opts);
  five_sessions five(rig.server());
  client_rig c(rig.origin(), rig.server().ca_pem());
  five.check(c.poll_all(five.items()));
  BOOST_TEST(c.client().connections_opened() == 3u);
  BOOST_TEST(rig.stats().keepalive_closes == 2);  // after answers 2 and 4; the fifth is alone
  BOOST_TEST(rig.stats().requests_with_key == 5);
}

// The third of five is answered with a reset on a reused connection: whatever was not answered
// is sent again on a fresh one, and every session gets its own answer.
BOOST_AUTO_TEST_CASE(pipelined_polls_after_a_reset_are_sent_again) {
  sim_rig rig;
  five_sessions five(rig.server());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(kind_of(c.poll(sid(five.ids[0]))) == "ok");
  BOOST_TEST_REQUIRE(rig.server().set_fault(five.ids[2], sim::fault::reset, 1));
  five.check(c.poll_all(five.items()));
  BOOST_TEST(c.client().connections_opened() == 2u);
  BOOST_TEST(rig.stats().resets == 1);
}

// An answer that is not HTTP fails its own poll only: the requests behind it go again on a fresh
// connection, and nothing about it says the server mishandles pipelining.
BOOST_AUTO_TEST_CASE(a_bad_answer_in_a_pipelined_set_fails_only_its_own_poll) {
  sim_rig rig;
  five_sessions five(rig.server());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(rig.server().set_fault(five.ids[2], sim::fault::garbage, 1));
  const auto outs = c.poll_all(five.items());
  for (std::size_t i = 0; i < outs.size(); ++i) {
    BOOST_TEST_CONTEXT("session " << i) {
      BOOST_TEST(kind_of(outs[i]) == (i == 2 ? "bad_response" : "ok"));
    }
  }
  BOOST_TEST(c.client().connections_opened() == 2u);
  BOOST_TEST(c.client().pipelining_problem() == "");
}

// A reset that repeats: the requests before it are answered, the rest fail with the reason.
BOOST_AUTO_TEST_CASE(pipelined_polls_behind_a_lasting_fault_fail_with_it) {
  sim_rig rig;
  five_sessions five(rig.server());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(rig.server().set_fault(five.ids[2], sim::fault::reset, -1));
  const auto outs = c.poll_all(five.items());
  for (std::size_t i = 2; i < outs.size(); ++i) {
    BOOST_TEST_CONTEXT("session " << i) {
      BOOST_TEST(kind_of(outs[i]) == "network_error");
      BOOST_TEST(outs[i].reason == "connection reset");
    }
  }
  // The two before it were answered unless the reset overtook their answers in the kernel.
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_TEST_CONTEXT("session " << i) {
      BOOST_TEST((kind_of(outs[i]) == "ok" || outs[i].reason == "connection reset"));
    }
  }
}

BOOST_AUTO_TEST_CASE(close_then_poll_reconnects) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  BOOST_TEST_REQUIRE(kind_of(c.poll(sid())) == "ok");
  c.client().close();
  BOOST_TEST(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST(c.client().connections_opened() == 2u);
}

BOOST_AUTO_TEST_CASE(untrusted_certificates_are_refused_before_the_key_is_sent) {
  const auto ca = sim::make_ca("fjwatch test CA");
  const auto stranger_ca = sim::make_ca("someone else's CA");
  struct row {
    std::string name;
    sim::pem_pair cert;
    std::string client_ca;  // what the client trusts
    std::string host;       // what the client connects to
    std::string reason;
  };
  const std::vector<row> rows{
      {"name for another host, by IP", sim::issue_cert(ca, {"api.example.com"}), ca.cert,
       "127.0.0.1", "TLS handshake: certificate verify failed (IP address mismatch)"},
      {"name for another host, by name", sim::issue_cert(ca, {"api.example.com", "127.0.0.1"}),
       ca.cert, "localhost", "TLS handshake: certificate verify failed (hostname mismatch)"},
      {"unknown CA", sim::issue_cert(stranger_ca, {"localhost", "127.0.0.1"}), ca.cert, "127.0.0.1",
       "TLS handshake: certificate verify failed (unable to get local issuer certificate)"},
      {"expired", sim::issue_cert(ca, {"localhost", "127.0.0.1"}, {-48h, -24h}), ca.cert,
       "127.0.0.1", "TLS handshake: certificate verify failed (certificate has expired)"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      sim_rig rig(sim_options(r.cert, ca.cert));
      rig.server().add_session(done_now());
      client_rig c(rig.origin(r.host), r.client_ca);
      const auto out = c.poll(sid());
      BOOST_TEST(kind_of(out) == "network_error");
      BOOST_TEST(out.reason == r.reason);
      BOOST_TEST(rig.stats().requests == 0);
      BOOST_TEST(rig.stats().requests_with_key == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_by_name_is_accepted) {
  sim_rig rig;
  rig.server().add_session(done_now());
  client_rig c(rig.origin("localhost"), rig.server().ca_pem());
  BOOST_TEST(kind_of(c.poll(sid())) == "ok");
}

BOOST_AUTO_TEST_CASE(redirect_is_not_followed) {
  sim_rig elsewhere;
  auto opts = sim_options();
  opts.redirect_to = "https://127.0.0.1:" + std::to_string(elsewhere.server().port());
  sim_rig rig(opts);
  rig.server().add_session(faulty(sim::fault::redirect));
  elsewhere.server().add_session(done_now());
  client_rig c(rig.origin(), rig.server().ca_pem());
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "bad_response");
  BOOST_TEST(out.http_status == 302);
  BOOST_TEST(out.reason.starts_with("redirect to " + opts.redirect_to));
  BOOST_TEST(out.reason.ends_with(" not followed"));
  BOOST_TEST(rig.stats().redirects_3xx == 1);
  BOOST_TEST(elsewhere.stats().connections == 0);
  BOOST_TEST(elsewhere.stats().requests == 0);
}

BOOST_AUTO_TEST_CASE(refused_connection_is_a_network_error) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  const auto ca = sim::make_ca("unused CA");
  client_rig c({"https", "127.0.0.1", port, ""}, ca.cert);
  const auto out = c.poll(sid());
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "connect: Connection refused");
  BOOST_TEST(c.client().connections_opened() == 0u);
}

BOOST_AUTO_TEST_CASE(plain_http_when_the_url_says_so) {
  auto opts = sim_options();
  opts.tls = false;
  sim_rig rig(opts);
  rig.server().add_session(done_now());
  const auto ca = sim::make_ca("unused CA");
  client_rig c({"http", "127.0.0.1", rig.server().port(), ""}, ca.cert);
  BOOST_TEST(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST(kind_of(c.poll(sid())) == "ok");
  BOOST_TEST(c.client().connections_opened() == 1u);
  BOOST_TEST(rig.stats().tls_handshakes == 0);
}

BOOST_AUTO_TEST_CASE(missing_ca_file_is_a_startup_error) {
  BOOST_CHECK_EXCEPTION(fjwatch::make_api_tls_context("/nonexistent/ca.pem"), std::runtime_error,
                        [](const std::runtime_error& e) {
                          return std::string(e.what()).find("/nonexistent/ca.pem") !=
                                 std::string::npos;
                        });
}
