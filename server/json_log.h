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

}  // namespace feast
