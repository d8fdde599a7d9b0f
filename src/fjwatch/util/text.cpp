#include "fjwatch/util/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace fjwatch {
namespace {

// One step of UTF-8 decoding at text[i]: the code point and its length, or (when the bytes there
// are ill-formed) code point -1 and the length of the maximal subpart to replace (at least 1).
struct decoded {
  std::int32_t cp;
  std::size_t length;
};

decoded decode(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  // The well-formed sequences of Unicode Table 3-7: the lead byte fixes the length and the
  // range of the second byte; every later byte is 80..BF.
  std::size_t length = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  std::int32_t cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    cp = b0 & 0x0f;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    cp = b0 & 0x07;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;
  } else {
    return {-1, 1};
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return {-1, k};
    const unsigned char b = byte(i + k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return {-1, k};
    cp = (cp << 6) | (b & 0x3f);
  }
  return {cp, length};
}

bool is_bidi_control(std::int32_t cp) {
  return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void append_hex(std::string& out, const char* format, unsigned value) {
  char buf[12];
  std::snprintf(buf, sizeof buf, format, value);
  out += buf;
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The value of the four hex digits of a \uXXXX escape starting at text[i] ('\\'); -1 when there
// is none there.
int unicode_escape_at(std::string_view text, std::size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int value = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    const char c = text[k];
    if (!is_hex_digit(c)) return -1;
    value = value * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return value;
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= text.size()) {
      std::uint64_t chunk = 0;
      for (std::size_t k = 0; k < 8; ++k)
        chunk |= std::uint64_t{static_cast<unsigned char>(text[i + k])} << (8 * k);
      if ((chunk & 0x8080808080808080ull) != 0) break;
      i += 8;
    }
    if (i >= text.size()) break;
    const decoded d = decode(text, i);
    if (d.cp < 0) return i;
    i += d.length;
  }
  return std::string_view::npos;
}

std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const decoded d = decode(text, i);
    if (d.cp < 0) {
      out += "\xef\xbf\xbd";
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

std::string repair_json_text(std::string_view text) {
  const std::string valid = replace_invalid_utf8(text);
  std::string out;
  out.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size();) {
    if (valid[i] == '\\' && i + 1 < valid.size() && valid[i + 1] != 'u') {
      out.append(valid, i, 2);  // any other escape, \\ included, is copied whole
      i += 2;
      continue;
    }
    const int u = unicode_escape_at(valid, i);
    if (u < 0xd800 || u > 0xdfff) {
      out += valid[i++];
      continue;
    }
    const int next = unicode_escape_at(valid, i + 6);
    if (u <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out.append(valid, i, 12);  // a well-formed pair
      i += 12;
    } else {
      out += "\\ufffd";
      i += 6;
    }
  }
  return out;
}

void append_escaped(std::string& out, std::string_view text, escape_style style) {
  const bool json = style == escape_style::json;
  for (std::size_t i = 0; i < text.size();) {
    const decoded d = decode(text, i);
    const std::int32_t cp = d.cp;
    if (cp < 0) {
      if (json) {
        out += "\\ufffd";
      } else {
        for (std::size_t k = 0; k < d.length; ++k) {
          append_hex(out, "\\x%02x", static_cast<unsigned char>(text[i + k]));
        }
      }
    } else if (cp == '"' || cp == '\\') {
      if (json) out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == 0 && !json) {
      out += "\\0";
    } else if (cp < 0x20 || cp == 0x7f) {
      append_hex(out, json ? "\\u%04x" : "\\x%02x", static_cast<unsigned>(cp));
    } else if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) {
      append_hex(out, "\\u%04x", static_cast<unsigned>(cp));
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
}

bool needs_escape(std::string_view text, escape_style style) {
  for (std::size_t i = 0; i < text.size();) {
    const decoded d = decode(text, i);
    const std::int32_t cp = d.cp;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) return true;
    if (style == escape_style::json && (cp == '"' || cp == '\\')) return true;
    i += d.length;
  }
  return false;
}

std::string quoted(std::string_view text, std::size_t max_bytes) {
  std::string_view shown = text.substr(0, max_bytes);
  if (shown.size() < text.size()) {
    // Back off to the start of the character the cut would split.
    std::size_t end = shown.size();
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80 &&
           shown.size() - end < 3) {
      --end;
    }
    shown = text.substr(0, end);
  }
  std::string out = "\"";
  for (std::size_t from = 0; from < shown.size();) {
    const std::size_t to = std::min(shown.find_first_of("\"\\", from), shown.size());
    append_escaped(out, shown.substr(from, to - from), escape_style::display);
    if (to < shown.size()) {
      out += '\\';
      out += shown[to];
    }
    from = to + 1;
  }
  if (shown.size() < text.size()) out += "...";
  return out + "\"";
}

}  // namespace fjwatch
