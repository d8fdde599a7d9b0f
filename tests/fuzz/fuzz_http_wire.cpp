// The HTTP/1.1 wire layer of the client: the bytes as a server's answer to response_reader, and
// as the parts of a request to write_request. A complete answer parses the same whether it
// arrives whole or in small pieces (as reads from a socket cut it), never keeps more body than
// the limit, and finds its headers by name in any case. A request is either refused or written as bytes that
// Beast's own request parser reads back as exactly the parts given: nothing can smuggle a second
// request or an extra header through a target or a header value.
#include "fjwatch/http/wire.hpp"
#include "fuzz_check.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <vector>

namespace {

namespace bhttp = boost::beast::http;
using fjwatch::fuzz::as_text;

constexpr std::uint64_t body_limit = 4096;

struct parsed {
  fjwatch::http_response response;
  bool failed = false;
  bool done = false;
};

// Feeds `text` to a reader `step` bytes at a time (0: all at once).
parsed parse(std::string_view text, std::size_t step) {
  parsed out;
  fjwatch::wire::response_reader reader(out.response);
  reader.eager(true);
  reader.body_limit(body_limit);
  reader.header_limit(8192);
  std::string pending;
  for (std::size_t at = 0; at < text.size() && !reader.is_done();) {
    const auto piece = text.substr(at, step == 0 ? text.size() : step);
    at += piece.size();
    pending += piece;
    boost::system::error_code ec;
    const auto used = reader.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == bhttp::error::need_more) continue;
    if (ec) {
      out.failed = true;
      return out;
    }
  }
  out.done = reader.is_done();
  return out;
}

void check_response(std::string_view text, std::size_t step) {
  const auto whole = parse(text, 0);
  const auto pieces = parse(text, step);
  // A complete answer is read the same either way. Bad bytes may be refused as soon as they
  // are seen or only once more arrives, so failed and "needs more" may differ.
  FUZZ_CHECK(whole.done == pieces.done, "piece size changes whether the answer is complete");
  FUZZ_CHECK(whole.response.body.size() <= body_limit, "more body than the limit");
  FUZZ_CHECK(pieces.response.body.size() <= body_limit, "more body than the limit, in pieces");
  if (!whole.done) return;
  // Three digits, not necessarily a known class ("094" is 94: the caller's unexpected status).
  FUZZ_CHECK(whole.response.status >= 0 && whole.response.status <= 999, "status out of range");
  FUZZ_CHECK(whole.response.status == pieces.response.status, "status differs by piece size");
  FUZZ_CHECK(whole.response.body == pieces.response.body, "body differs by piece size");
  for (const char* name : {"ETag", "content-length", "RETRY-AFTER", "RateLimit-Remaining", "X"}) {
    FUZZ_CHECK(whole.response.header(name) == pieces.response.header(name), name);
  }
}

// Input lines: method, target, then "name: value" lines up to an empty line, then the body.
void check_request(std::string_view text) {
  fjwatch::http_request req;
  const auto line = [&]() {
    const auto end = text.find('\n');
    std::string out(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return out;
  };
  req.method = line();
  req.target = line();
  for (std::string h = line(); !h.empty(); h = line()) {
    const auto colon = h.find(':');
    req.headers.push_back(
        {h.substr(0, colon), colon == std::string::npos ? "" : h.substr(colon + 1)});
    if (req.headers.size() > 16) break;
  }
  req.body = std::string(text);

  std::string bytes;
  if (!fjwatch::wire::write_request(req, "h.example", bytes).empty()) return;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.header_limit(1 << 20);
  parser.body_limit(1 << 20);
  boost::system::error_code ec;
  const auto used = parser.put(boost::asio::buffer(bytes), ec);
  FUZZ_CHECK(!ec && parser.is_done(), "a written request does not parse");
  FUZZ_CHECK(used == bytes.size(), "a written request holds a second one");
  const auto& msg = parser.get();
  FUZZ_CHECK(msg.method_string() == req.method, "method");
  FUZZ_CHECK(msg.target() == req.target, "target");
  FUZZ_CHECK(msg.body() == req.body, "body");
  std::size_t fields = 0;
  for (const auto& f : msg) {
    (void)f;
    ++fields;
  }
  // Host, the caller's headers, and Content-Length when there is a body or the method is POST or
  // PUT (write_request's contract).
  const bool length = !req.body.empty() || req.method == "POST" || req.method == "PUT";
  const std::size_t expected = 1 + req.headers.size() + (length ? 1 : 0);
  FUZZ_CHECK(fields == expected, "a header was added or lost");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = as_text(data + 1, size - 1);
  check_response(text, 1 + data[0] % 16);
  check_request(text);
  return 0;
}
