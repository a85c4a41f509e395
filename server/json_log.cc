#include "json_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace feast {
namespace {

constexpr std::string_view kMembersPrefix = "\"msg\":";

// %* : the line's members. log_event() passes them ready-made ("msg":...,...); a plain
// spdlog call elsewhere (the Secret sources log text) becomes {"msg":"<text>"}, so that
// every line on stderr stays one JSON object.
class JsonMembersFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.substr(0, kMembersPrefix.size()) == kMembersPrefix) {
      dest.append(text.data(), text.data() + text.size());
      return;
    }
    const std::string escaped =
        nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(kMembersPrefix.data(), kMembersPrefix.data() + kMembersPrefix.size());
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMembersFlag>(); }
};

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

bool init_json_logging(std::string_view level) {
  spdlog::level::level_enum parsed;
  if (level == "debug") {
    parsed = spdlog::level::debug;
  } else if (level == "info") {
    parsed = spdlog::level::info;
  } else if (level == "warn") {
    parsed = spdlog::level::warn;
  } else if (level == "error") {
    parsed = spdlog::level::err;
  } else {
    return false;
  }
  auto logger = std::make_shared<spdlog::logger>(
      "feast-admission", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // The message is the JSON object's members without braces; spdlog adds time and level.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMembersFlag>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%*})");
  logger->set_formatter(std::move(formatter));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

bool log_enabled(LogLevel level) { return spdlog::default_logger_raw()->should_log(to_spdlog(level)); }

void log_event(LogLevel level, std::string_view msg, const nlohmann::ordered_json& fields) {
  if (!log_enabled(level)) return;
  nlohmann::ordered_json line;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Strip the outer braces: the pattern wraps the members in its own object.
  spdlog::default_logger_raw()->log(to_spdlog(level), std::string_view(text).substr(1, text.size() - 2));
}

void log_members(LogLevel level, std::string_view members) {
  if (!log_enabled(level)) return;
  spdlog::default_logger_raw()->log(to_spdlog(level), members);
}

}  // namespace feast
