// Structured logging: one JSON object per line on stderr ({"ts","level","msg",...fields}),
// the format log pipelines in a cluster expect. spdlog stays behind this header.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace feast {

enum class LogLevel { Debug, Info, Warn, Error };

// Installs the stderr JSON logger. False when `level` is not debug|info|warn|error.
bool init_json_logging(std::string_view level);

bool log_enabled(LogLevel level);

// Writes {"ts":...,"level":...,"msg":msg, ...fields}. `fields` must be an object (or null).
void log_event(LogLevel level, std::string_view msg,
               const nlohmann::ordered_json& fields = nullptr);

// Writes {"ts":...,"level":..., members}: `members` is ready-made JSON object members
// without braces that start with "msg": (what log_event() builds), for hot paths.
void log_members(LogLevel level, std::string_view members);

// Like log_members(), but the line waits in memory until flush_deferred_logs() or the next
// line written by another call above, so that the decision lines of one event-loop turn
// leave in one write(2) instead of one each. Lines keep their order. True when this line
// is the first one waiting: the caller then arranges a flush_deferred_logs() call soon
// (the HTTPS session posts one to its event loop, so it runs after the handlers that are
// ready in the same turn). A crash loses the lines still waiting; main() flushes at exit.
bool log_members_deferred(LogLevel level, std::string_view members);
void flush_deferred_logs();

}  // namespace feast
