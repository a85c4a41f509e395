// decide(): the single decision function behind both webhooks and the offline `check`
// command. Input is the part of an AdmissionReview request the rules read; output is
// plain data (patch ops, field errors, warnings) that the caller encodes. Nothing here
// knows about sockets, HTTP or the AdmissionReview envelope.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field_error.h"
#include "policy.h"

namespace feast {

enum class Webhook { Mutate, Validate };

struct AdmissionInput {
  std::string operation;     // CREATE, UPDATE, DELETE, CONNECT
  std::string group;         // request.kind.group, "feast.dev"
  std::string version;       // request.kind.version: "v1" or "v1alpha1"
  std::string kind;          // request.kind.kind, "FeatureStore"
  std::string sub_resource;  // request.subResource, "" for the main resource
  std::string namespace_name;
  std::string name;          // request.name (may be empty on CREATE with generateName)
  bool dry_run = false;
  const nlohmann::json* object = nullptr;      // request.object, may be null
  const nlohmann::json* old_object = nullptr;  // request.oldObject, may be null
};

struct Decision {
  bool allowed = true;
  nlohmann::json patch = nlohmann::json::array();  // RFC 6902 ops, "add" only
  std::vector<std::string> warnings;               // AdmissionReview response.warnings
  std::map<std::string, std::string> audit_annotations;
  // When denied: a Kubernetes Status, 422 Invalid with the causes.
  int code = 200;
  std::string reason;   // "Invalid"
  std::string message;  // FeatureStore.feast.dev "x" is invalid: ...
  std::string object_name;
  ErrorList causes;
  std::vector<std::string> rules_hit;  // rules that fired (V1..., policy:<name>), for logs and metrics
  ErrorList audited;                   // violations of audit-mode policy rules (log them)
};

class SecretLookup;

// What a decision may consult besides the request. Only the policy is required.
struct DecisionContext {
  const Policy& policy;
  const NamespaceLookup* namespaces = nullptr;  // labels for rule selectors
  const SecretLookup* secrets = nullptr;        // nullptr: Secret rules (V7, V8) not run
};

Decision decide(Webhook webhook, const AdmissionInput& input, const DecisionContext& context);

// The built-in requirements only, no Namespace labels, no Secrets.
inline Decision decide(Webhook webhook, const AdmissionInput& input, const Policy& policy) {
  return decide(webhook, input, DecisionContext{policy});
}

}  // namespace feast
