#pragma once
// Reading a small text file whole: the config, the API key, a secret, the watch list.
#include "fjwatch/util/result.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace fjwatch {

// The whole of the regular file at `path`, at most `limit` bytes; nullopt when it does not exist.
// The file is opened without waiting, so a FIFO or a device is refused at once, never read from.
// Fails with a short reason that does not name the file (the caller does): the system's text for
// the error of open(2) or read(2) ("Permission denied", "Is a directory"), "not a regular
// file", or "larger than 64 MiB" (the limit, in MiB, KiB or bytes).
result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& path,
                                                       std::size_t limit);

// The same, a missing file failing with "No such file or directory".
result<std::string> read_file(const std::filesystem::path& path, std::size_t limit);

}  // namespace fjwatch
