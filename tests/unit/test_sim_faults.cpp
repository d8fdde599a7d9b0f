// The simulator's rate limit, faults, keep-alive and TLS options (module `sim`, see test_sim.cpp).
#include <boost/test/unit_test.hpp>

#include "sim/sim.hpp"
#include "support/sim_client.hpp"

#include <boost/json/parse.hpp>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
namespace sim = fjwatch::sim;
using namespace fjwatch::sim::testing;
using namespace std::chrono_literals;

namespace {

const std::string id_a = "69f45196c8bbf1ce65b5bcd6";

bool parses(const std::string& text) {
  boost::system::error_code ec;
  json::parse(text, ec);
  return !ec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(ratelimit_headers_count_down_then_429) {
  harness h({.rate_limit = 3});
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const char* const remaining_after[] = {"2", "1", "0"};
    for (const char* remaining : remaining_after) {
      const answer r = co_await c.get(session_path(id_a));
      BOOST_TEST_CONTEXT("remaining " << remaining) {
        BOOST_TEST(r.res.result_int() == 200u);
        BOOST_TEST(r.header("RateLimit-Policy") == "3;w=60");
        BOOST_TEST(r.header("RateLimit-Limit") == "3");
        BOOST_TEST(r.header("RateLimit-Remaining") == remaining);
        const int reset = std::stoi(r.header("RateLimit-Reset"));
        BOOST_TEST((reset >= 1 && reset <= 60));
      }
    }
    const answer limited = co_await c.get(session_path(id_a));
    BOOST_TEST(limited.res.result_int() == 429u);
    BOOST_TEST(limited.header("RateLimit-Remaining") == "0");
    const int retry = std::stoi(limited.header("Retry-After"));
    BOOST_TEST((retry >= 1 && retry <= 60));
    BOOST_TEST(h.srv.snapshot().rate_limited_429 == 1);
    BOOST_TEST(h.srv.polls_of(id_a) == 3);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(every_answer_has_a_distinct_request_id) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    std::set<std::string> ids;
    std::vector<answer> answers;
    answers.push_back(co_await c.get(session_path(id_a)));
    answers.push_back(co_await c.get(session_path(id_a), {.key = nullptr}));
    answers.push_back(co_await c.get(session_path("69f45196c8bbf1ce65b5bcd7")));
    for (const answer& r : answers) {
      BOOST_TEST(r.header("X-Request-Id").starts_with("sim-"));
      BOOST_TEST(!r.header("RateLimit-Limit").empty());
      ids.insert(r.header("X-Request-Id"));
    }
    BOOST_TEST(ids.size() == 3u);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults)

// Each fault, for the first two polls of a session: both polls show it, the third is normal.
BOOST_AUTO_TEST_CASE(each_fault_is_observable_for_the_first_polls) {
  struct row {
    sim::fault kind;
    std::function<void(const answer&)> check;
  };
  const row rows[] = {
      {sim::fault::http_503,
       [](const answer& r) {
         BOOST_TEST(r.res.result_int() == 503u);
         BOOST_TEST(r.header("Retry-After") == "7");
       }},
      {sim::fault::http_500, [](const answer& r) { BOOST_TEST(r.res.result_int() == 500u); }},
      {sim::fault::rate_limited,
       [](const answer& r) {
         BOOST_TEST(r.res.result_int() == 429u);
         BOOST_TEST(r.header("Retry-After") == "7");
       }},
      {sim::fault::malformed_json,
       [](const answer& r) {
         BOOST_TEST(r.res.result_int() == 200u);
         BOOST_TEST(!parses(r.res.body()));
       }},
      {sim::fault::wrong_type,
       [](const answer& r) {
         const json::value v = json::parse(r.res.body());
         BOOST_TEST(v.at("data").at("session").at("profileMatchingStatus").is_int64());
       }},
      {sim::fault::nested,
       [](const answer& r) {
         BOOST_TEST(r.res.body() == std::string(100000, '[') + std::string(100000, ']'));
       }},
      {sim::fault::wrong_types,
       [](const answer& r) {
         const json::value v = json::parse(r.res.body());
         BOOST_TEST(v.at("statusCode").is_string());
         BOOST_TEST(v.at("status").is_int64());
         const auto& s = v.at("data").at("session").as_object();
         BOOST_TEST(s.at("_id").is_int64());
         BOOST_TEST(s.at("profileMatchingStatus").is_int64());
         BOOST_TEST(s.at("totalProfilesMatched").is_string());
         BOOST_TEST(s.at("jdDetail").is_array());
         BOOST_TEST(s.at("nuances").is_object());
       }},
      {sim::fault::wrong_shape,
       [](const answer& r) {
         const json::value v = json::parse(r.res.body());
         BOOST_TEST(v.at("data").is_array());
         BOOST_TEST(v.at("data").at(0).at("profileMatchingStatus").is_string());
       }},
      {sim::fault::huge_body,
       [](const answer& r) {
         BOOST_TEST(r.res.body().size() >= 2u * 1024 * 1024);
         BOOST_TEST(parses(r.res.body()));
       }},
      {sim::fault::redirect,
       [](const answer& r) {
         BOOST_TEST(r.res.result_int() == 302u);
         const std::string path = session_path(id_a);
         BOOST_TEST(r.header("Location") == "https://elsewhere.invalid" + path);
       }},
      {sim::fault::slow,
       [](const answer& r) {
         BOOST_TEST(r.res.result_int() == 200u);
         BOOST_TEST(r.took >= 150ms);
       }},
  };
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(sim::to_string(r.kind)) {
      harness h;
      sim::session_script s = sim::done_after(id_a, 0ms);
      s.fault_kind = r.kind;
      s.fault_polls = 2;
      s.retry_after = 7s;
      s.slow_delay = 150ms;
      h.srv.add_session(s);
      h.run([&]() -> asio::awaitable<void> {
        tls_client c(h.ioc.get_executor(), h.srv);
        const boost::system::error_code c_ec = co_await c.connect();
        BOOST_REQUIRE(!c_ec);
        for (int poll = 1; poll <= 2; ++poll) {
          const answer a = co_await c.get(session_path(id_a));
          BOOST_TEST_CONTEXT("poll " << poll) {
            BOOST_TEST(!a.ec);
            r.check(a);
          }
        }
        const answer normal = co_await c.get(session_path(id_a));
        BOOST_TEST(normal.res.result_int() == 200u);
        BOOST_TEST(parses(normal.res.body()));
        BOOST_TEST(normal.took < 150ms);
        BOOST_TEST(h.srv.polls_of(id_a) == 3);
        h.srv.stop();
      });
    }
  }
}

BOOST_AUTO_TEST_CASE(reset_closes_without_an_answer) {
  harness h;
  sim::session_script s = sim::done_after(id_a, 0ms);
  s.fault_kind = sim::fault::reset;
  s.fault_polls = -1;
  h.srv.add_session(s);
  h.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      tls_client c(h.ioc.get_executor(), h.srv);
      const boost::system::error_code c_ec = co_await c.connect();
      BOOST_REQUIRE(!c_ec);
      const answer r = co_await c.get(session_path(id_a));
      BOOST_TEST(r.ec);
      BOOST_TEST(!r.header_read);
    }
    BOOST_TEST(h.srv.snapshot().resets == 2);
    BOOST_TEST(h.srv.snapshot().connections == 2);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(endless_body_sends_headers_then_stalls_until_stop) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  BOOST_TEST(h.srv.set_fault(id_a, sim::fault::endless_body, 1));
  BOOST_TEST(!h.srv.set_fault("69f45196c8bbf1ce65b5bcd7", sim::fault::endless_body, 1));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer r = co_await c.get(session_path(id_a), {.timeout = 300ms});
    BOOST_TEST(r.header_read);
    BOOST_TEST((r.ec == beast::error::timeout), r.ec.message());
    BOOST_TEST(r.header("Content-Length") == "1048576");
    BOOST_TEST(h.srv.snapshot().endless_bodies == 1);
    tls_client again(h.ioc.get_executor(), h.srv);  // the fault was for one poll only
    const boost::system::error_code again_ec = co_await again.connect();
    BOOST_REQUIRE(!again_ec);
    const answer got1 = co_await again.get(session_path(id_a));
    BOOST_TEST(got1.res.result_int() == 200u);
    h.srv.stop();  // also ends the stalled connection, or run() would not drain
  });
}

BOOST_AUTO_TEST_CASE(global_fraction_hits_a_deterministic_share) {
  harness h({.fraction_503 = 0.5});
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    std::string pattern;
    for (int i = 0; i < 6; ++i) {
      const answer r = co_await c.get(session_path(id_a));
      pattern += r.res.result_int() == 503u ? 'F' : '.';
    }
    BOOST_TEST(pattern == ".F.F.F");
    h.srv.set_global_fault(sim::fault::http_503, 0);
    h.srv.set_global_fault(sim::fault::http_500, 1.0);
    const answer got2 = co_await c.get(session_path(id_a));
    BOOST_TEST(got2.res.result_int() == 500u);
    h.srv.set_global_fault(sim::fault::http_500, 0);
    const answer got3 = co_await c.get(session_path(id_a));
    BOOST_TEST(got3.res.result_int() == 200u);
    BOOST_TEST(h.srv.snapshot().errors_5xx == 4);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(latency_delays_every_answer) {
  harness h({.latency = 100ms});
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer got4 = co_await c.get(session_path(id_a));
    BOOST_TEST(got4.took >= 100ms);
    const answer got5 = co_await c.get(session_path(id_a), {.key = nullptr});
    BOOST_TEST(got5.took >= 100ms);
    h.srv.set_latency(0ms);
    const answer got6 = co_await c.get(session_path(id_a));
    BOOST_TEST(got6.took < 100ms);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(connections)

BOOST_AUTO_TEST_CASE(keep_alive_serves_many_requests_on_one_connection) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    for (int i = 0; i < 5; ++i) {
      const answer r = co_await c.get(session_path(id_a));
      BOOST_TEST(r.res.result_int() == 200u);
    }
    const sim::stats st = h.srv.snapshot();
    BOOST_TEST(st.requests == 5);
    BOOST_TEST(st.ok_200 == 5);
    BOOST_TEST(st.connections == 1);
    BOOST_TEST(st.tls_handshakes == 1);
    h.srv.stop();
    const bool closed = co_await c.closed_by_peer(2s);
    BOOST_TEST(closed);  // stop() closes idle keep-alive connections
  });
}

// Boost.Test is not thread-safe: the clients only count, the test thread asserts.
BOOST_AUTO_TEST_CASE(serves_concurrent_clients_from_two_threads) {
  asio::io_context ioc;
  sim::server srv(ioc, {});
  srv.add_session(sim::done_after(id_a, 0ms));
  constexpr int clients = 4;
  constexpr int per_client = 25;
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < clients; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          tls_client c(ioc.get_executor(), srv);
          const boost::system::error_code ec = co_await c.connect();
          for (int k = 0; !ec && k < per_client; ++k) {
            const answer a = co_await c.get(session_path(id_a));
            if (a.res.result_int() == 200u) ++ok;
          }
          if (++finished == clients) srv.stop();
        },
        [&](std::exception_ptr e) {
          if (e) ++failures;
        });
  }
  std::thread second([&] { ioc.run_for(10s); });
  ioc.run_for(10s);
  second.join();
  BOOST_TEST(failures == 0);
  BOOST_TEST(finished == clients);
  BOOST_TEST(ok == clients * per_client);
  BOOST_TEST(srv.snapshot().requests == clients * per_client);
  BOOST_TEST(srv.snapshot().connections == clients);
  BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured) {
  harness h;
  h.srv.add_session(sim::done_after(id_a, 0ms));
  h.run([&]() -> asio::awaitable<void> {
    tls_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer r = co_await c.get(session_path(id_a), {.close = true});
    BOOST_TEST(r.res.result_int() == 200u);
    BOOST_TEST(!r.res.keep_alive());
    const bool closed = co_await c.closed_by_peer(2s);
    BOOST_TEST(closed);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(plain_http_when_tls_is_off) {
  harness h({.tls = false});
  h.srv.add_session(sim::done_after(id_a, 0ms));
  const std::string port = std::to_string(h.srv.port());
  BOOST_TEST(h.srv.base_url() == "http://localhost:" + port);
  BOOST_TEST(h.srv.ca_pem().empty());
  h.run([&]() -> asio::awaitable<void> {
    plain_client c(h.ioc.get_executor(), h.srv);
    const boost::system::error_code c_ec = co_await c.connect();
    BOOST_REQUIRE(!c_ec);
    const answer got7 = co_await c.get(session_path(id_a));
    BOOST_TEST(got7.res.result_int() == 200u);
    const answer got8 = co_await c.get(session_path(id_a));
    BOOST_TEST(got8.res.result_int() == 200u);
    BOOST_TEST(h.srv.snapshot().tls_handshakes == 0);
    BOOST_TEST(h.srv.snapshot().connections == 1);
    h.srv.stop();
  });
}

BOOST_AUTO_TEST_CASE(given_certificate_is_used_and_an_expired_one_fails_verification) {
  const sim::pem_pair ca = sim::make_ca("given CA");
  struct row {
    const char* name;
    sim::validity valid;
    bool handshake_ok;
  };
  const row rows[] = {{"valid", {}, true}, {"expired", {-48h, -24h}, false}};
  for (const row& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      harness h(
          {.cert = sim::issue_cert(ca, {"localhost", "127.0.0.1"}, r.valid), .ca_pem = ca.cert});
      BOOST_TEST(h.srv.ca_pem() == ca.cert);
      const std::string port = std::to_string(h.srv.port());
      BOOST_TEST(h.srv.base_url() == "https://localhost:" + port);
      h.run([&]() -> asio::awaitable<void> {
        tls_client c(h.ioc.get_executor(), h.srv);
        const boost::system::error_code ec = co_await c.connect();
        BOOST_TEST(!ec == r.handshake_ok, ec.message());
        if (!ec) {  // one request, so the server's side of the handshake has surely completed
          const answer a = co_await c.get(session_path(id_a));
          BOOST_TEST(a.res.result_int() == 404u);
        }
        h.srv.stop();
      });
      BOOST_TEST(h.srv.snapshot().tls_handshakes == (r.handshake_ok ? 1 : 0));
      BOOST_TEST(h.srv.snapshot().connections == 1);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
