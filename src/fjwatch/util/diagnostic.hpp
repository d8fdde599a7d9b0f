#pragma once
// A problem found in a user's file (the config, the watch list), with its position.
#include <string>

namespace fjwatch {

// One problem found in a user's file, reported as "file:line:col: message".
// line and column are 1-based; 0 means unknown (the position is then left out).
struct diagnostic {
  enum class severity { error, warning };
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  severity level = severity::error;

  // "file:line:col: message", or "file: message" when the position is unknown; control
  // characters, bidi controls and invalid UTF-8 escaped (util/text.hpp, escape_style::display).
  std::string str() const;
  // "file:line:col", "file:line" or "file": the position as far as it is known.
  std::string where() const {
    std::string out = file;
    if (line > 0) {
      out += ':' + std::to_string(line);
      if (column > 0) out += ':' + std::to_string(column);
    }
    return out;
  }
};

}  // namespace fjwatch
