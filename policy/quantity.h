// Kubernetes resource quantities ("1Gi", "500M", "1.5Ti", "1e9"), as
// k8s.io/apimachinery/pkg/api/resource parses them.
#pragma once

#include <optional>
#include <string_view>

namespace feast {

// The value in base units (bytes for storage), or nullopt when the text is not a
// quantity. Values beyond long double range are not quantities either.
std::optional<long double> parse_quantity(std::string_view text);

}  // namespace feast
