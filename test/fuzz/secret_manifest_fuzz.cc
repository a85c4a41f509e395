// Fuzz target: Secret manifests (--secrets-dir, `check --secrets`) and the reduction of
// one Secret value to SecretFacts. Bad manifests throw SecretManifestError and nothing else.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "secret_facts.h"
#include "secret_manifests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string text(bytes);  // read_secret_manifests wipes it
  try {
    (void)feast::read_secret_manifests(text, "fuzz");
  } catch (const feast::SecretManifestError&) {
  }
  (void)feast::reduce_secret_value(bytes);
  return 0;
}
