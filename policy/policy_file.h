// Loads a policy file (SPEC section 6; schema in policy/README.md). Strict: an unknown
// key, a wrong type, a bad quantity, glob or selector is an error naming the file, the
// line and the key, e.g. `prod.yaml:12:7: rules[0].require.pvcSize.max: "10GB" is not a
// Kubernetes quantity`. No exceptions cross this boundary.
#pragma once

#include <optional>
#include <string>

#include "policy.h"

namespace feast {

inline constexpr const char* kPolicyApiVersion = "feast-admission.dev/v1";
inline constexpr const char* kPolicyKind = "PersistencePolicy";

struct PolicyLoad {
  std::optional<Policy> policy;  // set on success
  std::string error;             // set on failure
  bool ok() const { return policy.has_value(); }
};

PolicyLoad load_policy_file(const std::string& path);
// `name` stands for the file in error messages.
PolicyLoad load_policy_text(const std::string& text, const std::string& name);

}  // namespace feast
