#pragma once
// Pieces shared by the command-line commands that read the config and the daemon's files
// (outbox_commands.cpp, watch_commands.cpp, list_command.cpp): option parsing, the config, the database, tables and times.
// Internal to the cli module.
#include "fjwatch/config/config.hpp"
#include "fjwatch/util/result.hpp"
#include "fjwatch/store/store.hpp"
#include "fjwatch/util/exit_codes.hpp"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fjwatch::cli {

// The word after args[i], moving i onto it; fails naming the option when there is none.
result<std::string> option_value(std::span<const std::string> args, std::size_t& i,
                                 std::string_view what);

// True (and sets out) when args[i] is -c/--config with its file; the failure when it lacks one.
result<bool> config_option(std::span<const std::string> args, std::size_t& i, std::string& out);

// The config; nullopt after printing its problems on err.
std::optional<config> load_config_reporting(const std::string& config_path, std::ostream& err);

// The store in state_dir when its database exists; nullptr (after a notice on err) when it does
// not, so that nothing is created. Throws store_error when the file cannot be looked at or used.
std::unique_ptr<store> open_existing(const std::filesystem::path& state_dir, std::ostream& err);

// "2026-05-01 09:09:10" in the local time zone.
std::string local_time(std::int64_t unix_ms);

// Rows (the first is the header) as columns padded to their widest cell, two spaces apart, no
// trailing blanks, one line per row. Each cell is escaped for display (text.hpp): a label or a
// title cannot move the cursor, recolour the terminal or reorder the line.
std::string format_table(const std::vector<std::vector<std::string>>& rows);
void print_table(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// Runs body, turning a database failure (or any other exception) into its message and exit 1.
template <class Body>
int guarded(std::string_view command, std::ostream& err, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    err << "fjwatch " << command << ": " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace fjwatch::cli
