#include "fjwatch/cli/detail/cli_common.hpp"
#include "fjwatch/cli/detail/watch_options.hpp"
#include "fjwatch/config/action_routing.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/util/exit_codes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <map>

namespace fjwatch::cli {

namespace {

// One entry of the watch list with what the database knows of it.
struct listed {
  const watch_entry* entry = nullptr;
  std::vector<std::string> actions;  // entry_actions(): the entry's, or the config's defaults
  bool default_actions = false;
  std::optional<session_row> row;    // nullopt: never seen by the daemon, or no database
  std::optional<std::int64_t> done;  // session.done events; nullopt without a row
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// The entries joined with their rows; `db` may be null.
std::vector<listed> gather(const watch_list& list, const config& cfg, store* db) {
  const auto done = db ? db->count_events_by_session(event_type::done)
                       : std::map<std::string, std::int64_t, std::less<>>{};
  std::vector<listed> out;
  for (const watch_entry& e : list.entries) {
    listed l{&e, entry_actions(cfg, e.actions), !e.actions.has_value(), std::nullopt, std::nullopt};
    if (db) l.row = db->find_session(e.id.view());
    if (l.row) {
      const auto it = done.find(e.id.view());
      l.done = it == done.end() ? 0 : it->second;
    }
    out.push_back(std::move(l));
  }
  return out;
}

boost::json::array to_json(const std::vector<listed>& rows) {
  boost::json::array out;
  for (const listed& l : rows) {
    const bool polled = l.row && l.row->status;
    boost::json::object o;
    o["id"] = l.entry->id.view();
    o["label"] = l.entry->label;
    boost::json::array actions;
    for (const auto& a : l.actions) actions.emplace_back(a);
    o["actions"] = std::move(actions);
    o["default_actions"] = l.default_actions;
    o["status"] = polled ? boost::json::value(to_string(*l.row->status)) : nullptr;
    o["phase"] = l.row ? boost::json::value(to_string(l.row->phase)) : nullptr;
    o["matched"] = polled ? boost::json::value(l.row->matched) : nullptr;
    o["total_for_matching"] = polled ? boost::json::value(l.row->total_for_matching) : nullptr;
    o["last_change_ms"] = polled ? boost::json::value(l.row->last_change_ms) : nullptr;
    o["last_change"] = polled ? boost::json::value(format_rfc3339(l.row->last_change_ms)) : nullptr;
    o["done_events"] = l.done ? boost::json::value(*l.done) : nullptr;
    out.push_back(std::move(o));
  }
  return out;
}

void print_rows(const std::vector<listed>& rows, std::ostream& out) {
  std::vector<std::vector<std::string>> lines{
      {"ID", "LABEL", "ACTIONS", "STATUS", "MATCHED", "PHASE", "LAST CHANGE", "DONE"}};
  for (const listed& l : rows) {
    const bool polled = l.row && l.row->status;
    lines.push_back(
        {std::string(l.entry->id.view()), l.entry->label.empty() ? "-" : l.entry->label,
         joined(l.actions) + (l.default_actions ? " (default)" : ""),
         polled ? std::string(to_string(*l.row->status)) : "-",
         polled ? std::to_string(l.row->matched) + "/" + std::to_string(l.row->total_for_matching)
                : "-",
         l.row ? std::string(to_string(l.row->phase)) : "-",
         polled ? local_time(l.row->last_change_ms) : "-", l.done ? std::to_string(*l.done) : "-"});
  }
  print_table(lines, out);
}

}  // namespace

int list_command(const watch_options& o, std::ostream& out, std::ostream& err) {
  const auto cfg = load_config_reporting(o.config_path, err);
  if (!cfg) return exit_config;
  const auto loaded = load_watch_list(cfg->watchlist, action_names(*cfg));
  for (const diagnostic& p : loaded.problems) {
    err << p.str() << (p.level == diagnostic::severity::warning ? " (warning)" : "") << "\n";
  }
  if (!loaded.usable) return exit_config;
  const auto db = loaded.list.entries.empty() ? nullptr : open_existing(cfg->state_dir, err);
  const auto rows = gather(loaded.list, *cfg, db.get());
  if (o.json) {
    out << boost::json::serialize(to_json(rows)) << "\n";
  } else if (rows.empty()) {
    out << "no sessions in " << cfg->watchlist << "\n";
  } else {
    print_rows(rows, out);
  }
  return exit_ok;
}

}  // namespace fjwatch::cli
