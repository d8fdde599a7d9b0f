// Proxy URLs, NO_PROXY and the choice of a proxy per origin (see proxy.hpp); no I/O but getenv.
#include "fjwatch/http/proxy.hpp"

#include "fjwatch/util/text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace fjwatch {
namespace {

constexpr std::string_view blanks = " \t\r\n";

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// %XX escapes decoded; nullopt for a bad escape or a decoded control character.
std::optional<std::string> percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    out += c;
  }
  return out;
}

// The IP address `text` as bytes ("" when it is not one); brackets around IPv6 allowed.
std::string ip_bytes(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  const std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return {};
}

// One NO_PROXY entry split into host and port (0: any port).
std::pair<std::string_view, std::uint16_t> split_entry(std::string_view entry) {
  std::string_view host = entry;
  std::string_view port_text;
  if (entry.starts_with('[')) {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return {entry, 0};
    host = entry.substr(1, close - 1);
    if (entry.substr(close + 1).starts_with(':')) port_text = entry.substr(close + 2);
  } else if (const std::size_t colon = entry.find(':');
             colon != std::string_view::npos &&
             entry.find(':', colon + 1) == std::string_view::npos) {
    host = entry.substr(0, colon);
    port_text = entry.substr(colon + 1);
  }
  std::uint16_t port = 0;
  if (!port_text.empty()) {
    // A port that cannot be one makes the entry match nothing (an empty host).
    unsigned value = 0;
    for (const char c : port_text) {
      if (c < '0' || c > '9' || value > 65535) return {std::string_view(), 0};
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return {std::string_view(), 0};
    port = static_cast<std::uint16_t>(value);
  }
  return {host, port};
}

bool entry_matches(std::string_view entry, std::string_view host, std::uint16_t port) {
  auto [name, entry_port] = split_entry(entry);
  if (name.empty() || (entry_port != 0 && entry_port != port)) return false;
  const std::string host_ip = ip_bytes(host);
  if (!host_ip.empty()) return host_ip == ip_bytes(name);
  while (name.starts_with('.')) name.remove_prefix(1);
  while (name.ends_with('.')) name.remove_suffix(1);
  while (host.ends_with('.')) host.remove_suffix(1);
  if (name.empty()) return false;
  const std::string h = lowered(host);
  const std::string n = lowered(name);
  return h == n || (h.size() > n.size() && h.ends_with(n) && h[h.size() - n.size() - 1] == '.');
}

std::string base64(std::string_view in) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      v = (v << 8) | (j < n ? static_cast<unsigned char>(in[i + j]) : 0u);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= n ? table[(v >> (18 - 6 * j)) & 0x3f] : '=';
    }
  }
  return out;
}

std::string env_value(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(trim(v, blanks)) : std::string();
}

}  // namespace

std::string host_port(std::string_view host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

result<proxy_url> parse_proxy_url(std::string_view text) {
  text = trim(text, blanks);
  if (const std::size_t sep = text.find("://"); sep != std::string_view::npos) {
    const std::string scheme = lowered(text.substr(0, sep));
    if (scheme == "https") {
      return fail("an https:// proxy (TLS to the proxy itself) is not supported; use http://");
    }
    if (scheme != "http") return fail("only http:// proxies are supported");
    text.remove_prefix(sep + 3);
  }
  if (text.find_first_of("?#") != std::string_view::npos) {
    return fail("a proxy URL has no query or fragment");
  }
  const std::size_t slash = text.find('/');
  if (slash != std::string_view::npos && text.substr(slash) != "/") {
    return fail("a proxy URL has no path");
  }
  std::string_view authority = text.substr(0, slash);
  proxy_url out;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = authority.substr(0, at);
    const std::size_t colon = info.find(':');
    auto user = percent_decoded(info.substr(0, colon));
    auto password = percent_decoded(colon == std::string_view::npos ? "" : info.substr(colon + 1));
    if (!user || !password) return fail("the proxy URL's user info has a bad percent-encoding");
    if (user->empty()) return fail("the proxy URL's user info has no user name");
    out.has_user = true;
    out.user = std::move(*user);
    out.password = std::move(*password);
    authority.remove_prefix(at + 1);
  }
  // Host and port as an http URL has them; the port defaults to the proxy's, not to 80.
  const auto parts = parse_url("http://" + std::string(authority));
  if (!parts) return fail("bad proxy URL: " + parts.error().what);
  const std::size_t close = authority.rfind(']');
  const std::string_view after_host =
      close == std::string_view::npos ? authority : authority.substr(close + 1);
  const bool port_given = after_host.find(':') != std::string_view::npos;
  out.host = parts->host;
  out.port = port_given ? parts->port : default_proxy_port;
  return out;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  while (!no_proxy.empty()) {
    const std::size_t comma = no_proxy.find(',');
    const std::string_view entry = trim(no_proxy.substr(0, comma), blanks);
    if (entry == "*") return true;
    if (!entry.empty() && entry_matches(entry, host, port)) return true;
    if (comma == std::string_view::npos) break;
    no_proxy.remove_prefix(comma + 1);
  }
  return false;
}

std::string basic_proxy_authorization(std::string_view user, std::string_view password) {
  return "Basic " + base64(std::string(user) + ":" + std::string(password));
}

result<std::pair<std::string, std::string>> parse_proxy_credentials(std::string_view text) {
  text = trim(text, blanks);
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail("the proxy credentials contain a control character");
    }
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail("expected user:password");
  if (colon == 0) return fail("the proxy credentials have no user name");
  return std::pair(std::string(text.substr(0, colon)), std::string(text.substr(colon + 1)));
}

proxy_environment read_proxy_environment() {
  proxy_environment env;
  for (const char* name : {"HTTPS_PROXY", "https_proxy"}) {
    env.https_proxy = env_value(name);
    if (!env.https_proxy.empty()) {
      env.https_proxy_name = name;
      break;
    }
  }
  env.no_proxy = env_value("NO_PROXY");
  if (env.no_proxy.empty()) env.no_proxy = env_value("no_proxy");
  return env;
}

result<std::optional<proxy_route>> choose_proxy(const proxy_setting& setting,
                                                const url_parts& origin) {
  if (!origin.https() || setting.configured == proxy_off) return std::optional<proxy_route>();
  std::string_view url = setting.configured;
  std::string source = "proxy";
  if (url.empty()) {
    if (setting.env == nullptr || setting.env->https_proxy.empty()) {
      return std::optional<proxy_route>();
    }
    if (no_proxy_matches(setting.env->no_proxy, origin.host, origin.port)) {
      return std::optional<proxy_route>();
    }
    url = setting.env->https_proxy;
    source = "$" + setting.env->https_proxy_name;
  }
  const auto parsed = parse_proxy_url(url);
  if (!parsed) return fail(source + ": " + parsed.error().what);
  proxy_route route{.host = parsed->host, .port = parsed->port};
  if (!setting.credentials.empty()) {
    const auto creds = parse_proxy_credentials(setting.credentials);
    if (!creds) return fail("proxy_auth_file: " + creds.error().what);
    route.authorization = basic_proxy_authorization(creds->first, creds->second);
  } else if (parsed->has_user) {
    route.authorization = basic_proxy_authorization(parsed->user, parsed->password);
  }
  return std::optional<proxy_route>(std::move(route));
}

}  // namespace fjwatch
