// The scheduler's group commit: outcomes that change a stored row (a new status, a counter, an
// event) are gathered for a few milliseconds and written in one transaction, so a first round of
// polls over many sessions costs one fsync per batch instead of one per session. Until its batch
// is durable a session stays in flight: it is neither polled again nor shown as moved on.
#include "fjwatch/config/action_routing.hpp"
#include "fjwatch/log/log.hpp"
#include "fjwatch/poll/scheduler.hpp"
#include "fjwatch/poll/detail/slot.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <algorithm>

namespace fjwatch {
using namespace std::chrono_literals;

namespace {

// How long the first staged outcome waits for company, and the batch that is written at once.
constexpr auto commit_window = 5ms;
constexpr std::size_t commit_batch = 512;

}  // namespace

void scheduler::stage(std::uint32_t index, const tracked_session& next, const poll_outcome& o,
                      poll_decision d, std::string etag) {
  auto& s = slots_[index];
  staged_commits_.push_back(commit_for(s, next, o, d.events, etag));
  staged_.push_back(staged{.index = index,
                           .next = next,
                           .decision = std::move(d),
                           .etag = std::move(etag),
                           .before = s.t.status});
  s.in_flight = true;
  if (staged_.size() >= commit_batch) {
    flush();
  } else if (!commit_armed_) {
    commit_armed_ = true;
    commit_timer_.expires_after(commit_window);
    commit_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) flush();  // on abort the scheduler may be gone: touch nothing
    });
  }
}

// The row as it will be stored: the stored one (for what a failed poll does not tell) with the
// new state, and the events with their payloads and actions.
session_commit scheduler::commit_for(const slot& s, const tracked_session& next,
                                     const poll_outcome& o, const std::vector<event_type>& events,
                                     const std::string& etag) {
  const auto now = unix_ms_now();
  auto row = db_.find_session(s.id.view()).value_or(session_row{.id = s.id.str()});
  event_facts facts;
  if (o.session) {
    facts = facts_from(s.id, s.label(), *o.session);
    row.title = o.session->title;
    row.project = o.session->project;
    row.available = o.session->available;
  } else {
    facts.session_id = row.id;
    facts.label = s.label();
    facts.status = row.status;
    facts.title = row.title;
    facts.project = row.project;
    facts.matched = row.matched;
    facts.total_for_matching = row.total_for_matching;
    facts.available = row.available;
    facts.search_more_counter = row.search_more_counter;
  }
  row.status = next.status;
  row.matched = next.matched;
  row.total_for_matching = next.total_for_matching;
  row.search_more_counter = next.search_more_counter;
  row.waiting_since_ms = next.waiting_since_ms;
  row.phase = next.phase;
  row.etag = etag;
  row.last_change_ms = now;

  session_commit c{.row = std::move(row), .events = {}};
  for (const auto type : events) {
    c.events.push_back(
        new_event{.id = event_id(type, facts),
                  .type = type,
                  .session_id = c.row.id,
                  .created_ms = now,
                  .payload = event_payload(type, facts, now),
                  .fields = facts,  // sliced: the raw session goes in the payload only
                  .actions = actions_for(cfg_, s.actions(), type)});
  }
  return c;
}

// Writes every staged outcome in one transaction, then applies them. Nothing in memory moves
// when the write fails: with the disk full each session is polled again after a backoff and
// records the change then; after any other store failure the daemon stops.
void scheduler::flush() {
  commit_armed_ = false;
  commit_timer_.cancel();
  if (staged_.empty()) return;
  auto batch = std::exchange(staged_, {});
  auto commits = std::exchange(staged_commits_, {});
  std::vector<std::vector<std::string>> fresh;
  try {
    const bool was_full = !db_.write_problem().empty();
    fresh = db_.commit_all(commits);
    store_failures_ = 0;
    if (was_full) log::info("store.recovered", {{"database", db_.path().string()}});
  } catch (const store_full& e) {
    ++store_failures_;
    for (const auto& b : batch) {
      auto& s = slots_[b.index];
      s.in_flight = false;
      if (!s.watched) {
        release(b.index);
      } else {
        defer_after_full(b.index, e.what());
      }
    }
    return;
  } catch (const store_error& e) {
    on_fatal_(e.what());
    return;
  }
  ++stats_.state_commits;
  stats_.state_rows_committed += batch.size();
  bool any = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    log_committed(commits[i], fresh[i], batch[i].before);
    slots_[batch[i].index].events += static_cast<std::uint32_t>(fresh[i].size());
    any = any || !fresh[i].empty();
    apply(batch[i].index, batch[i].next, batch[i].decision, std::move(batch[i].etag));
  }
  if (any) on_events_();
}

void scheduler::log_committed(const session_commit& c, const std::vector<std::string>& fresh,
                              const std::optional<matching_status>& before) {
  const auto& row = c.row;
  const auto status = row.status ? to_string(*row.status) : "unknown";
  for (const auto& e : c.events) {
    if (std::ranges::find(fresh, e.id) == fresh.end()) continue;
    ++stats_.events_recorded;
    ++stats_.events_by_type[static_cast<std::size_t>(e.type)];
    log::info(to_string(e.type), {{"session", row.id},
                                  {"event_id", e.id},
                                  {"status", status},
                                  {"matched", row.matched},
                                  {"actions", static_cast<std::int64_t>(e.actions.size())}});
  }
  if (row.status != before) {
    log::info("session.status", {{"session", row.id},
                                 {"status", status},
                                 {"matched", row.matched},
                                 {"total_for_matching", row.total_for_matching}});
  }
}

// The outcome takes effect in memory: the new state, and the next poll unless it stopped. A
// session unwatched meanwhile is released instead.
void scheduler::apply(std::uint32_t index, const tracked_session& next, const poll_decision& d,
                      std::string etag) {
  auto& s = slots_[index];
  s.in_flight = false;
  if (!s.watched) {
    release(index);
    return;
  }
  set_tracked(s, next);
  s.etag = std::move(etag);
  if (!d.stop) schedule(index, d.delay);
}

}  // namespace fjwatch
