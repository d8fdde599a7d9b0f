// The simulator going down and up again (module `sim`, see test_sim.cpp): the server runs on a
// thread of its own, since go_down and go_up wait for its io_context.
#include <boost/test/unit_test.hpp>

#include "sim/sim.hpp"
#include "support/sim_client.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <thread>

namespace sim = fjwatch::sim;
using namespace fjwatch::sim::testing;
using namespace std::chrono_literals;

namespace {

const std::string id_a = "69f45196c8bbf1ce65b5bcd6";

// A simulator serving on its own thread; clients run on the test thread's io_context.
struct threaded {
  asio::io_context server_ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{server_ioc.get_executor()};
  sim::server srv{server_ioc, {}};
  std::thread thread{[this] { server_ioc.run(); }};
  asio::io_context ioc;

  ~threaded() {
    srv.stop();
    work.reset();
    thread.join();
  }

  // Runs `body` on the test thread's loop to its end (at most 5 s).
  void client(std::function<asio::awaitable<void>()> body) {
    bool finished = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          co_await body();
          finished = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    ioc.restart();
    ioc.run_for(5s);
    BOOST_TEST(finished);
  }

  // One GET of session a on a new connection: its status, or 0 with the connect error in `ec`.
  unsigned get_once(boost::system::error_code& ec) {
    unsigned status = 0;
    client([&]() -> asio::awaitable<void> {
      tls_client c(ioc.get_executor(), srv);
      ec = co_await c.connect();
      if (!ec) status = (co_await c.get(session_path(id_a))).res.result_int();
    });
    return status;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(down)

BOOST_AUTO_TEST_CASE(go_down_refuses_and_closes_then_go_up_serves_on_the_same_port) {
  threaded t;
  t.srv.add_session(sim::done_after(id_a, 0ms));
  const std::uint16_t port = t.srv.port();
  boost::system::error_code ec;
  BOOST_TEST(t.get_once(ec) == 200u);

  // A keep-alive connection open at go_down is closed by the server.
  bool closed = false;
  t.client([&]() -> asio::awaitable<void> {
    tls_client c(t.ioc.get_executor(), t.srv);
    BOOST_REQUIRE(!co_await c.connect());
    BOOST_TEST((co_await c.get(session_path(id_a))).res.result_int() == 200u);
    t.srv.go_down();
    closed = co_await c.closed_by_peer(2s);
  });
  BOOST_TEST(closed);
  t.srv.go_down();  // idempotent
  BOOST_TEST(!t.srv.is_up());
  BOOST_TEST(t.get_once(ec) == 0u);
  BOOST_TEST(ec == asio::error::connection_refused, ec.message());

  // Nothing else can take the port meanwhile.
  tcp::acceptor other(t.ioc);
  other.open(tcp::v4());
  boost::system::error_code bind_ec;
  other.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), bind_ec);
  BOOST_TEST(bind_ec == asio::error::address_in_use);
  other.close();

  t.srv.go_up();
  t.srv.go_up();  // idempotent
  BOOST_TEST(t.srv.is_up());
  BOOST_TEST(t.srv.port() == port);
  BOOST_TEST(t.get_once(ec) == 200u, ec.message());
  BOOST_TEST(t.srv.polls_of(id_a) == 3);  // the session's state outlived the outage
}

BOOST_AUTO_TEST_SUITE_END()
