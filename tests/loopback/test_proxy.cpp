// Outbound HTTPS through a real HTTP proxy (Debian's tinyproxy on 127.0.0.1): API polls and
// webhooks tunnelled by CONNECT with TLS checked end to end with the origin, basic auth, a proxy
// that refuses (403, 407), one that hangs (the request deadline holds), and NO_PROXY.
#include "support/daemon_env.hpp"
#include "support/receiver_thread.hpp"
#include "support/tinyproxy.hpp"
#include "fjwatch/api/api_client.hpp"

#include <boost/asio/co_spawn.hpp>

#include <stdlib.h>

using namespace itest;
using fjwatch::testing::hanging_proxy;
using fjwatch::testing::receiver_thread;
using fjwatch::testing::tinyproxy;
namespace utf = boost::unit_test;

namespace {

constexpr std::string_view session = "6a0000000000000000000301";

// Sets environment variables for one test; restores them all on destruction.
class env_vars {
 public:
  env_vars() {
    for (const char* name : {"HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"}) {
      const char* v = ::getenv(name);
      saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
      ::unsetenv(name);
    }
  }
  ~env_vars() {
    for (const auto& [name, v] : saved_) {
      v ? ::setenv(name.c_str(), v->c_str(), 1) : ::unsetenv(name.c_str());
    }
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// One api_client against the simulator, through `proxy`, on its own io_context.
struct client {
  client(sim::server& api, std::optional<fjwatch::proxy_route> proxy, fjwatch::millis timeout,
         const std::string& ca_pem)
      : ca(dir.write("ca.pem", ca_pem)),
        c(ioc.get_executor(), fjwatch::make_api_tls_context(ca.string()),
          fjwatch::api_target{{"https", "127.0.0.1", api.port(), ""}, timeout, std::move(proxy)},
          api_key) {}

  // One poll, run on this loop for at most `bound`.
  fjwatch::poll_outcome poll(std::chrono::milliseconds bound = 5s) {
    static const std::vector<fjwatch::poll_item> one{{*fjwatch::session_id::parse(session), ""}};
    std::optional<fjwatch::poll_outcome> out;
    asio::co_spawn(ioc, c.poll_all(one), [&](std::exception_ptr e, auto o) {
      if (e) std::rethrow_exception(e);
      out = std::move(o.at(0));
    });
    BOOST_TEST_REQUIRE(ft::run_until(
        ioc, [&] { return out.has_value(); }, bound));
    return *out;
  }

  ft::temp_dir dir{"fjwatch-proxy"};
  std::filesystem::path ca;
  asio::io_context ioc;
  fjwatch::api_client c;
};

fjwatch::proxy_route route(std::uint16_t port, std::string authorization = "") {
  return {.host = "127.0.0.1", .port = port, .authorization = std::move(authorization)};
}

std::string kind_of(const fjwatch::poll_outcome& o) {
  return std::string(fjwatch::to_string(o.what));
}

// A webhook action to `rx` named "hook", with `more` keys (YAML lines indented 4).
std::string hook_yaml(receiver_thread& rx, const std::string& more = "") {
  return "  - name: hook\n    type: webhook\n    url: " + rx->url("/hook") +
         "\n    secret_file: hook.secret\n    ca_file: hook-ca.pem\n    timeout: 2s\n"
         "    retry_schedule: [100ms, 100ms, 100ms]\n" +
         more;
}

// A daemon with the webhook, watching one session that is done at its first poll.
void start_with_hook(env& e, receiver_thread& rx) {
  e.dir.write("hook.secret", std::string(ft::webhook_secret) + "\n");
  e.dir.write("hook-ca.pem", rx->ca_pem());
  e.api->add_session(sim::done_at_poll(std::string(session), 1));
  e.watch({std::string(session)});
  e.start();
}

bool has_tinyproxy() { return !ft::tinyproxy_binary().empty(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(through_tinyproxy, *utf::precondition([](utf::test_unit_id) {
                        return utf::assertion_result(has_tinyproxy());
                      }) * utf::description("needs tinyproxy (scripts/deps.sh test installs it)"))

BOOST_AUTO_TEST_CASE(polls_go_through_the_tunnel_with_tls_to_the_origin) {
  tinyproxy proxy;
  ft::sim_thread api(sim_opts());
  api->add_session(sim::done_at_poll(std::string(session), 1));
  client c(api.server(), route(proxy.port()), 3s, api->ca_pem());
  BOOST_TEST(kind_of(c.poll()) == "ok");
  BOOST_TEST(kind_of(c.poll()) == "ok");
  // Both polls on one keep-alive tunnel: one CONNECT, to the API's port.
  BOOST_TEST(proxy.connects_to(api->port()) == 1u);
  BOOST_TEST(proxy.connects() == 1u);
  BOOST_TEST(c.c.connections_opened() == 1u);
  BOOST_TEST(api->snapshot().requests_with_key == 2);

  // TLS is the origin's, checked as without a proxy: a CA that did not sign it fails.
  ft::sim_thread other(sim_opts());
  client untrusted(api.server(), route(proxy.port()), 3s, other->ca_pem());
  const auto out = untrusted.poll();
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason.starts_with("TLS handshake: certificate verify failed"), out.reason);
  BOOST_TEST(proxy.connects_to(api->port()) == 2u);
}

BOOST_AUTO_TEST_CASE(basic_auth_is_sent_and_a_missing_or_wrong_one_is_refused) {
  tinyproxy proxy({.basic_auth = "fjw s3cret-pw"});
  ft::sim_thread api(sim_opts());
  api->add_session(sim::done_at_poll(std::string(session), 1));
  const auto good = fjwatch::basic_proxy_authorization("fjw", "s3cret-pw");
  BOOST_TEST(kind_of(client(api.server(), route(proxy.port(), good), 3s, api->ca_pem()).poll()) ==
             "ok");
  // tinyproxy asks for credentials with a 407, and turns down wrong ones with a 401.
  const std::string refused = "proxy " + proxy.address() + " refused CONNECT: ";
  const std::vector<std::tuple<std::string, std::string, std::string>> rows{
      {"none", "", "407 Proxy Authentication Required"},
      {"wrong", fjwatch::basic_proxy_authorization("fjw", "wrong-pw"), "401 Unauthorized"}};
  for (const auto& [name, auth, status] : rows) {
    BOOST_TEST_CONTEXT(name) {
      const auto out = client(api.server(), route(proxy.port(), auth), 3s, api->ca_pem()).poll();
      BOOST_TEST(kind_of(out) == "network_error");
      BOOST_TEST(out.reason == refused + status);
      BOOST_TEST(out.reason.find("wrong-pw") == std::string::npos);
    }
  }
  BOOST_TEST(api->snapshot().requests_with_key == 1);  // nothing reached the API but the first
}

BOOST_AUTO_TEST_CASE(a_proxy_that_refuses_is_a_clear_403) {
  tinyproxy proxy({.only_port_1 = true});
  ft::sim_thread api(sim_opts());
  api->add_session(sim::done_at_poll(std::string(session), 1));
  const auto out = client(api.server(), route(proxy.port()), 3s, api->ca_pem()).poll();
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason.starts_with("proxy " + proxy.address() + " refused CONNECT: 403 "),
             out.reason);
  BOOST_TEST(proxy.connects_to(api->port()) == 1u);
  BOOST_TEST(api->snapshot().requests_with_key == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_hanging_proxy_fails_at_the_request_deadline) {
  hanging_proxy proxy;
  ft::sim_thread api(sim_opts());
  client c(api.server(), route(proxy.port()), 400ms, api->ca_pem());
  const auto started = steady::now();
  const auto out = c.poll(3s);
  const auto took = steady::now() - started;
  BOOST_TEST(kind_of(out) == "network_error");
  BOOST_TEST(out.reason == "timeout after 400ms");
  BOOST_TEST((took >= 400ms && took < 2s));
}

BOOST_AUTO_TEST_CASE(a_proxy_that_is_down_is_named) {
  const auto port = ft::free_loopback_port();
  ft::sim_thread api(sim_opts());
  const auto out = client(api.server(), route(port), 3s, api->ca_pem()).poll();
  BOOST_TEST(out.reason ==
             "connect to proxy 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

BOOST_AUTO_TEST_SUITE(daemon_through_tinyproxy, *utf::precondition([](utf::test_unit_id) {
                        return utf::assertion_result(has_tinyproxy());
                      }))

// HTTPS_PROXY alone sends the API's polls and the webhook's deliveries through the proxy.
BOOST_AUTO_TEST_CASE(https_proxy_takes_the_api_and_the_webhooks) {
  tinyproxy proxy;
  receiver_thread rx;
  env_vars vars;
  vars.set("HTTPS_PROXY", proxy.url());
  env e({}, tuning{.actions = hook_yaml(rx), .defaults = "[hook]"});
  start_with_hook(e, rx);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() >= 1; }, 10s));
  BOOST_TEST(rx->count() == 1u);
  BOOST_TEST(rx->deliveries().at(0).signature_ok);
  BOOST_TEST(proxy.connects_to(e.api->port()) >= 1u);
  BOOST_TEST(proxy.connects_to(rx->port()) == 1u);
  BOOST_TEST(e.logs.count({" api.proxy ", "proxy=" + proxy.address(), "auth=false"}) == 1u);
  BOOST_TEST(e.logs.count({" action.proxy ", "action=hook", "proxy=" + proxy.address()}) == 1u);
}

// The config's keys beat the environment: api.proxy "none" goes direct past a proxy that hangs,
// and the action's own proxy, with credentials from its proxy_auth_file, takes the webhook.
BOOST_AUTO_TEST_CASE(config_keys_beat_the_environment) {
  tinyproxy proxy({.basic_auth = "hook-user hook-pw"});
  hanging_proxy hang;
  receiver_thread rx;
  env_vars vars;
  vars.set("https_proxy", hang.url());
  env e({}, tuning{.actions = hook_yaml(rx, "    proxy: " + proxy.url() +
                                                "\n    proxy_auth_file: hook-proxy.auth\n"),
                   .defaults = "[hook]",
                   .api_extra = "  proxy: none\n"});
  e.dir.write("hook-proxy.auth", "hook-user:hook-pw\n");
  start_with_hook(e, rx);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() >= 1; }, 10s));
  BOOST_TEST(rx->count() == 1u);
  BOOST_TEST(proxy.connects_to(rx->port()) == 1u);
  BOOST_TEST(proxy.connects_to(e.api->port()) == 0u);
  BOOST_TEST(e.logs.count({" api.proxy ", "proxy=none"}) == 1u);
  BOOST_TEST(e.logs.count({" action.proxy ", "proxy=" + proxy.address(), "auth=true"}) == 1u);
  BOOST_TEST(e.logs.count({"hook-pw"}) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// NO_PROXY exempts both origins from a proxy that would hang every request.
BOOST_AUTO_TEST_CASE(no_proxy_exempts_listed_hosts) {
  hanging_proxy hang;
  receiver_thread rx;
  env_vars vars;
  vars.set("HTTPS_PROXY", hang.url());
  vars.set("NO_PROXY", "example.org, localhost,127.0.0.1");
  env e({}, tuning{.actions = hook_yaml(rx), .defaults = "[hook]"});
  start_with_hook(e, rx);
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.d->delivered() >= 1; }, 10s));
  BOOST_TEST(rx->count() == 1u);
  BOOST_TEST(e.logs.count({" api.proxy ", "proxy=none"}) == 1u);
  BOOST_TEST(e.logs.count({" action.proxy "}) == 0u);
}

// Without NO_PROXY the same proxy holds every poll until the deadline: the daemon goes through it.
BOOST_AUTO_TEST_CASE(without_no_proxy_the_hanging_proxy_is_used) {
  hanging_proxy hang;
  env_vars vars;
  vars.set("HTTPS_PROXY", hang.url());
  env e;
  e.api->add_session(sim::done_at_poll(std::string(session), 1));
  e.watch({std::string(session)});
  e.start();
  BOOST_TEST_REQUIRE(e.run_until([&] { return e.logs.count({"timeout after 1s"}) >= 1; }, 5s));
  BOOST_TEST(e.api->snapshot().requests_with_key == 0);
  BOOST_TEST(e.logs.count({" api.proxy ", "proxy=127.0.0.1:" + std::to_string(hang.port())}) == 1u);
}
