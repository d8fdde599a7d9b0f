#pragma once
// Internal to the simulator and the receiver: a long HTTP body written piece by piece, for as
// long as the client reads it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace fjwatch::sim::detail {

// Writes `bytes` of filler to `stream` in 64 KiB pieces (as HTTP chunks followed by the last
// chunk when `chunked`), each write under `timeout` on the stream's lowest layer. Stops early at
// the first failed write or when stopped() holds. Adds every piece written to `written`.
// Returns the failed write's error, else success.
template <class Stream, class Stopped>
boost::asio::awaitable<boost::system::error_code> write_filler(Stream& stream, std::uint64_t bytes,
                                                               bool chunked,
                                                               std::chrono::milliseconds timeout,
                                                               std::atomic<std::int64_t>& written,
                                                               Stopped stopped) {
  namespace asio = boost::asio;
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  static const std::string filler(64 * 1024, 'n');
  auto& lowest = boost::beast::get_lowest_layer(stream);
  for (std::uint64_t left = bytes; left > 0 && !stopped();) {
    const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(left, filler.size()));
    char head[24];
    const int head_size = std::snprintf(head, sizeof head, "%zx\r\n", piece);
    const std::array<asio::const_buffer, 3> chunk{
        asio::buffer(head, chunked ? static_cast<std::size_t>(head_size) : 0),
        asio::buffer(filler.data(), piece), asio::buffer("\r\n", chunked ? 2 : 0)};
    lowest.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(stream, chunk, use_tuple);
    if (ec) co_return ec;
    written.fetch_add(static_cast<std::int64_t>(piece), std::memory_order_relaxed);
    left -= piece;
  }
  if (!chunked || stopped()) co_return boost::system::error_code{};
  lowest.expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), use_tuple);
  co_return ec;
}

}  // namespace fjwatch::sim::detail
