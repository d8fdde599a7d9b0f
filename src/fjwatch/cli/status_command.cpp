#include "fjwatch/cli/status_command.hpp"

#include "fjwatch/cli/detail/cli_common.hpp"
#include "fjwatch/config/config.hpp"
#include "fjwatch/service/control_client.hpp"
#include "fjwatch/util/text.hpp"
#include "fjwatch/util/units.hpp"
#include "fjwatch/util/unix_time.hpp"
#include "fjwatch/util/diagnostic.hpp"
#include "fjwatch/util/exit_codes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <ostream>
#include <variant>
#include <vector>

namespace fjwatch {

namespace {

namespace json = boost::json;

constexpr millis ask_timeout{3000};
constexpr std::string_view status_usage = "usage: fjwatch status [-c FILE] [--json]\n";

struct status_options {
  std::string config_path;
  bool json = false;
  bool help = false;
};

// The words after `status`; fails with the usage error to print.
result<status_options> parse_status(std::span<const std::string> args) {
  status_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto is_config = cli::config_option(args, i, o.config_path);
    if (!is_config) return is_config.error();
    if (*is_config) continue;
    if (a == "--json") {
      o.json = true;
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else {
      return fail((a.starts_with("-") ? "unknown option " : "unexpected argument ") + a);
    }
  }
  o.config_path = config_path_or_default(std::move(o.config_path));
  return o;
}

// "in 5s", "3s ago", "now"; "-" for a null time.
std::string relative(const json::value& unix_ms, std::int64_t now_ms) {
  if (!unix_ms.is_int64()) return "-";
  const std::int64_t delta = unix_ms.get_int64() - now_ms;
  const auto text = format_duration(std::chrono::duration_cast<millis>(
      std::chrono::seconds((delta < 0 ? -delta : delta) / 1000)));
  if (text == "0s") return "now";
  return delta > 0 ? "in " + text : text + " ago";
}

// The text of a JSON string member, or `none` when it is absent or not a string.
std::string text_of(const json::object& o, std::string_view key, std::string none = "-") {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : none;
}

std::string number_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? std::to_string(v->get_int64()) : "-";
}

// waiting / processing / fetching_more while polled; done, not_found, timed_out once stopped.
std::string state_of(const json::object& s) {
  const auto state = text_of(s, "state");
  if (state == "active") return text_of(s, "status", "waiting");
  return state == "done_stopped" ? "done" : state;
}

// The daemon's answers to /healthz and /sessions; fails with what to print and the exit code.
struct answers {
  std::string health;
  std::string sessions;
};
struct ask_failure {
  int code;
  std::string message;
};

std::variant<answers, ask_failure> ask(const std::string& address) {
  const auto health = control_get(address, "/healthz", ask_timeout);
  if (!health) {
    return ask_failure{exit_unavailable, "no fjwatch daemon answers at " + address + " (" +
                                             health.error().what + ")"};
  }
  const auto sessions = control_get(address, "/sessions", ask_timeout);
  if (!sessions) {
    return ask_failure{
        exit_unavailable,
        "the daemon at " + address + " did not answer /sessions (" + sessions.error().what + ")"};
  }
  if (sessions->status != 200) {
    return ask_failure{exit_failure, "the daemon at " + address + " answered /sessions with HTTP " +
                                         std::to_string(sessions->status)};
  }
  return answers{health->body, sessions->body};
}

int status(const status_options& o, std::ostream& out, std::ostream& err) {
  config cfg;
  try {
    cfg = load_config(o.config_path);
  } catch (const config_error& e) {
    for (const diagnostic& p : e.problems()) err << p.str() << "\n";
    return exit_config;
  }
  if (cfg.control.empty()) {
    err << "fjwatch status: the control endpoint is off (control: \"\" in " << o.config_path
        << "), so there is no daemon to ask\n";
    return exit_unavailable;
  }
  auto asked = ask(cfg.control);
  if (const auto* f = std::get_if<ask_failure>(&asked)) {
    err << "fjwatch status: " << f->message << "\n";
    return f->code;
  }
  const auto& a = std::get<answers>(asked);
  if (o.json) {
    boost::system::error_code hec, sec;
    auto health = json::parse(a.health, hec);
    auto sessions = json::parse(a.sessions, sec);
    if (hec || sec) {
      err << "fjwatch status: the daemon at " << cfg.control
          << " sent something that is not JSON\n";
      return exit_failure;
    }
    json::object all{
        {"address", cfg.control}, {"health", std::move(health)}, {"sessions", std::move(sessions)}};
    out << json::serialize(all) << "\n";
    return exit_ok;
  }
  const auto report = format_status(cfg.control, a.health, a.sessions, unix_ms_now());
  if (!report) {
    err << "fjwatch status: " << report.error().what << "\n";
    return exit_failure;
  }
  out << *report;
  return exit_ok;
}

}  // namespace

result<std::string> format_status(std::string_view address, std::string_view health_json,
                                  std::string_view sessions_json, std::int64_t now_ms) {
  boost::system::error_code ec;
  const auto health = json::parse(health_json, ec);
  if (ec || !health.is_object()) return fail("/healthz: not a JSON object");
  const auto sessions = json::parse(sessions_json, ec);
  if (ec || !sessions.is_array()) return fail("/sessions: not a JSON array");
  const auto& h = health.get_object();
  std::string text = "fjwatch at " + std::string(address) + ": " + text_of(h, "status", "unknown");
  if (const auto reason = text_of(h, "reason", ""); !reason.empty()) text += " (" + reason + ")";
  const auto n = sessions.get_array().size();
  text = escaped(text, escape_style::display);  // the reason may quote what a server sent
  text += "\n" + std::to_string(n) + (n == 1 ? " session" : " sessions") + " watched\n";
  if (n == 0) return text;
  std::vector<std::vector<std::string>> rows{
      {"SESSION", "LABEL", "STATE", "MATCHED", "EVENTS", "LAST POLL", "NEXT POLL", "LAST ERROR"}};
  for (const auto& v : sessions.get_array()) {
    if (!v.is_object()) return fail("/sessions: an entry is not a JSON object");
    const auto& s = v.get_object();
    const auto label = text_of(s, "label");
    const auto* last = s.if_contains("last_poll_ms");
    const auto* next = s.if_contains("next_poll_ms");
    rows.push_back({text_of(s, "id"), label.empty() ? "-" : label, state_of(s),
                    number_of(s, "matched") + "/" + number_of(s, "total"), number_of(s, "events"),
                    last ? relative(*last, now_ms) : "-", next ? relative(*next, now_ms) : "-",
                    text_of(s, "last_error")});
  }
  return text + "\n" + cli::format_table(rows);
}

int run_status(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const auto o = parse_status(args);
  if (!o) {
    err << "fjwatch status: " << o.error().what << "\n" << status_usage;
    return exit_usage;
  }
  if (o->help) {
    out << status_usage;
    return exit_ok;
  }
  try {
    return status(*o, out, err);
  } catch (const std::exception& e) {
    err << "fjwatch status: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace fjwatch
