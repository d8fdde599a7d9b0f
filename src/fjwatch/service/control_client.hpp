#pragma once
// The client of the control endpoint that `fjwatch status` uses: one GET, with a deadline.
#include "fjwatch/util/result.hpp"
#include "fjwatch/util/units.hpp"

#include <string>
#include <string_view>

namespace fjwatch {

// One answer read by control_get.
struct control_response {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET `target` from the endpoint at `address` (as in the config), within `timeout` from connect
// to the last byte. Fails with "connect: Connection refused", "timeout after 2s", ... .
result<control_response> control_get(const std::string& address, std::string_view target,
                                     millis timeout);

}  // namespace fjwatch
