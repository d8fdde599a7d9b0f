#include "fjwatch/service/control_server.hpp"
#include "support/control_client.hpp"
#include "support/daemon_env.hpp"
#include "support/metrics_format.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <fstream>
#include <thread>

using namespace itest;
namespace json = boost::json;

namespace {

// A daemon env whose control endpoint listens on `address`.
tuning with_control(std::string address,
                    fjwatch::millis unreachable_after = fjwatch::default_unreachable_after) {
  return tuning{.control = "\"" + address + "\"", .unreachable_after = unreachable_after};
}

std::string tcp_address() { return "127.0.0.1:" + std::to_string(ft::free_port()); }

// GET `target` while the test thread runs the daemon's loop.
ft::exchange get(env& e, const std::string& address, std::string_view target,
                 std::string_view method = "GET") {
  auto f = ft::send_raw_async(address, ft::request_text(method, target));
  BOOST_TEST_REQUIRE(e.run_until([&] { return ft::ready(f); }, 10s));
  return f.get();
}

// The same against a control_server on `ioc`.
ft::exchange get(asio::io_context& ioc, const std::string& address, std::string_view target) {
  auto f = ft::send_raw_async(address, ft::request_text("GET", target));
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return ft::ready(f); }, 10s));
  return f.get();
}

// A source with nothing to show.
fjwatch::control_source empty_source() {
  return fjwatch::control_source{
      .sessions = [] { return std::vector<fjwatch::session_view>{}; },
      .counts = [] { return fjwatch::session_counts{}; },
      .stats = [] { return fjwatch::scheduler_stats{}; },
      .deliveries = [] { return std::vector<fjwatch::delivery_counts>{}; },
      .outbox = [] { return fjwatch::outbox_totals{}; }};
}

// Starts the daemon of `e` on one session that is done at its second poll and waits until its
// event is delivered; returns the session's id.
std::string see_one_session_done(env& e, unsigned n) {
  const auto id = sid(n);
  e.api->add_session(sim::done_at_poll(id, 2));
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() == 1u; }, 10s));
  return id;
}

// The /metrics of a daemon that saw one session through to done and delivered its event.
std::string metrics_after_work() {
  const auto address = tcp_address();
  env e({}, with_control(address));
  see_one_session_done(e, 0xc01);
  const auto r = get(e, address, "/metrics");
  BOOST_TEST(ft::status_of(r.text) == 200);
  return ft::body_of(r.text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(healthz_sessions_and_metrics_answer) {
  const auto address = tcp_address();
  env e({}, with_control(address));
  const auto id = see_one_session_done(e, 0xc02);
  BOOST_TEST(e.logs.count({" control.listening ", "address=" + address}) == 1u);

  const auto health = get(e, address, "/healthz");
  BOOST_TEST(ft::status_of(health.text) == 200);
  BOOST_TEST(ft::body_of(health.text) == "{\"status\":\"ok\"}\n");
  BOOST_TEST(contains(health.text, "Content-Type: application/json\r\n"));

  const auto sessions = get(e, address, "/sessions");
  BOOST_TEST(ft::status_of(sessions.text) == 200);
  const auto doc = json::parse(ft::body_of(sessions.text));
  BOOST_TEST_REQUIRE(doc.as_array().size() == 1u);
  const auto& s = doc.as_array()[0].as_object();
  BOOST_TEST(s.at("id").as_string() == id);
  BOOST_TEST(s.at("status").as_string() == "done");
  BOOST_TEST(s.at("state").as_string() == "done_stopped");
  BOOST_TEST(s.at("matched").as_int64() == 25);
  BOOST_TEST(s.at("polls").as_int64() == 2);
  BOOST_TEST(s.at("events").as_int64() == 1);
  BOOST_TEST(s.at("last_poll").is_string());
  BOOST_TEST(s.at("next_poll").is_null());

  const auto metrics = get(e, address, "/metrics");
  BOOST_TEST(contains(metrics.text, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  const auto text = ft::body_of(metrics.text);
  const auto problems = ft::check_exposition(text);
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
  for (const std::string line :
       {"fjwatch_sessions{state=\"done\"} 1", "fjwatch_polls_total{outcome=\"ok\"} 2",
        "fjwatch_poll_latency_seconds_count 2", "fjwatch_events_total{type=\"session.done\"} 1",
        "fjwatch_deliveries_total{action=\"journal\",outcome=\"delivered\"} 1",
        "fjwatch_outbox_deliveries{state=\"pending\"} 0"}) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(contains(text, "\n" + line + "\n")); }
  }
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_other_methods_405) {
  const auto address = tcp_address();
  env e({}, with_control(address));
  e.watch({});
  e.start();
  const auto missing = get(e, address, "/nope");
  BOOST_TEST(ft::status_of(missing.text) == 404);
  const auto post = get(e, address, "/metrics", "POST");
  BOOST_TEST(ft::status_of(post.text) == 405);
  BOOST_TEST(contains(post.text, "\r\nAllow: GET, HEAD\r\n"));
  const auto head = get(e, address, "/healthz", "HEAD");
  BOOST_TEST(ft::status_of(head.text) == 200);
  BOOST_TEST(contains(head.text, "\r\nContent-Length: 16\r\n"));
  BOOST_TEST(ft::body_of(head.text) == "");
}

BOOST_AUTO_TEST_CASE(health_is_503_while_the_key_is_rejected_and_200_after) {
  const auto address = tcp_address();
  env e({}, with_control(address));
  const auto id = sid(0xc03);
  e.api->add_session(processing(id));
  e.watch({id});
  e.start("fjk_itest_rejected_key_000");
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->stats().auth_failing; }, 5s));
  const auto degraded = get(e, address, "/healthz");
  BOOST_TEST(ft::status_of(degraded.text) == 503);
  BOOST_TEST(ft::body_of(degraded.text) ==
             "{\"status\":\"degraded\",\"reason\":\"the API rejects the key (401): polling is "
             "paused\"}\n");
  BOOST_TEST(
      contains(ft::body_of(get(e, address, "/metrics").text), "\nfjwatch_api_auth_failing 1\n"));

  e.api->set_api_key("fjk_itest_rejected_key_000");  // the key is accepted from now on
  BOOST_TEST_REQUIRE(e.run_until([&] { return !e.d->stats().auth_failing; }, 10s));
  const auto healthy = get(e, address, "/healthz");
  BOOST_TEST(ft::status_of(healthy.text) == 200);
}

BOOST_AUTO_TEST_CASE(health_is_503_while_the_api_is_unreachable) {
  const auto address = tcp_address();
  env e({}, with_control(address, 400ms));
  const auto id = sid(0xc04);
  e.api->add_session(processing(id));
  e.api->set_global_fault(sim::fault::http_503, 1.0);
  e.watch({id});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->stats().api_failing_since.has_value(); }, 5s));
  BOOST_TEST(ft::status_of(get(e, address, "/healthz").text) == 200);  // not yet long enough
  ft::exchange degraded;
  BOOST_TEST_REQUIRE(e.run_until(
      [&] { return ft::status_of((degraded = get(e, address, "/healthz")).text) == 503; }, 5s));
  BOOST_TEST(contains(ft::body_of(degraded.text), "the API has been unreachable for "));
  BOOST_TEST(contains(ft::body_of(degraded.text), "(server_error: HTTP 503"));

  e.api->set_global_fault(sim::fault::http_503, 0);  // the API answers again
  BOOST_TEST(
      e.run_until([&] { return ft::status_of(get(e, address, "/healthz").text) == 200; }, 5s));
}

BOOST_AUTO_TEST_CASE(unix_socket_replaces_a_stale_file_and_is_removed_on_stop) {
  ft::temp_dir sockets;
  const auto path = (sockets / "control.sock").string();
  env e({}, with_control("unix:" + path));
  {  // a socket file left behind by a crashed daemon: bound, never removed, nobody listening
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::close(fd);
  }
  e.watch({});
  e.start();
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST(S_ISSOCK(st.st_mode));
  BOOST_TEST((st.st_mode & 0777) == 0660u);
  const auto health = get(e, "unix:" + path, "/healthz");
  BOOST_TEST(ft::status_of(health.text) == 200);

  // A second endpoint on the same path is refused while this one listens.
  asio::io_context other;
  fjwatch::control_server second(other, {.address = "unix:" + path}, empty_source());
  try {
    second.start();
    BOOST_ERROR("a second server started on a socket in use");
  } catch (const std::runtime_error& ex) {
    BOOST_TEST(ex.what() ==
               "control endpoint unix:" + path + ": another process is listening on " + path);
  }
  e.stop();
  BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(a_unix_path_that_is_not_a_socket_is_left_alone) {
  ft::temp_dir dir;
  const auto path = dir.write("control.sock", "not a socket").string();
  asio::io_context ioc;
  fjwatch::control_server server(ioc, {.address = "unix:" + path}, empty_source());
  BOOST_CHECK_EXCEPTION(server.start(), std::runtime_error, [&](const std::runtime_error& ex) {
    return std::string(ex.what()) ==
           "control endpoint unix:" + path + ": " + path + " exists and is not a socket";
  });
  std::ifstream in(path);
  std::string kept;
  std::getline(in, kept);
  BOOST_TEST(kept == "not a socket");
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_a_startup_error_naming_the_address) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor squatter(ioc,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto address = "127.0.0.1:" + std::to_string(squatter.local_endpoint().port());
  env e({}, with_control(address));
  e.watch({});
  BOOST_CHECK_EXCEPTION(e.start(), std::runtime_error, [&](const std::runtime_error& ex) {
    BOOST_TEST_MESSAGE("start failed: " << ex.what());
    return contains(ex.what(), "control endpoint " + address + ": ") &&
           contains(ex.what(), "Address already in use");
  });
}

BOOST_AUTO_TEST_CASE(a_non_loopback_address_needs_allow_remote) {
  const auto port = std::to_string(ft::free_port());
  asio::io_context ioc;
  fjwatch::control_server refused(ioc, {.address = "0.0.0.0:" + port}, empty_source());
  BOOST_CHECK_EXCEPTION(refused.start(), std::runtime_error, [&](const std::runtime_error& ex) {
    return std::string(ex.what()) == "control endpoint 0.0.0.0:" + port + ": 0.0.0.0:" + port +
                                         " is not a loopback address; set control_allow_remote: "
                                         "true to listen there";
  });
  // The config refuses it first, with its position.
  env e({}, with_control("0.0.0.0:" + port));
  BOOST_CHECK_EXCEPTION(fjwatch::load_config(e.dir / "fjwatch.yaml"), fjwatch::config_error,
                        [](const fjwatch::config_error& ex) {
                          return contains(ex.what(), ": control: \"0.0.0.0:") &&
                                 contains(ex.what(), "is not a loopback address");
                        });
  // Allowed explicitly, it listens (and answers on loopback too).
  fjwatch::control_server allowed(ioc, {.address = "0.0.0.0:" + port, .allow_remote = true},
                                  empty_source());
  allowed.start();
  BOOST_TEST(allowed.where() == "0.0.0.0:" + port);
  BOOST_TEST(ft::status_of(get(ioc, "127.0.0.1:" + port, "/healthz").text) == 200);
  allowed.stop();
  BOOST_TEST(ft::run_to_idle(ioc, 3s));
}

BOOST_AUTO_TEST_CASE(a_slow_client_is_cut_off_and_others_are_served_meanwhile) {
  const auto address = tcp_address();
  asio::io_context ioc;
  fjwatch::control_server server(ioc, {.address = address, .header_timeout = 300ms},
                                 empty_source());
  server.start();
  const auto started = steady::now();
  auto slow = ft::send_raw_async(address, "GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never ends
  auto idle = ft::send_raw_async(address, "");                                      // says nothing
  BOOST_TEST(ft::status_of(get(ioc, address, "/healthz").text) == 200);
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return ft::ready(slow) && ft::ready(idle); }, 5s));
  const auto elapsed = steady::now() - started;
  for (auto* f : {&slow, &idle}) {
    const auto r = f->get();
    BOOST_TEST(r.closed);  // by the server, not by the client's own 5 s read timeout
    BOOST_TEST(r.text == "");
  }
  BOOST_TEST((elapsed < 3s));
  server.stop();
  BOOST_TEST(ft::run_to_idle(ioc, 3s));
}

// Over the cap, the connection that has waited longest for a request makes room: clients that
// hold connections open cannot lock others out.
BOOST_AUTO_TEST_CASE(a_full_server_makes_room_for_a_newcomer) {
  const auto address = tcp_address();
  asio::io_context ioc;
  fjwatch::control_server server(
      ioc, {.address = address, .header_timeout = 10s, .max_connections = 2}, empty_source());
  server.start();
  auto a = ft::send_raw_async(address, "");
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return server.open_connections() == 1; }, 2s));
  auto b = ft::send_raw_async(address, "GET /healthz HTTP/1.1\r\n");  // half a header
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return server.open_connections() == 2; }, 2s));
  const auto started = steady::now();
  BOOST_TEST(ft::status_of(get(ioc, address, "/healthz").text) == 200);
  BOOST_TEST((steady::now() - started < 1s));
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return ft::ready(a); }, 2s));
  BOOST_TEST(a.get().closed);
  BOOST_TEST(!ft::ready(b));  // the younger one keeps its slot
  auto c = ft::send_raw_async(address, "");
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return server.open_connections() == 2; }, 2s));
  BOOST_TEST(ft::status_of(get(ioc, address, "/healthz").text) == 200);  // full again: b goes
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return ft::ready(b); }, 2s));
  BOOST_TEST(b.get().closed);
  BOOST_TEST(!ft::ready(c));
  server.stop();
  BOOST_TEST(ft::run_to_idle(ioc, 3s));
}

// Local clients holding many connections, each trickling one header line a second (a slowloris),
// leave /healthz answering everyone else within a second: the header deadline cuts them off and
// the slots are many.
BOOST_AUTO_TEST_CASE(slow_clients_by_the_dozen_do_not_lock_others_out) {
  const auto address = tcp_address();
  asio::io_context ioc;
  fjwatch::control_server server(ioc, {.address = address}, empty_source());
  server.start();
  constexpr int slow_clients = 64;
  constexpr int rounds = 5;  // seconds of trickling
  std::atomic<int> round{0};
  std::atomic<int> reconnects{0};
  std::thread trickler([&] {
    std::vector<int> fds(slow_clients, -1);
    for (int r = 0; r < rounds; ++r) {
      for (int& fd : fds) {
        const std::string line = fd < 0 ? "GET /healthz HTTP/1.1\r\n" : "X-Slow: 1\r\n";
        if (fd >= 0 && ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) >= 0) continue;
        if (fd >= 0) {
          ::close(fd);
          ++reconnects;
        }
        fd = ft::connect_to(address, 1s);
        if (fd >= 0) (void)::send(fd, "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
      }
      round = r + 1;
      std::this_thread::sleep_for(1s);  // the attacker's pace, not a wait for the server
    }
    for (const int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  });
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return round >= 1; }, 5s));
  int probes = 0;
  while (round < rounds) {
    const auto started = steady::now();
    const auto answer = get(ioc, address, "/healthz");
    const auto took = steady::now() - started;
    BOOST_TEST_CONTEXT("probe " << probes << " in round " << round) {
      BOOST_TEST(ft::status_of(answer.text) == 200);
      BOOST_TEST((took < 1s));
    }
    ++probes;
    ft::run_for(ioc, 200ms);  // keep serving the slow ones between probes
  }
  trickler.join();
  BOOST_TEST(probes >= 10);
  BOOST_TEST(reconnects.load() >= slow_clients);  // the slow ones were cut off, not served
  server.stop();
  BOOST_TEST(ft::run_to_idle(ioc, 3s));
}

BOOST_AUTO_TEST_CASE(oversized_requests_are_refused) {
  const auto address = tcp_address();
  asio::io_context ioc;
  fjwatch::control_server server(ioc, {.address = address}, empty_source());
  server.start();
  auto big_header = ft::send_raw_async(address, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                                    std::string(10000, 'a') + "\r\n\r\n");
  auto big_body = ft::send_raw_async(
      address,
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  BOOST_TEST_REQUIRE(ft::run_until(
      ioc, [&] { return ft::ready(big_header) && ft::ready(big_body); }, 5s));
  BOOST_TEST(ft::status_of(big_header.get().text) == 431);
  BOOST_TEST(ft::status_of(big_body.get().text) == 413);
  server.stop();
  BOOST_TEST(ft::run_to_idle(ioc, 3s));
}

BOOST_AUTO_TEST_CASE(metrics_of_a_working_daemon_are_well_formed) {
  const auto text = metrics_after_work();
  const auto problems = ft::check_exposition(text);
  BOOST_TEST(problems.empty(), (problems.empty() ? "" : problems.front()));
}

BOOST_AUTO_TEST_CASE(metrics_of_a_working_daemon_pass_promtool,
                     *boost::unit_test::precondition(ft::promtool_installed)) {
  const auto text = metrics_after_work();
  const auto [code, output] = ft::promtool_check(ft::find_promtool(), text);
  BOOST_TEST(code == 0, "promtool check metrics: " << output);
  BOOST_TEST(output == "");
}
