#include "policy.h"

namespace feast {

std::string_view enforcement_name(Enforcement e) {
  switch (e) {
    case Enforcement::Deny: return "deny";
    case Enforcement::Warn: return "warn";
    case Enforcement::Audit: return "audit";
  }
  return "deny";
}

void DefaultsOverride::apply_to(PersistenceDefaults& d) const {
  if (mode) d.mode = *mode;
  for (const auto& [component, o] : components) {
    ComponentDefaults& c = d.of(component);
    if (o.ephemeral_path) c.ephemeral_path = *o.ephemeral_path;
    if (o.pvc_path) c.pvc_path = *o.pvc_path;
    if (o.file_type) c.file_type = *o.file_type;
    if (o.mount_path) c.mount_path = *o.mount_path;
    if (o.storage) c.storage = *o.storage;
    if (o.storage_class) c.storage_class = *o.storage_class;
    if (o.access_modes) c.access_modes = *o.access_modes;
  }
}

bool PolicyRule::matches(const std::string& ns, const Labels* labels) const {
  if (!namespaces.empty()) {
    bool any = false;
    for (const auto& glob : namespaces) any = any || glob_matches(glob, ns);
    if (!any) return false;
  }
  if (namespace_selector) return namespace_selector->matches(labels ? *labels : Labels{});
  return true;
}

bool Policy::has_selectors() const {
  for (const auto& r : rules_)
    if (r.namespace_selector) return true;
  return false;
}

NamespacePolicy Policy::resolve(const std::string& ns, const Labels* labels) const {
  NamespacePolicy out{defaults_, secrets_, {}};
  for (const auto& rule : rules_)
    if (rule.matches(ns, labels)) out.rules.push_back(&rule);
  // First matching rule that sets a field wins: apply in reverse so earlier rules land last.
  for (auto it = out.rules.rbegin(); it != out.rules.rend(); ++it) {
    (*it)->defaults.apply_to(out.defaults);
    if ((*it)->deny_unresolved_vars) out.secrets.deny_unresolved_vars = *(*it)->deny_unresolved_vars;
    if ((*it)->allow_when_unchecked) out.secrets.allow_when_unchecked = *(*it)->allow_when_unchecked;
  }
  return out;
}

}  // namespace feast
