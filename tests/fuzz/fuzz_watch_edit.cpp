// `fjwatch add/remove` on arbitrary watch list text. Input: one byte of options, 12 bytes that
// make the session id to add (as 24 hex), then the file's text. Properties:
// - an edit of a usable list fails only for a documented reason: a flow list, a lone carriage
//   return, or the editor's own safety net (the edited text would not read back as intended);
// - the added text re-parses to the old entries plus the new one, with its label and actions;
// - removing that id again gives the input back byte for byte when the input already had an entry
//   and ended with a line break, and the old entries in every case;
// - removing an existing entry leaves the other entries as they were.
#include "fjwatch/watchlist/watch_edit.hpp"
#include "fjwatch/watchlist/watch_list.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <array>

namespace {

using namespace fjwatch;

const watch_edit_context context{"fuzz.yaml", {"journal", "team-hook", "null", "two words"}};

constexpr std::array<std::string_view, 4> labels{
    "", "Pune .NET", "a: b # c \"q\" \\ 'x'",
    "tab\there\nline\x7f \xc2\x85 \xe2\x80\xa8 \xe6\x97\xa5"};
const std::array<std::vector<std::string>, 4> action_sets{
    std::vector<std::string>{}, {"journal"}, {"team-hook", "journal"}, {"null", "two words"}};

// The 12 bytes as 24 lowercase hex characters.
session_id id_from(const std::uint8_t* bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 12; ++i) {
    text += hex[bytes[i] >> 4];
    text += hex[bytes[i] & 0xf];
  }
  return *session_id::parse(text);
}

// An edit of a usable list may fail only for a documented reason.
void check_failure(const failure& f, bool usable) {
  if (!usable) return;
  const bool documented = f.what.find("flow list") != std::string::npos ||
                          f.what.find("carriage return without a line feed") != std::string::npos ||
                          f.what.starts_with("refusing to write");
  FUZZ_CHECK(documented, f.what);
}

bool same_entries(const std::vector<watch_entry>& a, const std::vector<watch_entry>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](const auto& x, const auto& y) { return x.same_settings(y); });
}

std::vector<watch_entry> entries_of(std::string_view text) {
  const watch_load load = parse_watch_list(text, context.name, context.known_actions);
  FUZZ_CHECK(load.usable, "an edited file stays usable");
  return load.list.entries;
}

void check_add_then_remove(std::string_view text, const watch_load& before,
                           const watch_additions& request) {
  const auto added = add_entries(text, request, context);
  if (!added) return check_failure(added.error(), before.usable);
  FUZZ_CHECK(before.usable, "an unusable list is never edited");
  if (added->changed.empty()) {
    FUZZ_CHECK(added->text == text, "nothing to add changes nothing");
    return;
  }
  std::vector<watch_entry> expected = before.list.entries;
  expected.push_back({request.ids.front(), request.label,
                      request.actions.empty() ? std::nullopt : std::optional(request.actions), 0});
  FUZZ_CHECK(same_entries(entries_of(added->text), expected),
             "added text re-parses with the new entry");

  const auto removed = remove_entries(added->text, request.ids, context);
  FUZZ_CHECK(removed.has_value(), removed ? "" : removed.error().what);
  FUZZ_CHECK(removed->changed == request.ids, "remove finds the added id");
  FUZZ_CHECK(same_entries(entries_of(removed->text), before.list.entries),
             "remove gives the old entries");
  if (!before.list.entries.empty() && text.ends_with('\n')) {
    FUZZ_CHECK(removed->text == text, "add then remove gives the input back");
  }
}

void check_remove_first(std::string_view text, const watch_load& before) {
  if (before.list.entries.empty()) return;
  const std::vector<session_id> ids{before.list.entries.front().id};
  const auto removed = remove_entries(text, ids, context);
  if (!removed) return check_failure(removed.error(), before.usable);
  std::vector<watch_entry> expected(before.list.entries.begin() + 1, before.list.entries.end());
  FUZZ_CHECK(same_entries(entries_of(removed->text), expected), "remove drops exactly that entry");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 13) return 0;
  const std::uint8_t options = data[0];
  const std::string_view text = fuzz::as_text(data + 13, size - 13);
  const watch_load before = parse_watch_list(text, context.name, context.known_actions);

  watch_additions request{
      {id_from(data + 1)}, std::string(labels[options & 3]), action_sets[(options >> 2) & 3]};
  check_add_then_remove(text, before, request);
  if (options & 0x10) check_remove_first(text, before);
  return 0;
}
