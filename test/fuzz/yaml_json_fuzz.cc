// Fuzz target: YAML documents to nlohmann::json (FeatureStore files for `check`). Errors
// come back as text; nothing throws. What converts must also convert back to YAML.
#include <cstddef>
#include <cstdint>
#include <string>

#include "yaml_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  feast::YamlLoad load = feast::parse_yaml(text, "fuzz.yaml");
  for (const nlohmann::json& document : load.documents) (void)feast::to_yaml(document);
  return 0;
}
