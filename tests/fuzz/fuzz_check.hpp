#pragma once
// Shared by the fuzz targets: the input as text, and what a target does when a property fails
// (say which and abort, so libFuzzer keeps the input and the corpus replay test fails).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Every target defines this; libFuzzer (or replay_main.cpp) calls it once per input.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Aborts with the failed condition, a note and the place when `cond` is false.
#define FUZZ_CHECK(cond, note) \
  ((cond) ? void(0) : ::fjwatch::fuzz::check_failed(#cond, (note), __FILE__, __LINE__))

namespace fjwatch::fuzz {

[[noreturn]] inline void check_failed(const char* cond, std::string_view note, const char* file,
                                      int line) {
  std::fprintf(stderr, "%s:%d: property failed: %s (%.*s)\n", file, line, cond,
               static_cast<int>(note.size()), note.data());
  std::abort();
}

// The fuzzer's bytes as text (any bytes: NULs and invalid UTF-8 included).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace fjwatch::fuzz
