#include "fjwatch/util/diagnostic.hpp"

#include "fjwatch/util/text.hpp"

namespace fjwatch {

// Escaped whole: a file name or a message may carry bytes from the file it is about, and no
// control byte of a user's file may reach a terminal.
std::string diagnostic::str() const {
  return escaped(where() + ": " + message, escape_style::display);
}

}  // namespace fjwatch
