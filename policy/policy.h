// Policy: what the platform team decided (SPEC section 6), as the decision code consumes
// it: the defaults of section 3, how the Secret rules settle what they cannot check, and
// an ordered list of namespace rules, each with overrides, requirements and an
// enforcement mode. Loaded from YAML by policy_file.h; Policy::builtin() is the default.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "label_selector.h"
#include "persistence_defaults.h"

namespace feast {

// How the Secret rules (V7, V8) treat what they cannot settle.
struct SecretRuleSettings {
  bool deny_unresolved_vars = false;   // V8: unresolved ${NAME} denies instead of warning
  bool allow_when_unchecked = false;   // Secrets unavailable: allow with a warning, not deny
};

enum class Enforcement { Deny, Warn, Audit };
std::string_view enforcement_name(Enforcement e);

// A PVC size written in the policy: its text for messages, its value for comparisons.
struct SizeBound {
  std::string text;
  long double bytes = 0;
};

// Requirements a rule states (V10). Absent means "no requirement".
struct Requirements {
  std::map<Component, std::vector<std::string>> store_types;  // allowed DB store types
  std::optional<std::vector<std::string>> offline_file_types;
  std::vector<Component> forbid_ephemeral;  // no emptyDir file persistence
  std::vector<Component> require_store;     // DB store persistence only
  std::optional<SizeBound> min_pvc_size;
  std::optional<SizeBound> max_pvc_size;
  std::optional<std::vector<std::string>> storage_classes;
};

// Fields of PersistenceDefaults a rule overrides (unset: inherit).
struct ComponentOverride {
  std::optional<std::string> ephemeral_path, pvc_path, file_type, mount_path, storage, storage_class;
  std::optional<std::vector<std::string>> access_modes;
};
struct DefaultsOverride {
  std::optional<PersistenceMode> mode;
  std::map<Component, ComponentOverride> components;
  void apply_to(PersistenceDefaults& d) const;  // only the fields that are set
};

struct PolicyRule {
  std::string name;
  std::vector<std::string> namespaces;            // name globs; empty: any name
  std::optional<LabelSelector> namespace_selector;  // empty: any labels
  Enforcement enforcement = Enforcement::Deny;
  DefaultsOverride defaults;
  Requirements requirements;
  std::optional<bool> deny_unresolved_vars;
  std::optional<bool> allow_when_unchecked;

  // Name glob and selector both hold. `labels` is nullptr when the Namespace is unknown:
  // then a rule with a selector does not match (except one that only asks for absence).
  bool matches(const std::string& ns, const Labels* labels) const;
};

// The policy in force for one namespace.
struct NamespacePolicy {
  PersistenceDefaults defaults;
  SecretRuleSettings secrets;
  std::vector<const PolicyRule*> rules;  // matching rules, in file order
};

class Policy {
 public:
  explicit Policy(PersistenceDefaults defaults, SecretRuleSettings secrets = {},
                  std::vector<PolicyRule> rules = {})
      : defaults_(std::move(defaults)), secrets_(secrets), rules_(std::move(rules)) {}

  static Policy builtin(PersistenceMode mode = PersistenceMode::Ephemeral) {
    return Policy(PersistenceDefaults::builtin(mode));
  }

  // Combination (documented in policy/README.md): every matching rule's requirements
  // apply, each in its own mode; for a default or a Secret setting, the first matching
  // rule that sets it wins, then the file's top-level value.
  NamespacePolicy resolve(const std::string& ns, const Labels* labels) const;

  const PersistenceDefaults& defaults() const { return defaults_; }
  const SecretRuleSettings& secret_settings() const { return secrets_; }
  const std::vector<PolicyRule>& rules() const { return rules_; }
  bool has_selectors() const;

 private:
  PersistenceDefaults defaults_;
  SecretRuleSettings secrets_;
  std::vector<PolicyRule> rules_;
};

// Namespace labels for rule selectors (watched Namespace objects or a file).
class NamespaceLookup {
 public:
  virtual ~NamespaceLookup() = default;
  // The labels of the Namespace, or nullopt when it is not known.
  virtual std::optional<Labels> labels(std::string_view ns) const = 0;
};

}  // namespace feast
