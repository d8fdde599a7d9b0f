// The API response parser on arbitrary bytes: parse_session_body and classify_response on a 200
// agree, never throw, and a failure's reason is one short printable line.
#include "fjwatch/api/fj_response.hpp"
#include "fuzz_check.hpp"
#include "fjwatch/domain/poll_outcome.hpp"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  const std::string_view body = fuzz::as_text(data, size);
  const auto parsed = parse_session_body(body);
  if (!parsed) {
    const std::string& why = parsed.error().what;
    FUZZ_CHECK(!why.empty() && why.size() < 300, "a short reason");
    FUZZ_CHECK(std::all_of(why.begin(), why.end(), [](char c) { return c >= 0x20 && c < 0x7f; }),
               "a printable reason");
  }
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'777'600'000)};
  const poll_outcome out = classify_response(200, response_headers{.etag = "\"e1\""}, body, now);
  FUZZ_CHECK((out.what == poll_outcome::kind::ok) == parsed.has_value(), "classify agrees");
  FUZZ_CHECK(out.session.has_value() == parsed.has_value(), "a session exactly when ok");
  if (parsed) {
    FUZZ_CHECK(out.session->status == parsed->status && out.session->id == parsed->id,
               "classify keeps the parsed snapshot");
    FUZZ_CHECK(out.etag == "\"e1\"", "the ETag of a 200 is kept");
  } else {
    FUZZ_CHECK(out.reason == parsed.error().what, "classify gives the parser's reason");
  }
  return 0;
}
