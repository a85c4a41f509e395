#include "decision.h"

#include <set>

#include "defaulter.h"
#include "feature_store.h"
#include "validator.h"

namespace feast {

using nlohmann::json;

namespace {

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

Decision bad_request(std::string message) {
  Decision d;
  d.allowed = false;
  d.code = 400;
  d.reason = "BadRequest";
  d.message = std::move(message);
  return d;
}

Decision mutate(const AdmissionInput& in, const Policy& policy) {
  Decision d;
  Defaulting defaults = default_persistence(*in.object, in.old_object, in.namespace_name,
                                            policy.defaults_for(in.namespace_name));
  if (defaults.patch.empty()) return d;
  d.patch = std::move(defaults.patch);
  std::string fields;
  for (const auto& f : defaults.fields) fields += (fields.empty() ? "" : ",") + f;
  d.audit_annotations["defaulted"] = fields;
  d.rules_hit.push_back("defaults");
  return d;
}

// UPDATE ratcheting: a violation the stored object already had is reported as a
// warning, so a deleted Secret or a tightened policy never blocks unrelated edits.
void ratchet(ErrorList& errors, const ErrorList& old_errors, std::vector<std::string>& warnings) {
  ErrorList fresh;
  for (auto& e : errors) {
    bool existed = false;
    for (const auto& o : old_errors) existed = existed || e.same_violation(o);
    if (existed) warnings.push_back("existing violation, allowed on update: " + e.text());
    else fresh.push_back(std::move(e));
  }
  errors = std::move(fresh);
}

Decision validate(const AdmissionInput& in, const Policy& /*policy*/) {
  Decision d;
  const json* old = in.operation == "UPDATE" ? in.old_object : nullptr;
  ErrorList errors = validate_structure(*in.object, in.version, old);
  if (old && !errors.empty()) ratchet(errors, validate_structure(*old, in.version, nullptr), d.warnings);

  std::set<std::string> rules;
  for (const auto& e : errors) rules.insert(e.rule);
  d.rules_hit.assign(rules.begin(), rules.end());
  if (errors.empty()) return d;

  d.allowed = false;
  d.code = 422;
  d.reason = "Invalid";
  d.object_name = object_name(in);
  const std::string kind = in.kind.empty() ? "FeatureStore" : in.kind;
  const std::string group = in.group.empty() ? "feast.dev" : in.group;
  d.message = kind + "." + group + " " + json(d.object_name).dump() + " is invalid: " + aggregate_message(errors);
  d.causes = std::move(errors);
  return d;
}

}  // namespace

Decision decide(Webhook webhook, const AdmissionInput& in, const Policy& policy) {
  if (!is_main_resource_write(in)) return Decision{};
  if (in.object == nullptr || !in.object->is_object())
    return bad_request("request.object must be a JSON object for " + in.operation);
  if (is_being_deleted(in)) return Decision{};
  return webhook == Webhook::Mutate ? mutate(in, policy) : validate(in, policy);
}

}  // namespace feast
