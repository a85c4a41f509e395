// V10: a policy rule's requirements (SPEC section 6) checked against a FeatureStore.
// The caller decides what a violation does (deny, warn or audit, per the rule's mode).
#pragma once

#include <nlohmann/json.hpp>

#include "field_error.h"
#include "policy.h"

namespace feast {

// Errors carry rule = "policy:<rule name>" so logs, metrics and ratcheting can tell the
// rules apart.
ErrorList check_requirements(const nlohmann::json& object, const PolicyRule& rule);

}  // namespace feast
