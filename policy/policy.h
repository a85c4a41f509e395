// Policy: what the platform team decided, as the decision code consumes it. For now the
// built-in default policy only (SPEC section 3 defaults); the policy-file issue adds
// namespace rules and enforcement modes behind the same interface.
#pragma once

#include <string_view>
#include <utility>

#include "persistence_defaults.h"

namespace feast {

// How the Secret rules (V7, V8) treat what they cannot settle.
struct SecretRuleSettings {
  bool deny_unresolved_vars = false;   // V8: unresolved ${NAME} denies instead of warning
  bool allow_when_unchecked = false;   // Secrets unavailable: allow with a warning, not deny
};

class Policy {
 public:
  explicit Policy(PersistenceDefaults defaults, SecretRuleSettings secrets = {})
      : defaults_(std::move(defaults)), secrets_(secrets) {}

  static Policy builtin(PersistenceMode mode = PersistenceMode::Ephemeral) {
    return Policy(PersistenceDefaults::builtin(mode));
  }

  // The defaults that apply to FeatureStores in a namespace.
  const PersistenceDefaults& defaults_for(std::string_view /*ns*/) const { return defaults_; }
  const SecretRuleSettings& secret_rules_for(std::string_view /*ns*/) const { return secrets_; }

 private:
  PersistenceDefaults defaults_;
  SecretRuleSettings secrets_;
};

}  // namespace feast
