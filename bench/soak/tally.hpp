#pragma once
// What reached the soak's two actions, by event id: the log action's lines (over every daemon
// process's output) and the webhook requests the receiver recorded; and the verdict against the
// events the workload made happen.
#include "support/process.hpp"
#include "sim/receiver.hpp"

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::testing {

// Copies of each event id one action delivered; `differ` when a copy's content was not the
// first copy's.
class delivery_tally {
 public:
  void add(const std::string& id, std::string_view content) {
    auto [it, fresh] = by_id_.try_emplace(id);
    if (fresh) it->second.first = std::string(content);
    ++it->second.count;
    if (!fresh && it->second.first != content) it->second.differ = true;
  }
  std::size_t ids() const { return by_id_.size(); }
  bool has(const std::string& id) const { return by_id_.contains(id); }
  std::size_t copies() const {
    std::size_t n = 0;
    for (const auto& [id, c] : by_id_) n += c.count;
    return n;
  }
  std::size_t duplicates() const { return copies() - ids(); }
  // Ids delivered more than once whose copies were not all the same.
  std::size_t differing() const {
    std::size_t n = 0;
    for (const auto& [id, c] : by_id_) n += c.differ;
    return n;
  }
  std::vector<std::string> all_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, c] : by_id_) out.push_back(id);
    return out;
  }

 private:
  struct copy_count {
    std::size_t count = 0;
    std::string first;
    bool differ = false;
  };
  std::map<std::string, copy_count> by_id_;
};

// One daemon output line: an action.log line is counted under its event id, its rendered text
// being the content.
inline void tally_log_line(delivery_tally& t, std::string_view line) {
  if (!is_event(line, "action.log")) return;
  const auto id = log_field(line, "event_id");
  if (id) t.add(*id, log_field(line, "text").value_or(""));
}

// The receiver's requests: `accepted` counts those answered 2xx (content: the body); `sent`
// counts every request (a retry of an event must carry the same body as its first attempt).
struct webhook_tally {
  delivery_tally accepted, sent;
  std::size_t bad_signatures = 0;
  std::map<std::string, std::size_t> answers;  // "200", "500", "hang", "close", ...
};

inline webhook_tally tally_webhooks(const std::vector<sim::received>& got) {
  webhook_tally w;
  for (const auto& r : got) {
    w.sent.add(r.id, r.body);
    if (r.answered_status >= 200 && r.answered_status < 300) w.accepted.add(r.id, r.body);
    if (!r.signature_ok) ++w.bad_signatures;
    ++w.answers[r.kind == sim::reply_kind::status ? std::to_string(r.answered_status)
                                                  : std::string(sim::to_string(r.kind))];
  }
  return w;
}

// Expected events against what each action delivered.
struct loss_verdict {
  std::size_t lost_log = 0;           // expected, never in a log action line
  std::size_t lost_hook = 0;          // expected, never accepted by the receiver
  std::size_t lost = 0;               // missing from either
  std::size_t unexpected = 0;         // delivered by either, not expected
  std::vector<std::string> examples;  // a few lost or unexpected ids
};

inline loss_verdict judge_losses(const std::set<std::string>& expected, const delivery_tally& log,
                                 const delivery_tally& hook) {
  loss_verdict v;
  auto note = [&](const std::string& what) {
    if (v.examples.size() < 5) v.examples.push_back(what);
  };
  for (const auto& id : expected) {
    const bool in_log = log.has(id), in_hook = hook.has(id);
    v.lost_log += !in_log;
    v.lost_hook += !in_hook;
    if (!in_log || !in_hook) {
      ++v.lost;
      note("lost " + id + (in_log ? "" : " (log)") + (in_hook ? "" : " (webhook)"));
    }
  }
  std::set<std::string> delivered;
  for (const auto& id : log.all_ids()) delivered.insert(id);
  for (const auto& id : hook.all_ids()) delivered.insert(id);
  for (const auto& id : delivered) {
    if (expected.contains(id)) continue;
    ++v.unexpected;
    note("unexpected " + id);
  }
  return v;
}

}  // namespace fjwatch::testing
