// The one JSON log line per admission decision (SPEC section 7). It carries request
// metadata and the verdict, never object contents, so no Secret value can leak into it.
#pragma once

#include <chrono>

namespace feast {

struct DecisionRecord;

// The line waits for flush_deferred_logs() (json_log.h); true when the caller must arrange
// that call, i.e. when this is the first line waiting.
[[nodiscard]] bool log_decision(const DecisionRecord& record, std::chrono::microseconds latency);

}  // namespace feast
