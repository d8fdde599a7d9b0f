#include "fjwatch/cli/detail/cli_common.hpp"

#include "fjwatch/util/text.hpp"
#include "fjwatch/util/diagnostic.hpp"

#include <time.h>  // localtime_r

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <system_error>

namespace fjwatch::cli {

namespace fs = std::filesystem;

result<std::string> option_value(std::span<const std::string> args, std::size_t& i,
                                 std::string_view what) {
  if (i + 1 == args.size() || args[i + 1].empty()) {
    return fail(args[i] + " needs " + std::string(what));
  }
  return args[++i];
}

result<bool> config_option(std::span<const std::string> args, std::size_t& i, std::string& out) {
  if (args[i] != "-c" && args[i] != "--config") return false;
  auto v = option_value(args, i, "a file name");
  if (!v) return v.error();
  out = std::move(*v);
  return true;
}

std::optional<config> load_config_reporting(const std::string& config_path, std::ostream& err) {
  try {
    return load_config(config_path);
  } catch (const config_error& e) {
    for (const diagnostic& p : e.problems()) err << p.str() << "\n";
    return std::nullopt;
  }
}

std::unique_ptr<store> open_existing(const fs::path& state_dir, std::ostream& err) {
  const fs::path file = store::file_in(state_dir);
  std::error_code ec;
  const bool there = fs::exists(file, ec);
  if (ec) throw store_error(file.string() + ": cannot look for the database: " + ec.message());
  if (!there) {
    err << "no database at " << file.string() << " yet: the daemon has not run\n";
    return nullptr;
  }
  return std::make_unique<store>(state_dir);
}

std::string local_time(std::int64_t unix_ms) {
  const auto secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  struct tm parts {};
  std::array<char, 32> buf{};
  if (localtime_r(&secs, &parts) == nullptr ||
      std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &parts) == 0) {
    return std::to_string(unix_ms) + "ms";
  }
  return buf.data();
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    auto& shown = cells.emplace_back();
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) {
      shown.push_back(escaped(row[c], escape_style::display));
      width[c] = std::max(width[c], shown.back().size());
    }
  }
  std::string out;
  for (const auto& row : cells) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out.append(width[c] - row[c].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

void print_table(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  out << format_table(rows);
}

}  // namespace fjwatch::cli
