// `feast-admission check`: the webhook's decisions offline, for CI pipelines (SPEC
// section 5). Each FeatureStore in the input files goes through the same decide() as the
// server: the mutating webhook, its patch applied, then the validating webhook, exactly
// as the API server chains them on CREATE.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace feast {

struct CheckOptions {
  std::vector<std::string> files;           // FeatureStore manifests; other kinds skipped
  std::optional<std::string> secrets;       // Secret (and Namespace) manifests: a file or folder
  std::optional<std::string> policy;        // policy file; built-in policy when absent
  std::optional<std::string> namespace_name;  // for objects without metadata.namespace
  std::optional<std::string> output;        // "yaml" or "json": print the defaulted objects
};

// Exit codes.
inline constexpr int kCheckAllowed = 0;
inline constexpr int kCheckDenied = 1;
inline constexpr int kCheckBadInput = 2;

// Verdicts go to `report` (kubectl style); defaulted objects to `objects`.
int run_check(const CheckOptions& options, std::ostream& report, std::ostream& objects);

}  // namespace feast
