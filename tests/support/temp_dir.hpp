#pragma once
// The one temporary directory every test uses: made fresh, removed with everything in it.
// Header-only; no Boost.Test (a failure to create it throws).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <stdlib.h>

namespace fjwatch::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
// Throws std::runtime_error when it cannot be created.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "fjwatch-test") {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("temp_dir: cannot create " + tmpl);
    }
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Truncates and rewrites `name` in place (same inode). Throws std::runtime_error on failure.
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    const auto p = path_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("temp_dir: cannot write " + p.string());
    return p;
  }

  // Saves `name` the way editors do: a new file in the same directory renamed over the old one.
  // Throws std::runtime_error (or std::filesystem::filesystem_error) on failure.
  std::filesystem::path replace(std::string_view name, std::string_view text) const {
    const auto tmp = write(std::string(name) + ".tmp~", text);
    const auto p = path_ / name;
    std::filesystem::rename(tmp, p);
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace fjwatch::testing
