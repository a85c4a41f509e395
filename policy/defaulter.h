// The mutating webhook's defaults (SPEC section 3): fills in missing persistence so every
// FeatureStore says where its data lives. Adds only what is absent, never changes a set
// value, keeps an existing store where it is on UPDATE, and is idempotent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "persistence_defaults.h"

namespace feast {

struct Defaulting {
  nlohmann::json patch = nlohmann::json::array();  // RFC 6902 "add" operations
  std::vector<std::string> fields;                 // dotted paths of what was added
};

// `old_object` is the stored object on UPDATE (nullptr on CREATE). An object whose
// fields have the wrong JSON types gets no defaults: validation reports them.
Defaulting default_persistence(const nlohmann::json& object, const nlohmann::json* old_object,
                               std::string_view ns, const PersistenceDefaults& defaults);

}  // namespace feast
