#include <boost/test/unit_test.hpp>

#include "fjwatch/util/text.hpp"

#include <string>
#include <vector>

using fjwatch::escape_style;

namespace {

struct row {
  std::string input;
  std::string want;
};

const std::string fffd = "\xef\xbf\xbd";

}  // namespace

BOOST_AUTO_TEST_CASE(first_invalid_utf8_finds_each_ill_formed_form) {
  const std::vector<std::pair<std::string, std::size_t>> rows{
      {"", std::string::npos},
      {"plain ASCII text, longer than eight bytes", std::string::npos},
      {"Pune .NET \xe2\x80\x94 \xf0\x9f\x9a\x80 caf\xc3\xa9", std::string::npos},
      {"\xc3", 0},                 // truncated two-byte form
      {"abc\x80", 3},              // a lone continuation byte
      {"abcdefghij\xc0\xaf", 10},  // overlong '/'
      {"\xe0\x80\xaf", 0},         // overlong three-byte form
      {"ok \xed\xa0\x80", 3},      // a UTF-16 surrogate, U+D800
      {"\xf4\x90\x80\x80", 0},     // past U+10FFFF
      {"\xf5\x80\x80\x80", 0},     // a lead byte that never appears
      {"\xff", 0},
      {"12345678\xe2\x82", 8},  // cut short at the end, after the fast ASCII run
  };
  for (const auto& [text, want] : rows) {
    BOOST_TEST_CONTEXT("input " << fjwatch::escaped(text, escape_style::display)) {
      BOOST_TEST(fjwatch::first_invalid_utf8(text) == want);
      BOOST_TEST(fjwatch::is_valid_utf8(text) == (want == std::string::npos));
    }
  }
}

BOOST_AUTO_TEST_CASE(replace_invalid_utf8_substitutes_maximal_subparts) {
  // The rows of Unicode's own example (§3.9, Table 3-8) and a few of ours.
  const std::vector<row> rows{
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"a\x80"
       "b",
       "a" + fffd + "b"},
      {"\xc0\xaf", fffd + fffd},
      {"\xe1\x80"
       "A",
       fffd + "A"},                          // one subpart: E1 80 is a valid prefix
      {"\xed\xa0\x80", fffd + fffd + fffd},  // ED A0: A0 is out of ED's range
      {"\xf1\x80\x80", fffd},                // one truncated four-byte form
      {"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
       "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("input " << fjwatch::escaped(r.input, escape_style::display)) {
      const auto got = fjwatch::replace_invalid_utf8(r.input);
      BOOST_TEST(got == r.want);
      BOOST_TEST(fjwatch::is_valid_utf8(got));
    }
  }
}

BOOST_AUTO_TEST_CASE(repair_json_text_fixes_bytes_and_lone_surrogates_only) {
  const std::vector<row> rows{
      {R"({"t":"ok"})", R"({"t":"ok"})"},
      {"{\"t\":\"a\xff"
       "b\"}",
       "{\"t\":\"a" + fffd + "b\"}"},
      {R"({"t":"\ud83d\ude80"})", R"({"t":"\ud83d\ude80"})"},  // a pair stays
      {R"({"t":"x\ud83d"})", R"({"t":"x\ufffd"})"},            // a lone high half
      {R"({"t":"\ude80y"})", R"({"t":"\ufffdy"})"},            // a lone low half
      {R"({"t":"\ud83d\ud83d\ude80"})", R"({"t":"\ufffd\ud83d\ude80"})"},
      {R"({"t":"\\ud83d"})", R"({"t":"\\ud83d"})"},  // an escaped backslash, no escape
      {R"({"t":"\u00e9"})", R"({"t":"\u00e9"})"},
      {"not json \xc3", "not json " + fffd},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("input " << fjwatch::escaped(r.input, escape_style::display)) {
      BOOST_TEST(fjwatch::repair_json_text(r.input) == r.want);
    }
  }
}

BOOST_AUTO_TEST_CASE(escape_for_json_strings) {
  const std::vector<row> rows{
      {"plain", "plain"},
      {"caf\xc3\xa9 \xf0\x9f\x9a\x80", "caf\xc3\xa9 \xf0\x9f\x9a\x80"},
      {"say \"hi\" \\ bye", R"(say \"hi\" \\ bye)"},
      {"a\nb\rc\td", R"(a\nb\rc\td)"},
      {std::string("nul\0end", 7), R"(nul\u0000end)"},
      {"esc\x1b[31m del\x7f", R"(esc\u001b[31m del\u007f)"},
      {"c1 \xc2\x9b"
       "31m",
       R"(c1 \u009b31m)"},
      {"evil\xe2\x80\xae"
       "txt.exe",
       R"(evil\u202etxt.exe)"},
      {"\xe2\x81\xa6isolate\xe2\x81\xa9 \xd8\x9c \xe2\x80\x8f",
       R"(\u2066isolate\u2069 \u061c \u200f)"},
      {"bad \xff byte", R"(bad \ufffd byte)"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("input " << fjwatch::escaped(r.input, escape_style::display)) {
      BOOST_TEST(fjwatch::escaped(r.input, escape_style::json) == r.want);
      BOOST_TEST(fjwatch::needs_escape(r.input, escape_style::json) == (r.input != r.want));
    }
  }
}

BOOST_AUTO_TEST_CASE(escape_for_display) {
  const std::vector<row> rows{
      {"Pune .NET \"senior\" C:\\dir", "Pune .NET \"senior\" C:\\dir"},
      {"a\nb\tc", R"(a\nb\tc)"},
      {std::string("x\0y", 3), R"(x\0y)"},
      {"\x1b]0;title\x07", R"(\x1b]0;title\x07)"},
      {"c1 \xc2\x85 next line", R"(c1 \u0085 next line)"},
      {"left\xe2\x80\xaeright", R"(left\u202eright)"},
      {"bad \xc3(", R"(bad \xc3()"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("input " << fjwatch::escaped(r.input, escape_style::json)) {
      BOOST_TEST(fjwatch::escaped(r.input, escape_style::display) == r.want);
      BOOST_TEST(fjwatch::needs_escape(r.input, escape_style::display) == (r.input != r.want));
    }
  }
}
