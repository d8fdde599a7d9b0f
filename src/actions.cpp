#include "fjwatch/actions.hpp"

#include "fjwatch/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace fjwatch {
namespace asio = boost::asio;

namespace {

constexpr std::size_t batch_size = 256;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool action_supported(action_kind kind) { return kind == action_kind::log; }

outbox::outbox(asio::io_context& ioc, const config& cfg, store& db,
               std::function<void(std::string)> on_fatal)
    : ioc_(ioc), cfg_(cfg), db_(db), on_fatal_(std::move(on_fatal)), timer_(ioc) {}

void outbox::start() {
  running_ = true;
  asio::co_spawn(ioc_, run(), [this](std::exception_ptr e) {
    running_ = false;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      on_fatal_(std::string("outbox failed: ") + ex.what());
    }
  });
}

void outbox::notify() {
  notified_ = true;
  timer_.cancel();
}

void outbox::stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> outbox::run() {
  while (!stopping_) {
    notified_ = false;
    std::vector<delivery> due;
    std::optional<std::int64_t> next;
    try {
      due = db_.due_deliveries(unix_ms_now(), batch_size);
      if (due.empty()) next = db_.next_delivery_ms();
    } catch (const store_error& e) {
      on_fatal_(e.what());
      co_return;
    }
    if (due.empty()) {
      // Sleep until the next row is due, or until notify() says new rows exist.
      if (notified_) continue;
      if (next) {
        timer_.expires_at(std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::max<std::int64_t>(0, *next - unix_ms_now())));
      } else {
        timer_.expires_at(std::chrono::steady_clock::time_point::max());
      }
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    std::vector<attempt_record> records;
    records.reserve(due.size());
    for (const auto& d : due) {
      attempt_record r{.event_id = d.event_id, .action = d.action};
      if (const auto* action = cfg_.find_action(d.action); action && action_supported(action->kind)) {
        r.result = deliver(d, *action);
      } else {
        // The action was removed from the config (or cannot run here): keep the row for redelivery.
        r.state = delivery_state::failed;
        r.result = "action \"" + d.action + "\" is not configured";
        log::warn("delivery.failed", {{"event_id", d.event_id}, {"action", d.action}, {"reason", r.result}});
      }
      records.push_back(std::move(r));
    }
    try {
      db_.record_attempts(records);
    } catch (const store_error& e) {
      on_fatal_(e.what());
      co_return;
    }
    for (const auto& r : records) delivered_ += r.state == delivery_state::delivered ? 1 : 0;
  }
}

// Runs one delivery; returns the short result recorded for it.
std::string outbox::deliver(const delivery& d, const action_config& action) {
  // log: one line through the daemon's logger.
  log::info("action.log", {{"action", action.name}, {"event", to_string(d.type)},
                           {"event_id", d.event_id},
                           {"text", render_template(action.template_text, d.event_id, d.payload)}});
  return "ok";
}

}  // namespace fjwatch
