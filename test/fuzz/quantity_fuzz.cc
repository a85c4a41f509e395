// Fuzz target: Kubernetes quantities ("1Gi", "1.5e3"), as policy files and PVC sizes
// carry them. Any text either is a finite quantity or is not one.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto value = feast::parse_quantity(text); value && !std::isfinite(*value)) std::abort();
  return 0;
}
