#pragma once
// Outbound HTTPS through an HTTP proxy, as values: the proxy's URL, NO_PROXY, which proxy (if
// any) one origin goes through, and the Proxy-Authorization field. No sockets: the tunnel itself
// (HTTP CONNECT, then TLS with the origin) is net/http_connection.cpp's.
#include "fjwatch/http/url.hpp"
#include "fjwatch/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fjwatch {

// The port of a proxy URL that names none (curl's default too).
inline constexpr std::uint16_t default_proxy_port = 1080;

// The value of a `proxy` key that means "connect directly, whatever the environment says".
inline constexpr std::string_view proxy_off = "none";

// A proxy as a URL names it. The password is a secret: never logged, never in a message.
struct proxy_url {
  std::string host;  // without brackets
  std::uint16_t port = default_proxy_port;
  bool has_user = false;  // the URL had user info ("user@" or "user:password@")
  std::string user;       // percent-decoded
  std::string password;   // percent-decoded
};

// "http://[user[:password]@]host[:port][/]", or the same without "http://" (as HTTPS_PROXY is
// often written). The scheme is http (any case): the connection to the proxy is plain TCP, the
// tunnel through it carries TLS with the origin; https://, socks and others are refused. The
// host as in parse_url (IPv6 literals bracketed); the port defaults to 1080. No path but "/",
// no query, no fragment. Failures never quote the text (it may hold a password).
result<proxy_url> parse_proxy_url(std::string_view text);

// "host:port" of a proxy or origin, an IPv6 literal bracketed: what messages and logs show.
std::string host_port(std::string_view host, std::uint16_t port);

// Whether a NO_PROXY list exempts host:port, with curl's rules: entries separated by commas
// (blanks around them ignored); "*" exempts every host; an entry matches the host itself (in any
// case, a trailing dot ignored) and, for a name, every host under it ("example.com" and
// ".example.com" both match "api.example.com" and "example.com"); an IP address matches only
// that address (IPv6 with or without brackets); "entry:port" matches that port only. No CIDR
// ranges.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

// The Proxy-Authorization value for HTTP basic authentication: "Basic " + base64(user:password).
std::string basic_proxy_authorization(std::string_view user, std::string_view password);

// "user:password" as a proxy_auth_file holds it (surrounding blanks trimmed), split at the first
// ':'. Fails, without quoting it, when there is no ':' or the user is empty or the text holds a
// control character.
result<std::pair<std::string, std::string>> parse_proxy_credentials(std::string_view text);

// What the environment says about proxies, read once when the daemon starts.
struct proxy_environment {
  std::string
      https_proxy;  // $HTTPS_PROXY, else $https_proxy ("" when neither is set or both empty)
  std::string https_proxy_name;  // which of the two it came from, for messages
  std::string no_proxy;          // $NO_PROXY, else $no_proxy
};
proxy_environment read_proxy_environment();

// The tunnel one origin's connections go through.
struct proxy_route {
  std::string host;  // the proxy, without brackets
  std::uint16_t port = default_proxy_port;
  std::string authorization;  // the Proxy-Authorization value, "" for none; a secret
  std::string address() const { return host_port(host, port); }
  friend bool operator==(const proxy_route&, const proxy_route&) = default;
};

// Where a proxy setting for one origin comes from: the config's key (`proxy`: "" for not set,
// "none" for never), the credentials of its proxy_auth_file ("" when none: the URL's user info,
// if any, is used then) and the environment.
struct proxy_setting {
  std::string_view configured;
  std::string_view credentials;  // "user:password"
  const proxy_environment* env = nullptr;
};

// The proxy `origin` goes through, nullopt for a direct connection:
//  - an http origin (allowed only in tests) always connects directly;
//  - `configured` "none": directly; any other non-empty `configured`: that proxy, whatever
//    NO_PROXY says (the config named it for this very origin);
//  - else the environment's HTTPS_PROXY unless its NO_PROXY exempts the origin; none: directly.
// Fails when the proxy URL or the credentials do not parse; the message names the source
// ("$HTTPS_PROXY: ...") and never quotes a value.
result<std::optional<proxy_route>> choose_proxy(const proxy_setting& setting,
                                                const url_parts& origin);

}  // namespace fjwatch
