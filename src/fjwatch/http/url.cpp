#include "fjwatch/http/url.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace fjwatch {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

bool is_host_char(char c) {
  return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Printable ASCII except space, '?' and '#' (handled before), with well-formed %XX escapes.
result<void> check_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return fail("the path has a character that must be percent-encoded");
    }
    if (c == '%' && (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))) {
      return fail("the path has a bad percent-encoding");
    }
  }
  return {};
}

result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 5 || ec != std::errc() || end != text.data() + text.size() ||
      value == 0 || value > 65535) {
    return fail("the port must be a number 1..65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Fills host and port from "host", "host:port", "[v6]" or "[v6]:port".
result<void> parse_authority(std::string_view authority, url_parts& out) {
  if (authority.find('@') != std::string_view::npos) return fail("user info is not allowed");
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("an IPv6 address is missing its ']'");
    out.host = std::string(authority.substr(1, close - 1));
    in6_addr addr{};
    if (inet_pton(AF_INET6, out.host.c_str(), &addr) != 1) return fail("bad IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return fail("unexpected text after ']'");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos) {
      return fail("an IPv6 address needs brackets");
    }
    out.host = std::string(authority.substr(0, colon));
    for (const char c : out.host) {
      if (!is_host_char(c)) return fail("the host has a character that is not allowed");
    }
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail("the host is empty");
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return port.error();
    out.port = *port;
  }
  return {};
}

}  // namespace

result<url_parts> parse_url(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail("expected an absolute URL like https://host/path");
  url_parts out;
  for (const char c : text.substr(0, sep)) {
    out.scheme += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (out.scheme != "https" && out.scheme != "http") {
    return fail("the scheme must be http or https");
  }
  out.port = out.https() ? 443 : 80;
  const std::string_view rest = text.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) return fail("a fragment is not allowed");
  const std::size_t question = rest.find('?');
  const std::string_view before_query = rest.substr(0, question);
  const std::size_t slash = before_query.find('/');
  if (auto authority = parse_authority(before_query.substr(0, slash), out); !authority) {
    return authority.error();
  }
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : before_query.substr(slash);
  if (auto checked = check_path(path); !checked) return checked.error();
  while (path.ends_with('/')) path.remove_suffix(1);
  out.path = std::string(path);
  if (question != std::string_view::npos) {
    const std::string_view query = rest.substr(question + 1);
    if (auto checked = check_path(query); !checked) {
      return fail(
          "the query has a character that must be percent-encoded or a bad percent-encoding");
    }
    out.query = std::string(query);
  }
  return out;
}

}  // namespace fjwatch
