// The config parser on arbitrary text: it either returns a config within the documented ranges
// or throws config_error with at least one positioned problem; anything else is a finding.
#include "fjwatch/config/config.hpp"
#include "fuzz_check.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fjwatch;
  const std::string_view text = fuzz::as_text(data, size);
  try {
    const config c = parse_config(text, "fuzz.yaml", "/etc/fjwatch");
    // What the header promises of a config that parsed.
    FUZZ_CHECK(c.api.max_in_flight >= 1 && c.api.max_in_flight <= 256, "api.max_in_flight");
    FUZZ_CHECK(c.api.rate_limit.per_second > 0, "api.rate");
    FUZZ_CHECK(c.poll.interval <= c.poll.max_interval, "poll.interval <= poll.max_interval");
    FUZZ_CHECK(c.poll.multiplier >= 1.0 && c.poll.multiplier <= 10.0, "poll.multiplier");
    FUZZ_CHECK(c.poll.jitter >= 0.0 && c.poll.jitter <= 0.5, "poll.jitter");
    FUZZ_CHECK(c.retry.initial <= c.retry.max, "retry.initial <= retry.max");
    for (const auto& name : c.default_actions.value_or(std::vector<std::string>{})) {
      FUZZ_CHECK(c.find_action(name) != nullptr, "defaults.actions names a known action");
    }
  } catch (const config_error& e) {
    FUZZ_CHECK(!e.problems().empty(), "config_error without a problem");
    FUZZ_CHECK(std::all_of(e.problems().begin(), e.problems().end(),
                           [](const diagnostic& d) { return !d.message.empty(); }),
               "every problem has a message");
  }
  return 0;
}
