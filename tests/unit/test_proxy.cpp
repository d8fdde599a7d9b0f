// Proxies as values: the URL, NO_PROXY, the choice per origin and the Proxy-Authorization field.
#include <boost/test/unit_test.hpp>

#include "fjwatch/http/proxy.hpp"

#include <string>

using namespace fjwatch;

namespace {

url_parts https_origin(std::string host, std::uint16_t port = 443) {
  return {"https", std::move(host), port, ""};
}

// The route chosen, as "host:port auth" ("direct" for none, "error: ..." for a failure).
std::string chosen(std::string_view configured, const proxy_environment& env,
                   const url_parts& origin, std::string_view credentials = "") {
  const auto r =
      choose_proxy({.configured = configured, .credentials = credentials, .env = &env}, origin);
  if (!r) return "error: " + r.error().what;
  if (!*r) return "direct";
  return (*r)->address() + ((*r)->authorization.empty() ? "" : " " + (*r)->authorization);
}

}  // namespace

BOOST_AUTO_TEST_CASE(proxy_urls_parse_with_and_without_scheme) {
  const auto a = parse_proxy_url("http://proxy.corp:3128");
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "proxy.corp");
  BOOST_TEST(a->port == 3128);
  BOOST_TEST(!a->has_user);
  const auto b = parse_proxy_url("  HTTP://proxy.corp/ ");
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->port == 1080);  // curl's default
  const auto c = parse_proxy_url("10.0.0.1:8080");
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->host == "10.0.0.1");
  BOOST_TEST(c->port == 8080);
  const auto d = parse_proxy_url("http://[::1]:3128");
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->host == "::1");
  BOOST_TEST(host_port(d->host, d->port) == "[::1]:3128");
  const auto e = parse_proxy_url("http://[::1]");
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->port == 1080);
}

BOOST_AUTO_TEST_CASE(user_info_is_percent_decoded) {
  const auto a = parse_proxy_url("http://us%40er:p%3Ass%25w@proxy:3128");
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->has_user);
  BOOST_TEST(a->user == "us@er");
  BOOST_TEST(a->password == "p:ss%w");
  const auto b = parse_proxy_url("http://user@proxy");
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->user == "user");
  BOOST_TEST(b->password == "");
  // The last '@' ends the user info: an unescaped '@' in a password still works.
  const auto c = parse_proxy_url("http://u:p@ss@proxy:1");
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->password == "p@ss");
  BOOST_TEST(c->host == "proxy");
}

BOOST_AUTO_TEST_CASE(bad_proxy_urls_fail_without_quoting_them) {
  const std::vector<std::pair<std::string, std::string>> rows{
      {"https://proxy:3128", "an https:// proxy (TLS to the proxy itself) is not supported"},
      {"socks5://u:hunter2@proxy:1080", "only http:// proxies are supported"},
      {"http://proxy:3128/path", "a proxy URL has no path"},
      {"http://proxy:3128?x=hunter2", "a proxy URL has no query or fragment"},
      {"http://proxy:99999", "bad proxy URL: the port must be a number 1..65535"},
      {"http://proxy:0", "bad proxy URL: the port must be a number 1..65535"},
      {"http://", "bad proxy URL: the host is empty"},
      {"http://u:hunter2%zz@proxy", "the proxy URL's user info has a bad percent-encoding"},
      {"http://:hunter2@proxy", "the proxy URL's user info has no user name"},
      {"http://u:hunter2%0a@proxy", "the proxy URL's user info has a bad percent-encoding"},
      {"http://pro xy:1", "bad proxy URL: the host has a character that is not allowed"},
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT(text) {
      const auto r = parse_proxy_url(text);
      BOOST_TEST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().what.starts_with(want), r.error().what);
      BOOST_TEST(r.error().what.find("hunter2") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(no_proxy_follows_curl) {
  struct row {
    std::string list, host;
    std::uint16_t port;
    bool exempt;
  };
  const std::vector<row> rows{
      {"", "api.example.com", 443, false},
      {"*", "api.example.com", 443, true},
      {"example.com", "example.com", 443, true},
      {"example.com", "api.example.com", 443, true},
      {".example.com", "api.example.com", 443, true},
      {".example.com", "example.com", 443, true},
      {"example.com", "badexample.com", 443, false},
      {"EXAMPLE.com", "Api.Example.COM.", 443, true},
      {"example.com.", "api.example.com", 443, true},
      {"api.example.com", "example.com", 443, false},
      {"other.org, example.com", "x.example.com", 443, true},
      {" other.org ,\texample.com ", "x.example.com", 443, true},
      {"other.org,,", "x.example.com", 443, false},
      {"example.com:8443", "example.com", 8443, true},
      {"example.com:8443", "example.com", 443, false},
      {"example.com:bad", "example.com", 443, false},
      {"127.0.0.1", "127.0.0.1", 443, true},
      {"127.0.0.1", "127.0.0.2", 443, false},
      {"0.0.1", "127.0.0.1", 443, false},  // no suffix matching of addresses
      {"127.0.0.1:9", "127.0.0.1", 443, false},
      {"::1", "::1", 443, true},
      {"[::1]", "::1", 443, true},
      {"[0:0::1]:443", "::1", 443, true},
      {"[::1]:8443", "::1", 443, false},
      {"localhost", "127.0.0.1", 443, false},            // names are not resolved
      {"*.example.com", "api.example.com", 443, false},  // no glob but "*" alone
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("NO_PROXY=\"" << r.list << "\" host " << r.host << ":" << r.port) {
      BOOST_TEST(no_proxy_matches(r.list, r.host, r.port) == r.exempt);
    }
  }
}

BOOST_AUTO_TEST_CASE(basic_authorization_is_base64_of_user_colon_password) {
  BOOST_TEST(basic_proxy_authorization("user", "pass") == "Basic dXNlcjpwYXNz");
  BOOST_TEST(basic_proxy_authorization("Aladdin", "open sesame") ==
             "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  BOOST_TEST(basic_proxy_authorization("a", "") == "Basic YTo=");
  const auto creds = parse_proxy_credentials("  user:pa:ss\n");
  BOOST_TEST_REQUIRE(creds.has_value());
  BOOST_TEST(creds->first == "user");
  BOOST_TEST(creds->second == "pa:ss");
  BOOST_TEST(parse_proxy_credentials("hunter2").error().what == "expected user:password");
  BOOST_TEST(parse_proxy_credentials(":hunter2").error().what ==
             "the proxy credentials have no user name");
  BOOST_TEST(parse_proxy_credentials("u:hun\rter2").error().what ==
             "the proxy credentials contain a control character");
}

BOOST_AUTO_TEST_CASE(the_config_beats_the_environment) {
  const proxy_environment env{.https_proxy = "http://env-proxy:3128",
                              .https_proxy_name = "HTTPS_PROXY",
                              .no_proxy = "internal.example, 10.0.0.5"};
  const proxy_environment none{};
  const auto api = https_origin("api.example.com");
  // Nothing configured: the environment's proxy, unless NO_PROXY exempts the origin.
  BOOST_TEST(chosen("", env, api) == "env-proxy:3128");
  BOOST_TEST(chosen("", env, https_origin("hooks.internal.example")) == "direct");
  BOOST_TEST(chosen("", env, https_origin("10.0.0.5", 8443)) == "direct");
  BOOST_TEST(chosen("", none, api) == "direct");
  // "none": direct whatever the environment says.
  BOOST_TEST(chosen("none", env, api) == "direct");
  // A configured proxy wins, NO_PROXY or not.
  BOOST_TEST(chosen("http://cfg-proxy:8080", env, api) == "cfg-proxy:8080");
  BOOST_TEST(chosen("http://cfg-proxy:8080", env, https_origin("a.internal.example")) ==
             "cfg-proxy:8080");
  // An http origin (tests only) always connects directly.
  BOOST_TEST(chosen("http://cfg-proxy:8080", env, url_parts{"http", "h", 80, ""}) == "direct");
  BOOST_TEST(chosen("", env, url_parts{"http", "h", 80, ""}) == "direct");
}

BOOST_AUTO_TEST_CASE(credentials_come_from_the_file_else_the_url) {
  const proxy_environment env{.https_proxy = "http://eu:ep@env-proxy:3128",
                              .https_proxy_name = "https_proxy"};
  const auto api = https_origin("api.example.com");
  BOOST_TEST(chosen("", env, api) == "env-proxy:3128 " + basic_proxy_authorization("eu", "ep"));
  BOOST_TEST(chosen("", env, api, "fu:fp\n") ==
             "env-proxy:3128 " + basic_proxy_authorization("fu", "fp"));
  BOOST_TEST(chosen("http://p:1", env, api) == "p:1");
  BOOST_TEST(chosen("http://p:1", env, api, "nocolon") ==
             "error: proxy_auth_file: expected user:password");
}

BOOST_AUTO_TEST_CASE(a_bad_proxy_names_its_source) {
  const proxy_environment env{.https_proxy = "socks5://u:hunter2@h:1",
                              .https_proxy_name = "https_proxy"};
  const auto api = https_origin("api.example.com");
  BOOST_TEST(chosen("", env, api) == "error: $https_proxy: only http:// proxies are supported");
  BOOST_TEST(chosen("https://p", env, api).starts_with("error: proxy: an https:// proxy"));
  // A bad proxy that would not be used is no error.
  BOOST_TEST(chosen("none", env, api) == "direct");
}
