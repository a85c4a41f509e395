#include "json_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

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

// stderr through a buffer of our own: a line is written when its logger flushes, which
// the default logger does after every line and the deferred one only when asked. Both
// share this sink, so a line of the default logger also writes the deferred lines before
// it, in order.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~StderrSink() override { write_out(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    pending_.append(formatted.data(), formatted.size());
    if (pending_.size() >= kMaxPendingBytes) write_out();  // a flood within one turn
  }
  void flush_() override { write_out(); }

 private:
  static constexpr std::size_t kMaxPendingBytes = 64 * 1024;

  // Everything pending, retrying short writes and EINTR; on another error (stderr closed)
  // the lines are dropped rather than kept growing.
  void write_out() {
    std::size_t done = 0;
    while (done < pending_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, pending_.data() + done, pending_.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
    pending_.clear();
  }

  std::string pending_;
};

// The logger of log_members_deferred(), and whether a flush has been asked for since its
// last one.
std::shared_ptr<spdlog::logger> deferred_logger;
std::atomic<bool> flush_requested{false};

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
  if (deferred_logger) deferred_logger->flush();
  auto sink = std::make_shared<StderrSink>();
  // The message is the JSON object's members without braces; spdlog adds time and level.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMembersFlag>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%*})");
  sink->set_formatter(std::move(formatter));
  auto logger = std::make_shared<spdlog::logger>("feast-admission", sink);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  deferred_logger = std::make_shared<spdlog::logger>("feast-admission-deferred", sink);
  deferred_logger->set_level(parsed);
  deferred_logger->flush_on(spdlog::level::off);
  flush_requested = false;
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

bool log_members_deferred(LogLevel level, std::string_view members) {
  if (!deferred_logger) {
    log_members(level, members);
    return false;
  }
  if (!deferred_logger->should_log(to_spdlog(level))) return false;
  deferred_logger->log(to_spdlog(level), members);
  // After the line is in: a flush that cleared the flag before this exchange writes it.
  return !flush_requested.exchange(true);
}

void flush_deferred_logs() {
  flush_requested = false;  // before the flush: a line added after it asks for another
  if (deferred_logger) deferred_logger->flush();
}

}  // namespace feast
