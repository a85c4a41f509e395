// YAML documents (FeatureStore files for `check`, fixtures) as nlohmann::json, with YAML
// 1.2 core-schema scalars (null, booleans, integers, floats; quoted scalars stay strings).
// Errors come back as text naming the file and line; nothing throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace feast {

struct YamlLoad {
  std::vector<nlohmann::json> documents;  // empty documents are skipped
  std::string error;
  bool ok() const { return error.empty(); }
};

YamlLoad load_yaml_file(const std::string& path);
// `name` stands for the source in error messages.
YamlLoad parse_yaml(const std::string& text, const std::string& name);

// Block-style YAML of a JSON value (strings that would read back as another type are quoted).
std::string to_yaml(const nlohmann::json& value);

}  // namespace feast
