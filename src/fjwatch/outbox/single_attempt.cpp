#include "fjwatch/outbox/single_attempt.hpp"

#include "fjwatch/outbox/detail/action_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>

namespace fjwatch {
namespace asio = boost::asio;

single_attempt attempt_once(const config& cfg, std::size_t index, const secrets& keys,
                            const delivery& d) {
  asio::io_context ioc(1);
  // Declared after the loop, so destroyed first: its connections close while the loop exists.
  const auto runner = make_runner(ioc, cfg, index, keys);
  const auto start = std::chrono::steady_clock::now();
  std::optional<single_attempt> out;
  std::exception_ptr failed;
  asio::co_spawn(ioc, runner->attempt(d, 0), [&](std::exception_ptr e, attempt_outcome o) {
    const auto took = std::chrono::steady_clock::now() - start;
    if (e) {
      failed = e;
    } else {
      out = single_attempt{.verdict = o.verdict,
                           .result = std::move(o.result),
                           .answer = std::move(o.answer),
                           .took = std::chrono::duration_cast<std::chrono::milliseconds>(took)};
    }
    // A keep-alive connection (or anything else the runner left behind) must not hold run().
    ioc.stop();
  });
  ioc.run();
  if (failed) std::rethrow_exception(failed);
  if (!out) throw std::logic_error("attempt_once: the loop ended before the attempt did");
  return *out;
}

}  // namespace fjwatch
