// HTTP/1.1 request bytes, a lean response parser for http_connection, and how a response keeps
// its header fields.
#include "fjwatch/http/wire.hpp"
#include "fjwatch/http/token.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstring>

namespace fjwatch {

std::string_view http_response::header(std::string_view name) const {
  std::size_t at = 0;
  while (at < fields_.size()) {
    std::uint32_t name_size = 0;
    std::uint32_t value_size = 0;
    std::memcpy(&name_size, fields_.data() + at, 4);
    std::memcpy(&value_size, fields_.data() + at + 4, 4);
    const std::string_view field(fields_.data() + at + 8, name_size);
    if (boost::beast::iequals(field, name))
      return {fields_.data() + at + 8 + name_size, value_size};
    at += 8 + name_size + value_size;
  }
  return {};
}

void http_response::add_header(std::string_view name, std::string_view value) {
  const auto name_size = static_cast<std::uint32_t>(name.size());
  const auto value_size = static_cast<std::uint32_t>(value.size());
  char sizes[8];
  std::memcpy(sizes, &name_size, 4);
  std::memcpy(sizes + 4, &value_size, 4);
  fields_.append(sizes, 8).append(name).append(value);
}

}  // namespace fjwatch

namespace fjwatch::wire {
namespace {

namespace bhttp = boost::beast::http;

// The fields that frame the message: the connection writes them, a caller may not.
bool framing_field(std::string_view name) {
  for (const std::string_view f : {"host", "content-length", "transfer-encoding"}) {
    if (boost::beast::iequals(name, f)) return true;
  }
  return false;
}

// A request target is visible ASCII only (URLs arrive percent-encoded).
bool bad_target(std::string_view s) {
  return s.empty() || std::any_of(s.begin(), s.end(), [](char c) {
           const auto u = static_cast<unsigned char>(c);
           return u <= 0x20 || u >= 0x7f;
         });
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

std::string write_request(const http_request& req, std::string_view host, std::string& out) {
  if (!is_http_token(req.method)) return "method";
  if (bad_target(req.target)) return "target";
  out += req.method;
  out += ' ';
  out += req.target;
  out += " HTTP/1.1\r\n";
  append_field(out, "Host", host);
  for (const auto& h : req.headers) {
    if (!is_http_token(h.name)) return "a header name";
    if (framing_field(h.name)) return "header " + h.name + " (set by the connection)";
    if (!sendable_field_value(h.value)) return "header " + h.name;
    append_field(out, h.name, h.value);
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    append_field(out, "Content-Length", std::to_string(req.body.size()));
  }
  out += "\r\n";
  out += req.body;
  return {};
}

void response_reader::on_request_impl(bhttp::verb, string_view, string_view, int, error_code& ec) {
  ec = bhttp::error::bad_version;  // never called: this parser reads responses
}

void response_reader::on_response_impl(int code, string_view, int, error_code&) {
  out_.status = code;
}

void response_reader::on_field_impl(bhttp::field, string_view name, string_view value,
                                    error_code&) {
  out_.add_header({name.data(), name.size()}, {value.data(), value.size()});
}

void response_reader::on_header_impl(error_code&) {}

void response_reader::on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) {
  // The base class has already refused a length over body_limit.
  if (length) out_.body.reserve(static_cast<std::size_t>(*length));
}

std::size_t response_reader::on_body_impl(string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

void response_reader::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t response_reader::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  out_.body.append(body.data(), body.size());
  return body.size();
}

void response_reader::on_finish_impl(error_code&) {}

}  // namespace fjwatch::wire
