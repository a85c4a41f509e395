#include "policy_reloader.h"

#include "json_log.h"
#include "policy_file.h"

namespace feast {

std::optional<std::string> PolicyReloader::load_initial() {
  last_seen_ = stamp_of(file_);
  PolicyLoad load = load_policy_file(file_.string());
  if (!load.ok()) return load.error;
  state_.set_policy(std::make_shared<const Policy>(std::move(*load.policy)));
  log_event(LogLevel::Info, "policy loaded", {{"file", file_.string()}});
  return std::nullopt;
}

bool PolicyReloader::poll() {
  const FileStamp now = stamp_of(file_);
  if (now == last_seen_) return false;
  if (!settled(now)) return false;  // still being written: look again on the next tick
  last_seen_ = now;
  PolicyLoad load = load_policy_file(file_.string());
  if (!load.ok()) {
    ++failures_;
    log_event(LogLevel::Error, "policy reload refused, keeping the policy in force",
              {{"file", file_.string()}, {"error", load.error}});
    return false;
  }
  state_.set_policy(std::make_shared<const Policy>(std::move(*load.policy)));
  ++reloads_;
  log_event(LogLevel::Info, "policy reloaded", {{"file", file_.string()}});
  return true;
}

}  // namespace feast
