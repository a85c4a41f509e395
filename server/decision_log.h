// The one JSON log line per admission decision (SPEC section 7). It carries request
// metadata and the verdict, never object contents, so no Secret value can leak into it.
#pragma once

#include <chrono>

namespace feast {

struct DecisionRecord;

void log_decision(const DecisionRecord& record, std::chrono::microseconds latency);

}  // namespace feast
