// CacheSyncTracker: when a cache last completed a list, and a lifecycle log line for every
// list after the first (a watch restart or a folder rescan). Polled twice a second on the
// control strand with the source's count of completed lists; read by /metrics from any
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "json_log.h"

namespace feast {

class CacheSyncTracker {
 public:
  explicit CacheSyncTracker(std::string resource) : resource_(std::move(resource)) {}

  void poll(std::uint64_t lists, bool synced) {
    if (synced && last_sync_.load(std::memory_order_relaxed) == 0) stamp();
    if (lists == seen_) return;
    if (seen_ > 0) {
      log_event(LogLevel::Info, "cache listed again (watch restart or rescan)",
                {{"resource", resource_}, {"lists", lists}});
    }
    seen_ = lists;
    if (synced) stamp();
  }

  // Unix seconds of the last completed list seen; 0 before the first.
  std::int64_t last_sync() const { return last_sync_.load(std::memory_order_relaxed); }

 private:
  void stamp() {
    last_sync_.store(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count(),
                     std::memory_order_relaxed);
  }

  std::string resource_;
  std::uint64_t seen_ = 0;  // control strand only
  std::atomic<std::int64_t> last_sync_{0};
};

}  // namespace feast
