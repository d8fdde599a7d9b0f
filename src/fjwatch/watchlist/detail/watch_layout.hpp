#pragma once
// Where things are in a watch list's text, line by line: the `sessions` key, the entries of its
// block sequence and the lines each one spans. Internal to watch_edit.cpp (and its tests); pure.
#include "fjwatch/util/result.hpp"
#include "fjwatch/domain/session.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::watch_layout {

enum class line_kind { blank, comment, content, marker };  // marker: ---, ..., %directive

// One line of the text. [begin, end) is its text without the line break (and without a '\r'
// before it); next is where the following line starts (the text's size for the last line).
struct line {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t next = 0;
  line_kind kind = line_kind::blank;
  int indent = 0;          // spaces before the first other character
  bool dash_item = false;  // content that starts with "- " or is "-"
};

// One entry of the sequence: lines [first, last], from its `-` line to its last content line.
struct item {
  std::size_t first = 0;
  std::size_t last = 0;
  std::optional<session_id> id;  // nullopt when the entry holds no valid id
};

// How the `sessions` sequence is written.
enum class form {
  absent,       // no `sessions` key (an empty file, comments, other keys)
  block,        // `sessions:` then `- ` items (maybe none), or a top-level list
  empty_value,  // `sessions: []`, `sessions: ~`, `sessions: null`: the key line is rewritten
  flow,         // `sessions: [a, b]`, any other value on the key line, or a document that is
                // one flow collection (`[]`, `{sessions: [a]}`): not editable
};

struct layout {
  std::vector<line> lines;
  std::string eol = "\n";  // "\r\n" when the first line break is CRLF
  form shape = form::absent;
  std::size_t key_line = 0;     // the `sessions:` line (block without top-level list, empty_value)
  std::string key_comment;      // empty_value: the key line's trailing comment, kept on rewrite
  bool top_level_list = false;  // block: the document itself is the list
  int item_indent = 2;          // column of the `-` of existing items (2 when there are none)
  int dash_gap = 1;             // spaces between `-` and the item's content
  std::vector<item> items;
};

// Splits and classifies `text` and finds the sequence and its items (ids read with yaml-cpp,
// entry by entry). Never fails: text it cannot place is reported as form::flow or left absent,
// and the caller's parse-back check has the last word.
layout scan(std::string_view text);

}  // namespace fjwatch::watch_layout
