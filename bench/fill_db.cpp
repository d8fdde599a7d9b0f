// Fills a state directory's database for the retention benchmark (bench/retention.sh): EVENTS
// session.done events of old sessions, each with a payload the size of a real one (~1.9 KB) and
// one delivery already delivered, created evenly over the last DAYS days, so that a retention of
// DAYS/10 days leaves a tenth of them. Written through the store, in large transactions.
//   fjwatch-bench-fill STATE_DIR [EVENTS (1000000)] [DAYS (100)] [EVENTS_PER_SESSION (10)]
#include "fjwatch/store/store.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A session.done payload shaped like event_payload()'s, padded to about 1.9 KB with the kind of
// session fields the API returns.
std::string payload_of(const std::string& event_id, const std::string& session, int n) {
  std::string p = R"({"type":"session.done","id":")" + event_id + R"(","data":{"session_id":")" +
                  session + R"(","label":"","status":"done","title":"Senior backend engineer )" +
                  std::to_string(n) +
                  R"(","matched":25,"total_for_matching":40,"available":120,"session":{)";
  while (p.size() < 1850) p += R"("criterion":"at least five years of distributed systems",)";
  p += R"("_id":")" + session + R"("}}})";
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fjwatch-bench-fill STATE_DIR [EVENTS] [DAYS] [EVENTS_PER_SESSION]\n";
    return 64;
  }
  const std::int64_t events = argc > 2 ? std::stoll(argv[2]) : 1'000'000;
  const std::int64_t days = argc > 3 ? std::stoll(argv[3]) : 100;
  const std::int64_t per_session = argc > 4 ? std::stoll(argv[4]) : 10;
  const std::int64_t span_ms = days * 24 * 3600 * 1000;
  const std::int64_t end = now_ms() - 60'000;
  fjwatch::store db(argv[1]);
  constexpr std::int64_t per_transaction = 5000;
  for (std::int64_t first = 0; first < events; first += per_transaction) {
    std::vector<fjwatch::session_commit> commits;
    std::vector<fjwatch::attempt_record> delivered;
    for (std::int64_t i = first; i < std::min(events, first + per_transaction); ++i) {
      char session[32];
      std::snprintf(session, sizeof session, "ff%022llx",
                    static_cast<unsigned long long>(i / per_session));
      const std::int64_t created = end - span_ms + span_ms * i / events;
      const std::string id =
          "fjw_" + std::string(session) + "_done_" + std::to_string(i % per_session);
      fjwatch::event_fields fields;
      fields.session_id = session;
      fields.status = fjwatch::matching_status::done;
      fields.matched = 25;
      fields.total_for_matching = 40;
      fjwatch::session_row row{.id = session,
                               .status = fjwatch::matching_status::done,
                               .matched = 25,
                               .total_for_matching = 40,
                               .search_more_counter = i % per_session,
                               .first_seen_ms = created,
                               .waiting_since_ms = created,
                               .last_change_ms = created,
                               .phase = fjwatch::session_phase::done_stopped};
      commits.push_back({row,
                         {{id,
                           fjwatch::event_type::done,
                           session,
                           created,
                           payload_of(id, session, static_cast<int>(i)),
                           fields,
                           {"journal"}}}});
      delivered.push_back({id, "journal", fjwatch::delivery_state::delivered, 0, "ok"});
    }
    db.commit_all(commits);
    db.record_attempts(delivered);
  }
  const auto size = db.size();
  std::cout << "events=" << size.events << " deliveries=" << size.deliveries
            << " sessions=" << size.sessions << " file_bytes=" << size.file_bytes << "\n";
  return 0;
}
