#pragma once
// The bytes of HTTP/1.1 on a client connection: a request written into a buffer the connection
// reuses, and a response parser that keeps only what http_response holds. Beast's own message
// types allocate a node per header field on both sides; a poll needs none of that.
// Used by net/http_connection.cpp; fuzzed on its own.
#include "fjwatch/http/message.hpp"

#include <boost/beast/http/basic_parser.hpp>

#include <string>
#include <string_view>

namespace fjwatch::wire {

// Appends `req` to `out` as HTTP/1.1 bytes: request line, `Host: host`, req.headers in order,
// Content-Length when there is a body (or the method is POST or PUT), the body. Returns the name
// of the first part that would break the message (a method or header name that is not a token,
// a target that is not visible ASCII, a header value holding a control character other than a
// tab, a Host, Content-Length or Transfer-Encoding header of the caller's), leaving `out`
// unspecified; "" on success. Header values are never echoed: they may hold
// a secret.
std::string write_request(const http_request& req, std::string_view host, std::string& out);

// Parses one response into `out` (status, header fields, body). The base class enforces
// body_limit and header_limit; after a body_limit error is_header_done() tells whether status and
// headers are complete.
class response_reader final : public boost::beast::http::basic_parser<false> {
 public:
  explicit response_reader(http_response& out) : out_(out) {}

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code& ec) override;
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  http_response& out_;
};

}  // namespace fjwatch::wire
