// The structural rules of the validating webhook (SPEC section 4: V1 to V6 and V9, plus
// the JSON types of the fields they read). Pure: the object in, every violation out.
// Secret rules (V7, V8) and the platform policy's requirements live beside this one.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "field_error.h"

namespace feast {

// `version` is the FeatureStore API version ("v1" or "v1alpha1"); `old_object` is the
// stored object on UPDATE (for V5, pvc.create immutability), else nullptr.
ErrorList validate_structure(const nlohmann::json& object, std::string_view version,
                             const nlohmann::json* old_object);

}  // namespace feast
