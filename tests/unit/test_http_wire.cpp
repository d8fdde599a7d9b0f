// The request bytes http_connection sends and the parser that reads its responses.
#include <boost/test/unit_test.hpp>

#include "fjwatch/http/wire.hpp"

#include <boost/beast/http/error.hpp>

#include <string>

using namespace fjwatch;
namespace bhttp = boost::beast::http;

namespace {

struct parsed {
  http_response response;
  boost::system::error_code ec;
  bool header_done = false;
  bool keep_alive = false;
};

// Feeds `text` to a response_reader in pieces of `step` bytes, as reads from a socket would.
parsed parse(std::string_view text, std::size_t step = 1 << 20, std::uint64_t body_limit = 1024) {
  parsed out;
  wire::response_reader reader(out.response);
  reader.eager(true);
  reader.body_limit(body_limit);
  std::string pending;
  for (std::size_t at = 0; at < text.size() && !reader.is_done();) {
    const auto piece = text.substr(at, step);
    at += piece.size();
    pending += piece;
    const auto used = reader.put(boost::asio::buffer(pending), out.ec);
    if (out.ec == bhttp::error::need_more) {
      out.ec = {};
    } else if (out.ec) {
      break;
    }
    pending.erase(0, used);
  }
  out.header_done = reader.is_header_done();
  out.keep_alive = reader.is_header_done() && reader.keep_alive();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_get_is_written_with_host_and_headers_in_order) {
  http_request req;
  req.target = "/api/v1/wl/sourcing-session/abc";
  req.headers = {{"Accept", "application/json"}, {"If-None-Match", "\"v1\""}};
  std::string out = "GET /first HTTP/1.1\r\nHost: api.example:8443\r\n\r\n";  // pipelined
  BOOST_TEST(wire::write_request(req, "api.example:8443", out).empty());
  BOOST_TEST(out ==
             "GET /first HTTP/1.1\r\nHost: api.example:8443\r\n\r\n"
             "GET /api/v1/wl/sourcing-session/abc HTTP/1.1\r\n"
             "Host: api.example:8443\r\n"
             "Accept: application/json\r\n"
             "If-None-Match: \"v1\"\r\n"
             "\r\n");
}

BOOST_AUTO_TEST_CASE(a_post_carries_its_length_and_body) {
  http_request req;
  req.method = "POST";
  req.target = "/hook";
  req.body = "{\"a\":1}";
  std::string out;
  BOOST_TEST(wire::write_request(req, "h", out).empty());
  BOOST_TEST(out == "POST /hook HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  req.body.clear();
  out.clear();
  BOOST_TEST(wire::write_request(req, "h", out).empty());
  BOOST_TEST(out == "POST /hook HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(what_would_break_the_framing_is_refused_and_named_without_its_value) {
  std::string out;
  http_request req;
  req.target = "/x";
  req.headers = {{"x-fj-api-key", "secret\r\nInjected: 1"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "header x-fj-api-key");
  req.headers = {{"If-None-Match", std::string("a\0b", 3)}};
  BOOST_TEST(wire::write_request(req, "h", out) == "header If-None-Match");
  req.headers = {{"X-Bell",
                  "a\x07"
                  "b"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "header X-Bell");
  req.headers = {{"X-Fine", "tab\tand caf\xc3\xa9 and spaces"}};
  BOOST_TEST(wire::write_request(req, "h", out).empty());
  req.headers = {{"content-LENGTH", "9"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "header content-LENGTH (set by the connection)");
  req.headers = {{"Transfer-Encoding", "chunked"}};
  BOOST_TEST(wire::write_request(req, "h", out) ==
             "header Transfer-Encoding (set by the connection)");
  req.headers = {{"Host", "elsewhere"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "header Host (set by the connection)");
  req.headers = {{"Bad Name", "v"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "a header name");
  req.headers = {{"", "v"}};
  BOOST_TEST(wire::write_request(req, "h", out) == "a header name");
  req.headers.clear();
  req.target = "/x HTTP/1.0\r\nHost: other";
  BOOST_TEST(wire::write_request(req, "h", out) == "target");
  req.target = "";
  BOOST_TEST(wire::write_request(req, "h", out) == "target");
  req.target = "/caf\xc3\xa9";
  BOOST_TEST(wire::write_request(req, "h", out) == "target");
  req.target = "/x";
  req.method = "G T";
  BOOST_TEST(wire::write_request(req, "h", out) == "method");
}

BOOST_AUTO_TEST_CASE(status_headers_and_body_are_read_in_any_pieces) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nETag: \"7\"\r\nRateLimit-Remaining: 42\r\nX-Empty:\r\n"
      "Content-Length: 11\r\n\r\nhello world";
  for (const std::size_t step : {1, 3, 7, 1 << 20}) {
    BOOST_TEST_CONTEXT("pieces of " << step) {
      const auto p = parse(text, step);
      BOOST_TEST(!p.ec);
      BOOST_TEST(p.response.status == 200);
      BOOST_TEST(p.response.header("etag") == "\"7\"");
      BOOST_TEST(p.response.header("RATELIMIT-REMAINING") == "42");
      BOOST_TEST(p.response.header("X-Empty") == "");
      BOOST_TEST(p.response.header("Retry-After") == "");
      BOOST_TEST(p.response.body == "hello world");
      BOOST_TEST(p.keep_alive);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_first_of_repeated_headers_is_returned) {
  const auto p =
      parse("HTTP/1.1 304 Not Modified\r\nVia: a\r\nVia: b\r\nConnection: close\r\n\r\n");
  BOOST_TEST(!p.ec);
  BOOST_TEST(p.response.status == 304);
  BOOST_TEST(p.response.header("Via") == "a");
  BOOST_TEST(p.response.body.empty());
  BOOST_TEST(!p.keep_alive);
}

BOOST_AUTO_TEST_CASE(a_chunked_body_is_joined) {
  const auto p = parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n "
      "world\r\n0\r\n\r\n",
      4);
  BOOST_TEST(!p.ec);
  BOOST_TEST(p.response.body == "hello world");
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_fails_after_a_complete_header) {
  const auto sized = parse("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", 1 << 20, 1024);
  BOOST_TEST((sized.ec == bhttp::error::body_limit));
  BOOST_TEST(sized.header_done);
  BOOST_TEST(sized.response.status == 200);
  const std::string chunk(700, 'x');
  const auto chunked = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2bc\r\n" +
                                 chunk + "\r\n2bc\r\n" + chunk + "\r\n0\r\n\r\n",
                             1 << 20, 1024);
  BOOST_TEST((chunked.ec == bhttp::error::body_limit));
}

BOOST_AUTO_TEST_CASE(a_header_field_with_a_bare_line_break_is_an_error) {
  const auto p = parse("HTTP/1.1 200 OK\r\nETag: \"a\nInjected: 1\"\r\nContent-Length: 0\r\n\r\n");
  BOOST_TEST(static_cast<bool>(p.ec));
}
