#pragma once
// Internal to the scheduler: what it keeps per watched session (a slot) and per worker. Shared by
// scheduler.cpp (polling) and scheduler_view.cpp (what operators see).
#include "fjwatch/api_client.hpp"
#include "fjwatch/scheduler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fjwatch {

struct scheduler::slot {
  session_id id;
  tracked_session t;
  std::string etag;
  std::string label;
  std::optional<std::vector<std::string>> actions;
  std::uint32_t generation = 0;
  bool watched = false;
  bool in_flight = false;
  std::uint32_t polls = 0;
  std::uint32_t events = 0;
  std::int64_t last_poll_ms = 0;
  clock::time_point due{};
  std::string last_error;
};

// A poll's outcome waiting for the group commit; its row and events are in staged_commits_.
struct scheduler::staged {
  std::uint32_t index;
  tracked_session next;
  poll_decision decision;
  std::optional<matching_status> before;  // the status in memory when the poll was made
};

struct scheduler::worker {
  worker(boost::asio::io_context& ioc, std::shared_ptr<boost::asio::ssl::context> tls,
         api_target target, std::string key)
      : timer(ioc), client(ioc.get_executor(), std::move(tls), std::move(target), std::move(key)) {}
  boost::asio::steady_timer timer;
  api_client client;
};

}  // namespace fjwatch
