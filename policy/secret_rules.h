// Rules V7 and V8 (SPEC section 4): a DB-backed store's Secret exists in the request's
// namespace, has the key, holds a YAML mapping whose type fields agree with the store,
// and every ${NAME} in it is provided by a server container of the same FeatureStore.
//
// Checked stores: those of present components only (the online store unless
// `disabled: true`, the offline store, registry.local) whose `type` is a supported
// non-empty string for the version and whose `secretRef.name` is a non-empty string;
// structural problems (V1, V3) are reported by the validator, not here.
//
// Fields and values, so that UPDATE ratcheting can compare errors and nothing from a
// Secret value is ever printed (the value of an error is always the value of the field
// it names, which the user wrote):
//   V7 Secret missing      <store>.secretRef.name  NotFound  value: the Secret name
//   V7 key missing, value  <store>.secretKeyName   Invalid   value: the key name
//      not a mapping          (when secretKeyName is set), else
//                          <store>.secretRef.name  Invalid   value: the Secret name
//   V7 type/registry_type  <store>.type            Invalid   value: the store type
//   V8 unresolved ${NAME}  <store>                 NotFound  value: NAME
// A finding also carries the identity of its store block (path, type, secretRef.name,
// secretKeyName): SPEC ratchets a Secret rule only for the same store block.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "field_error.h"
#include "policy.h"
#include "secret_facts.h"

namespace feast {

struct SecretFinding {
  FieldError error;
  std::string store;  // "<store path>|<type>|<secretRef.name>|<secretKeyName>"
};

struct SecretCheck {
  std::vector<SecretFinding> errors;    // deny: V7, and V8 when deny_unresolved_vars
  std::vector<SecretFinding> warnings;  // V8 unresolved ${NAME} by default
  // Errors that oldObject already had (filled by ratchet()): report as warnings.
  std::vector<SecretFinding> ratcheted;

  // The Secret cache is not synced, so the stores could not be checked. Only set when
  // there is at least one store to check; errors and warnings are then empty. The caller
  // denies with unchecked_message, or allows with it as a warning when
  // SecretRuleSettings::allow_when_unchecked.
  bool unchecked = false;
  std::string unchecked_message;

  ErrorList error_list() const;
  ErrorList warning_list() const;  // warnings, then ratcheted errors
};

// Runs V7 and V8 on a FeatureStore object for a request in namespace `ns` and version
// `version` ("v1", "v1alpha1"). Never throws on a malformed object: fields of the wrong
// JSON type are skipped.
SecretCheck check_secrets(const nlohmann::json& object, std::string_view ns,
                          std::string_view version, const SecretLookup& secrets,
                          const SecretRuleSettings& settings);

// Same rule, field, reason and value, and the same store block.
bool same_secret_violation(const SecretFinding& a, const SecretFinding& b);

// UPDATE ratcheting: moves every error of `now` that `before` (the check of oldObject)
// also has into now.ratcheted. Only new violations stay in now.errors.
void ratchet(SecretCheck& now, const SecretCheck& before);

}  // namespace feast
