// PolicyReloader: the --policy file, loaded at start and reloaded when it changes. A new
// file that fails the schema check is refused with a logged error naming the problem;
// the policy in force stays, and so does readiness.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "admission_state.h"
#include "file_stamp.h"

namespace feast {

class PolicyReloader {
 public:
  PolicyReloader(std::filesystem::path file, AdmissionState& state) : file_(std::move(file)), state_(state) {}

  // Loads the file now; the error text when it is unusable (the server should not start).
  std::optional<std::string> load_initial();
  // Reloads when the file changed since the last look and has settled (kFileSettleTime:
  // not caught mid-write). True when a new policy is in force.
  bool poll();

  std::size_t reloads() const { return reloads_; }
  std::size_t failures() const { return failures_; }

 private:
  std::filesystem::path file_;
  AdmissionState& state_;
  FileStamp last_seen_;
  std::size_t reloads_ = 0;
  std::size_t failures_ = 0;
};

}  // namespace feast
