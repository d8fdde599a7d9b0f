#pragma once
// Internal to the scheduler: what it keeps per watched session (a slot) and per worker. Shared by
// scheduler.cpp (polling) and scheduler_view.cpp (what operators see).
#include "fjwatch/api/api_client.hpp"
#include "fjwatch/poll/scheduler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fjwatch {

// One watched session. Kept small (one per session, 168 bytes): what most sessions never have
// (a label, their own actions, a last error) lives in `notes`, allocated only when needed.
struct scheduler::slot {
  struct notes_t {
    std::string label;
    std::optional<std::vector<std::string>> actions;
    std::string last_error;
  };

  session_id id;
  tracked_session t;
  std::string etag;
  std::unique_ptr<notes_t> notes;
  clock::time_point due{};
  std::int64_t last_poll_ms = 0;
  std::uint32_t generation = 0;
  std::uint32_t polls = 0;
  std::uint32_t events = 0;
  bool watched = false;
  bool in_flight = false;

  const std::string& label() const { return notes ? notes->label : no_text(); }
  const std::optional<std::vector<std::string>>& actions() const {
    static const std::optional<std::vector<std::string>> none;
    return notes ? notes->actions : none;
  }
  const std::string& last_error() const { return notes ? notes->last_error : no_text(); }

  void set_settings(const watch_entry& e) {
    if (e.label.empty() && !e.actions && (!notes || notes->last_error.empty())) {
      notes.reset();
      return;
    }
    auto& n = edit_notes();
    n.label = e.label;
    n.actions = e.actions;
  }
  void set_error(std::string what) {
    if (what.empty() && !notes) return;
    edit_notes().last_error = std::move(what);
    if (notes->label.empty() && !notes->actions && notes->last_error.empty()) notes.reset();
  }

 private:
  static const std::string& no_text() {
    static const std::string empty;
    return empty;
  }
  notes_t& edit_notes() {
    if (!notes) notes = std::make_unique<notes_t>();
    return *notes;
  }
};

inline const session_id& scheduler::slot_ids::operator()(std::uint32_t i) const {
  return (*slots)[i].id;
}

// A poll's outcome waiting for the group commit; its row and events are in staged_commits_.
struct scheduler::staged {
  std::uint32_t index;
  tracked_session next;
  poll_decision decision;
  std::string etag;                       // the ETag that goes with `next`
  std::optional<matching_status> before;  // the status in memory when the poll was made
};

struct scheduler::worker {
  worker(boost::asio::io_context& ioc, std::shared_ptr<boost::asio::ssl::context> tls,
         api_target target, std::string key)
      : timer(ioc), client(ioc.get_executor(), std::move(tls), std::move(target), std::move(key)) {}
  boost::asio::steady_timer timer;
  api_client client;
  std::uint32_t key_version = 0;  // of the API key the client sends (scheduler::key_version_)
  // The sessions of the current set of pipelined polls, as taken and as sent.
  std::vector<std::uint32_t> batch;
  std::vector<std::uint32_t> generations;
  std::vector<poll_item> items;
};

}  // namespace fjwatch
