#pragma once
// How much the logger writes, and in which form (config log.level, log.format).
namespace fjwatch {

enum class log_level { trace, debug, info, warn, error };
enum class log_format { text, json };

}  // namespace fjwatch
