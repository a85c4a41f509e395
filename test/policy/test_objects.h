// Small FeatureStores for the policy tests, written as JSON so each test shows exactly
// the fields it is about.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "decision.h"

namespace feast::testing {

inline nlohmann::json feature_store(nlohmann::json spec, std::string api_version = "feast.dev/v1") {
  return {{"apiVersion", api_version},
          {"kind", "FeatureStore"},
          {"metadata", {{"name", "sample"}, {"namespace", "feast"}}},
          {"spec", std::move(spec)}};
}

inline AdmissionInput create_input(const nlohmann::json& object, std::string version = "v1") {
  AdmissionInput in;
  in.operation = "CREATE";
  in.group = "feast.dev";
  in.version = std::move(version);
  in.kind = "FeatureStore";
  in.namespace_name = "feast";
  in.name = "sample";
  in.object = &object;
  return in;
}

inline AdmissionInput update_input(const nlohmann::json& object, const nlohmann::json& old_object,
                                   std::string version = "v1") {
  AdmissionInput in = create_input(object, std::move(version));
  in.operation = "UPDATE";
  in.old_object = &old_object;
  return in;
}

// The object after the mutating webhook's patch, applied by nlohmann's own RFC 6902
// implementation (independent of the code that built the patch).
inline nlohmann::json mutated(const AdmissionInput& in, const Policy& policy = Policy::builtin()) {
  Decision d = decide(Webhook::Mutate, in, policy);
  return d.patch.empty() ? *in.object : in.object->patch(d.patch);
}

}  // namespace feast::testing
