#pragma once
// fjwatch's exit statuses, after sysexits(3): one table for every command (README lists them).
namespace fjwatch {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;       // anything else: a damaged database, an I/O error
inline constexpr int exit_usage = 64;        // a command line that does not parse
inline constexpr int exit_data = 65;         // a bad id, action name or label (add, remove)
inline constexpr int exit_unavailable = 69;  // status: no daemon answers
inline constexpr int exit_temporary = 75;    // a lock is held: the watch list's (add, remove) or,
                                             // for run, another daemon's on the state directory
inline constexpr int exit_config = 78;       // a configuration error, a missing or bad secret

}  // namespace fjwatch
