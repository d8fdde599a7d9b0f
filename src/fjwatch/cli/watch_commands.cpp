#include "fjwatch/cli/watch_commands.hpp"

#include "fjwatch/cli/detail/cli_common.hpp"
#include "fjwatch/cli/detail/watch_options.hpp"
#include "fjwatch/files/atomic_file.hpp"
#include "fjwatch/util/read_file.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/watchlist/watch_edit.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/util/exit_codes.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/domain/session_phase.hpp"

#include <algorithm>
#include <ostream>
#include <system_error>

namespace fjwatch {

namespace {

namespace fs = std::filesystem;
using namespace cli;

constexpr std::string_view add_usage =
    "usage: fjwatch add ID... [-c FILE] [--label TEXT] [--action NAME]... [--wait DURATION]\n";
constexpr std::string_view remove_usage =
    "usage: fjwatch remove ID... [-c FILE] [--wait DURATION]\n";
constexpr std::string_view list_usage = "usage: fjwatch list [-c FILE] [--json]\n";
constexpr std::string_view prune_usage =
    "usage: fjwatch prune [-c FILE] [--older-than DURATION] [--wait DURATION]\n";

enum class command { add, remove, prune, list };

std::string_view name_of(command c) {
  constexpr std::string_view names[] = {"add", "remove", "prune", "list"};
  return names[static_cast<int>(c)];
}
std::string_view usage_of(command c) {
  constexpr std::string_view usages[] = {add_usage, remove_usage, prune_usage, list_usage};
  return usages[static_cast<int>(c)];
}

// One option that takes a value; fails with the usage error.
result<void> read_value_option(command c, std::span<const std::string> args, std::size_t& i,
                               watch_options& o) {
  const std::string& a = args[i];
  if (a == "--wait" && c != command::list) {
    auto v = option_value(args, i, "a duration like 10s");
    if (!v) return v.error();
    auto d = parse_duration(*v);
    if (!d) return fail("--wait needs a duration like 10s, got \"" + *v + "\"");
    o.wait = *d;
  } else if (a == "--older-than" && c == command::prune) {
    auto v = option_value(args, i, "a duration like 7d");
    if (!v) return v.error();
    auto d = parse_duration(*v);
    if (!d) return fail("--older-than needs a duration like 7d, got \"" + *v + "\"");
    o.older_than = *d;
  } else if (a == "--label" && c == command::add) {
    if (o.label) return fail("--label given twice");
    auto v = option_value(args, i, "a text");
    if (!v) return v.error();
    o.label = std::move(*v);
  } else if (a == "--action" && c == command::add) {
    auto v = option_value(args, i, "an action name");
    if (!v) return v.error();
    if (std::find(o.actions.begin(), o.actions.end(), *v) == o.actions.end())
      o.actions.push_back(std::move(*v));
  } else {
    return fail("unknown option " + a);
  }
  return {};
}

// The words after the command; fails with the usage error to print.
result<watch_options> parse(command c, std::span<const std::string> args) {
  watch_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto is_config = config_option(args, i, o.config_path);
    if (!is_config) return is_config.error();
    if (*is_config) continue;
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--json" && c == command::list) {
      o.json = true;
    } else if (a.starts_with("-") && a.size() > 1) {
      if (auto r = read_value_option(c, args, i, o); !r) return r.error();
    } else if (c == command::list || c == command::prune) {
      return fail("unexpected argument " + a);
    } else {
      o.ids.push_back(a);
    }
  }
  const bool takes_ids = c == command::add || c == command::remove;
  if (o.ids.empty() && !o.help && takes_ids) return fail("needs at least one session ID");
  o.config_path = config_path_or_default(std::move(o.config_path));
  return o;
}

// The checks that need no file: every ID is a session id; nullopt after saying which is not.
std::optional<std::vector<session_id>> valid_ids(command c, const watch_options& o,
                                                 std::ostream& err) {
  std::vector<session_id> ids;
  for (const auto& text : o.ids) {
    auto id = session_id::parse(text);
    if (!id) {
      err << "fjwatch " << name_of(c) << ": \"" << text
          << "\" is not a session id (expected 24 hex characters)\n";
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

// --action names known to the config and a --label that can be written; false after saying why.
bool valid_additions(const watch_options& o, const config& cfg, const std::string& config_path,
                     std::ostream& err) {
  const auto names = action_names(cfg);
  for (const auto& a : o.actions) {
    if (names.contains(a)) continue;
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    err << "fjwatch add: --action \"" << a << "\": no such action in " << config_path
        << " (it has: " << (known.empty() ? "none" : known) << ")\n";
    return false;
  }
  if (o.label) {
    if (auto q = yaml_quote(*o.label); !q) {
      err << "fjwatch add: --label: " << q.error().what << "\n";
      return false;
    }
  }
  return true;
}

// The file to edit: the watch list, or the file its symlink points to.
fs::path edit_target(const std::string& watchlist) {
  std::error_code ec;
  if (fs::is_symlink(watchlist, ec)) {
    auto target = fs::canonical(watchlist, ec);
    if (!ec) return target;
  }
  return watchlist;
}

// Says what went wrong, as "fjwatch <command>: <what>", and returns `code`.
int report(std::ostream& err, command c, std::string_view what, int code) {
  err << "fjwatch " << name_of(c) << ": " << what << "\n";
  return code;
}

// Locks, reads, edits and replaces the watch list; prints the outcome. `edit` maps the old text
// to the edit (or why it cannot be made).
template <class Edit>
int edit_locked(command c, const watch_options& o, const config& cfg, std::ostream& out,
                std::ostream& err, Edit&& edit) {
  const fs::path file = edit_target(cfg.watchlist);
  auto lock = file_lock::acquire(lock_path_for(file), o.wait);
  if (!lock) return report(err, c, lock.error().what, exit_failure);
  if (!*lock) {
    return report(err, c,
                  "another edit of " + file.string() + " held its lock " +
                      lock_path_for(file).string() + " for " + format_duration(o.wait) +
                      "; try again",
                  exit_temporary);
  }
  // Opened without waiting: a FIFO in its place is refused at once, not read with the lock held.
  auto text = read_file_if_exists(file, max_watch_list_bytes);
  if (!text)
    return report(err, c, file.string() + ": cannot read: " + text.error().what, exit_failure);
  const std::string old_text = text->value_or("");
  const auto before = parse_watch_list(old_text, cfg.watchlist, action_names(cfg));
  if (!before.usable) {
    for (const diagnostic& p : before.problems) err << p.str() << "\n";
    return report(err, c, "the watch list does not parse; fix it first (nothing was changed)",
                  exit_config);
  }
  const result<watch_edit> done = edit(old_text);
  if (!done) return report(err, c, done.error().what, exit_failure);
  if (!done->changed.empty() && c == command::add && !text->has_value()) {
    err << "creating " << file.string() << "\n";
  }
  if (!done->changed.empty()) {
    if (auto w = replace_text_file(file, done->text); !w)
      return report(err, c, w.error().what, exit_failure);
  }
  const bool adding = c == command::add;
  for (const auto& id : done->changed) {
    out << (adding ? "added " : "removed ") << id.view() << (adding ? " to " : " from ")
        << file.string() << "\n";
  }
  for (const auto& id : done->unchanged) {
    err << id.view() << (adding ? " is already in " : " is not in ") << file.string() << "\n";
  }
  if (c == command::prune) {
    if (done->changed.empty()) out << "nothing to prune in " << file.string() << "\n";
    return exit_ok;
  }
  return !adding && done->changed.empty() ? exit_failure : exit_ok;
}

// The entries of the watch list in `text` whose session has ended (done and stopped, not found,
// timed out) with its last change before `before_ms`, as the database has them. The database is
// read with the watch list's lock held, so the file cannot change in between.
std::vector<session_id> ended_entries(std::string_view text, const config& cfg, store& db,
                                      std::int64_t before_ms) {
  std::vector<session_id> out;
  for (const auto& e : parse_watch_list(text, cfg.watchlist, action_names(cfg)).list.entries) {
    const auto row = db.find_session(e.id.view());
    if (row && row->phase != session_phase::active && row->last_change_ms < before_ms) {
      out.push_back(e.id);
    }
  }
  return out;
}

// `fjwatch prune` after parsing: removes the entries of sessions that ended long enough ago.
int prune_command(const watch_options& o, std::ostream& out, std::ostream& err) {
  const auto cfg = load_config_reporting(o.config_path, err);
  if (!cfg) return exit_config;
  const auto db = open_existing(fs::path(cfg->state_dir), err);
  if (!db) return exit_ok;  // nothing has run: nothing has ended
  const std::int64_t before_ms = unix_ms_now() - o.older_than.count();
  const watch_edit_context context{cfg->watchlist, action_names(*cfg)};
  return edit_locked(command::prune, o, *cfg, out, err, [&](std::string_view text) {
    return remove_entries(text, ended_entries(text, *cfg, *db, before_ms), context);
  });
}

// add and remove after parsing: validates everything, then edits under the lock.
int edit_command(command c, const watch_options& o, std::ostream& out, std::ostream& err) {
  const auto ids = valid_ids(c, o, err);
  if (!ids) return exit_data;
  const auto cfg = load_config_reporting(o.config_path, err);
  if (!cfg) return exit_config;
  if (c == command::add && !valid_additions(o, *cfg, o.config_path, err)) return exit_data;
  const watch_edit_context context{cfg->watchlist, action_names(*cfg)};
  if (c == command::remove) {
    return edit_locked(c, o, *cfg, out, err,
                       [&](std::string_view text) { return remove_entries(text, *ids, context); });
  }
  const watch_additions request{*ids, o.label.value_or(""), o.actions};
  return edit_locked(c, o, *cfg, out, err,
                     [&](std::string_view text) { return add_entries(text, request, context); });
}

// Parses, prints usage or help, and runs the command.
int run(command c, std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const auto o = parse(c, args);
  if (!o) {
    err << "fjwatch " << name_of(c) << ": " << o.error().what << "\n" << usage_of(c);
    return exit_usage;
  }
  if (o->help) {
    out << usage_of(c);
    return exit_ok;
  }
  if (c == command::list) return guarded("list", err, [&] { return list_command(*o, out, err); });
  if (c == command::prune) {
    return guarded("prune", err, [&] { return prune_command(*o, out, err); });
  }
  return guarded(name_of(c), err, [&] { return edit_command(c, *o, out, err); });
}

}  // namespace

int run_add(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  return run(command::add, args, out, err);
}

int run_remove(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  return run(command::remove, args, out, err);
}

int run_prune(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  return run(command::prune, args, out, err);
}

int run_list(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  return run(command::list, args, out, err);
}

}  // namespace fjwatch
