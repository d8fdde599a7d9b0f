#include "fjwatch/domain/event_template.hpp"

#include <array>

namespace fjwatch {
namespace {

constexpr std::array<std::string_view, 11> placeholders{"event",
                                                        "event_id",
                                                        "session_id",
                                                        "label",
                                                        "title",
                                                        "project",
                                                        "status",
                                                        "matched",
                                                        "total_for_matching",
                                                        "available",
                                                        "search_more_counter"};

// A placeholder's value; "" for a null status or label.
std::string field_text(std::string_view name, event_type type, std::string_view event_id,
                       const event_fields& f) {
  if (name == "event") return std::string(to_string(type));
  if (name == "event_id") return std::string(event_id);
  if (name == "session_id") return f.session_id;
  if (name == "label") return f.label;
  if (name == "title") return f.title;
  if (name == "project") return f.project;
  if (name == "status") return f.status ? std::string(to_string(*f.status)) : std::string();
  if (name == "matched") return std::to_string(f.matched);
  if (name == "total_for_matching") return std::to_string(f.total_for_matching);
  if (name == "available") return std::to_string(f.available);
  if (name == "search_more_counter") return std::to_string(f.search_more_counter);
  return {};
}

}  // namespace

result<void> check_template(std::string_view tmpl) {
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      ++i;
      continue;
    }
    if (c == '}') return fail("unmatched '}' at offset " + std::to_string(i));
    if (c != '{') continue;
    const auto close = tmpl.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || tmpl[close] == '{') {
      return fail("unmatched '{' at offset " + std::to_string(i));
    }
    const auto name = tmpl.substr(i + 1, close - i - 1);
    bool known = false;
    for (auto p : placeholders) known = known || p == name;
    if (!known) return fail("unknown placeholder {" + std::string(name) + "}");
    i = close;
  }
  return {};
}

std::string render_template(std::string_view tmpl, event_type type, std::string_view event_id,
                            const event_fields& fields) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    const auto close = c == '{' ? tmpl.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += c;
      continue;
    }
    out += field_text(tmpl.substr(i + 1, close - i - 1), type, event_id, fields);
    i = close;
  }
  return out;
}

}  // namespace fjwatch
