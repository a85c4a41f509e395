// Fuzz target: the policy-file loader. No exception crosses load_policy_text (its
// contract); a policy that loads must also resolve for any namespace.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  feast::PolicyLoad load = feast::load_policy_text(text, "fuzz.yaml");
  if (load.ok()) {
    // Globs and selectors the loader accepted are evaluated here.
    const feast::Labels labels = {{"env", "prod"}, {"team", "ml"}};
    (void)load.policy->resolve("team-ml-prod", &labels);
    (void)load.policy->resolve("default", nullptr);
  }
  return 0;
}
