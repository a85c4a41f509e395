#include "decision.h"

#include <set>

#include "defaulter.h"
#include "feature_store.h"
#include "requirements.h"
#include "secret_facts.h"
#include "secret_rules.h"
#include "validator.h"

namespace feast {

using nlohmann::json;

namespace {

// kubectl prints each warning on its own line; keep them short.
constexpr std::size_t kMaxWarning = 240;

// CREATE and UPDATE of the resource itself; subresources, DELETE and CONNECT pass.
bool is_main_resource_write(const AdmissionInput& in) {
  return in.sub_resource.empty() && (in.operation == "CREATE" || in.operation == "UPDATE");
}

bool is_being_deleted(const AdmissionInput& in) {
  return in.operation == "UPDATE" && find(in.object, {"metadata", "deletionTimestamp"}) != nullptr;
}

std::string object_name(const AdmissionInput& in) {
  if (!in.name.empty()) return in.name;
  const json* name = find(in.object, {"metadata", "name"});
  return name && name->is_string() ? name->get<std::string>() : std::string();
}

std::string shorten(std::string s) {
  if (s.size() > kMaxWarning) s = s.substr(0, kMaxWarning - 3) + "...";
  return s;
}

Decision bad_request(std::string message) {
  Decision d;
  d.allowed = false;
  d.code = 400;
  d.reason = "BadRequest";
  d.message = std::move(message);
  return d;
}

NamespacePolicy resolve(const AdmissionInput& in, const DecisionContext& ctx) {
  std::optional<Labels> labels;
  if (ctx.namespaces) labels = ctx.namespaces->labels(in.namespace_name);
  return ctx.policy.resolve(in.namespace_name, labels ? &*labels : nullptr);
}

Decision mutate(const AdmissionInput& in, const NamespacePolicy& policy) {
  Decision d;
  Defaulting defaults = default_persistence(*in.object, in.old_object, in.namespace_name, policy.defaults);
  if (defaults.patch.empty()) return d;
  d.patch = std::move(defaults.patch);
  std::string fields;
  for (const auto& f : defaults.fields) fields += (fields.empty() ? "" : ",") + f;
  d.audit_annotations["defaulted"] = fields;
  d.rules_hit.push_back("defaults");
  return d;
}

// Violations that may deny, by where they go once ratcheted and enforced.
struct Findings {
  ErrorList deny;
  ErrorList warn;
  ErrorList audit;
  std::vector<std::string> warnings;  // ready-made warning texts
};

// Everything the object violates, sorted by enforcement mode. Secret findings come back
// separately so they can be ratcheted by store block.
void structural_and_policy(const json& object, const json* old_object, const AdmissionInput& in,
                           const NamespacePolicy& policy, Findings& f) {
  for (auto& e : validate_structure(object, in.version, old_object)) f.deny.push_back(std::move(e));
  for (const PolicyRule* rule : policy.rules) {
    ErrorList errors = check_requirements(object, *rule);
    ErrorList& into = rule->enforcement == Enforcement::Deny ? f.deny
                      : rule->enforcement == Enforcement::Warn ? f.warn : f.audit;
    for (auto& e : errors) into.push_back(std::move(e));
  }
}

// UPDATE ratcheting: a violation the stored object already had is reported as a
// warning, so a deleted Secret or a tightened policy never blocks unrelated edits.
void ratchet(ErrorList& errors, const ErrorList& old_errors, std::vector<std::string>& warnings) {
  ErrorList fresh;
  for (auto& e : errors) {
    bool existed = false;
    for (const auto& o : old_errors) existed = existed || e.same_violation(o);
    if (existed) warnings.push_back(shorten("existing violation, allowed on update: " + e.text()));
    else fresh.push_back(std::move(e));
  }
  errors = std::move(fresh);
}

std::string rule_label(const FieldError& e) {
  return e.rule.starts_with("policy:") ? "policy rule \"" + e.rule.substr(7) + "\": " : "";
}

void secrets(const AdmissionInput& in, const json* old, const DecisionContext& ctx,
             const NamespacePolicy& policy, Findings& f) {
  if (ctx.secrets == nullptr) return;
  SecretCheck now = check_secrets(*in.object, in.namespace_name, in.version, *ctx.secrets, policy.secrets);
  if (now.unchecked) {
    if (policy.secrets.allow_when_unchecked) f.warnings.push_back(shorten(now.unchecked_message));
    else f.deny.push_back(forbidden(FieldPath("spec").child("services"), now.unchecked_message, "secrets-unavailable"));
    return;
  }
  if (old) ratchet(now, check_secrets(*old, in.namespace_name, in.version, *ctx.secrets, policy.secrets));
  for (auto& e : now.error_list()) f.deny.push_back(std::move(e));
  for (const auto& w : now.warnings) f.warnings.push_back(shorten(w.error.text()));
  for (const auto& r : now.ratcheted) f.warnings.push_back(shorten("existing violation, allowed on update: " + r.error.text()));
}

Decision validate(const AdmissionInput& in, const DecisionContext& ctx, const NamespacePolicy& policy) {
  Decision d;
  const json* old = in.operation == "UPDATE" && in.old_object && in.old_object->is_object() ? in.old_object : nullptr;
  Findings f;
  structural_and_policy(*in.object, old, in, policy, f);
  if (old && !(f.deny.empty() && f.warn.empty() && f.audit.empty())) {
    Findings before;
    structural_and_policy(*old, nullptr, in, policy, before);
    ratchet(f.deny, before.deny, f.warnings);
    ratchet(f.warn, before.warn, f.warnings);
    ratchet(f.audit, before.audit, f.warnings);
  }
  secrets(in, old, ctx, policy, f);

  std::set<std::string> rules;
  for (const ErrorList* list : {&f.deny, &f.warn, &f.audit})
    for (const auto& e : *list) rules.insert(e.rule);
  d.rules_hit.assign(rules.begin(), rules.end());
  for (const auto& e : f.warn) d.warnings.push_back(shorten(rule_label(e) + e.text()));
  for (auto& w : f.warnings) d.warnings.push_back(std::move(w));
  if (!f.audit.empty()) {
    std::string text;
    for (const auto& e : f.audit) text += (text.empty() ? "" : "; ") + rule_label(e) + e.text();
    d.audit_annotations["policy-audit"] = text;
    d.audited = std::move(f.audit);
  }
  if (f.deny.empty()) return d;

  d.allowed = false;
  d.code = 422;
  d.reason = "Invalid";
  d.object_name = object_name(in);
  const std::string kind = in.kind.empty() ? "FeatureStore" : in.kind;
  const std::string group = in.group.empty() ? "feast.dev" : in.group;
  d.message = kind + "." + group + " " + json(d.object_name).dump() + " is invalid: " + aggregate_message(f.deny);
  d.causes = std::move(f.deny);
  return d;
}

}  // namespace

Decision decide(Webhook webhook, const AdmissionInput& in, const DecisionContext& ctx) {
  if (!is_main_resource_write(in)) return Decision{};
  if (in.object == nullptr || !in.object->is_object())
    return bad_request("request.object must be a JSON object for " + in.operation);
  if (is_being_deleted(in)) return Decision{};
  const NamespacePolicy policy = resolve(in, ctx);
  return webhook == Webhook::Mutate ? mutate(in, policy) : validate(in, ctx, policy);
}

}  // namespace feast
