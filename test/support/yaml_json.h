// Test support: YAML documents (fixtures, manifests) as nlohmann::json, with YAML 1.2
// core-schema scalars (null, booleans, integers, floats; quoted scalars stay strings).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace feast::testing {

std::vector<nlohmann::json> load_yaml_documents(const std::string& path);
nlohmann::json yaml_to_json(const std::string& text);

}  // namespace feast::testing
