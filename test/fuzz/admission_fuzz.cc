// Fuzz target: the webhook's data path, bytes -> AdmissionReview -> decision -> response
// bytes, for both webhooks with the built-in policy. The decisions must be those of the
// whole objects; the mutating patch must apply to the object it was computed for, and the
// patched object is validated as the API server would.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admission_review.h"
#include "policy.h"

namespace {

// json::patch copies the document recursively: the harness itself only replays the patch
// on documents shallow enough for that (the product's own depth handling is fuzzed above).
constexpr std::size_t kHarnessMaxDepth = 512;

std::size_t depth_of(const nlohmann::json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&root, 1}};
  while (!todo.empty()) {
    auto [node, depth] = todo.back();
    todo.pop_back();
    deepest = std::max(deepest, depth);
    if (node->is_structured()) {
      for (const nlohmann::json& child : *node) todo.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

const feast::Policy& policy() {
  static const feast::Policy builtin = feast::Policy::builtin();
  return builtin;
}

bool same(const feast::Decision& a, const feast::Decision& b) {
  auto texts = [](const feast::ErrorList& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) out.push_back(e.text());
    return out;
  };
  return a.allowed == b.allowed && a.patch == b.patch && a.warnings == b.warnings &&
         a.message == b.message && texts(a.causes) == texts(b.causes) && a.rules_hit == b.rules_hit;
}

// On the fast path the rules decide on objects cut down to what they read
// (feast::read_paths()); the whole objects, as nlohmann parses the body, must get the same
// decisions.
void check_same_as_whole(std::string_view body, const feast::AdmissionInput& input,
                         const feast::Decision& mutate, const feast::Decision& validate) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("request") || !doc["request"].is_object()) return;
  const nlohmann::json& request = doc["request"];
  auto object_at = [&](const char* key) -> const nlohmann::json* {
    auto it = request.find(key);
    return it == request.end() || !it->is_object() ? nullptr : &*it;
  };
  feast::AdmissionInput whole = input;
  whole.object = object_at("object");
  whole.old_object = object_at("oldObject");
  if ((whole.object == nullptr) != (input.object == nullptr)) __builtin_trap();
  if (!same(feast::decide(feast::Webhook::Mutate, whole, policy()), mutate) ||
      !same(feast::decide(feast::Webhook::Validate, whole, policy()), validate)) {
    __builtin_trap();
  }
}

// The answer is written as text (server/json_text.h): it must be valid JSON and exactly
// nlohmann's compact dump of itself, whatever strings the request carried.
void encode_checked(const feast::AdmissionReviewRequest& review, const feast::Decision& decision) {
  const std::string text = feast::encode_admission_response(review, decision);
  const auto parsed = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || parsed.dump() != text) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  feast::DecodeResult decoded = feast::decode_admission_review(body);
  if (!decoded.review) return 0;
  const feast::AdmissionReviewRequest& review = *decoded.review;

  const feast::Decision mutate = feast::decide(feast::Webhook::Mutate, review.input, policy());
  encode_checked(review, mutate);
  const feast::Decision validate = feast::decide(feast::Webhook::Validate, review.input, policy());
  encode_checked(review, validate);
  check_same_as_whole(body, review.input, mutate, validate);

  if (review.input.object != nullptr && mutate.patch.is_array() && !mutate.patch.empty() &&
      depth_of(*review.input.object) <= kHarnessMaxDepth) {
    const nlohmann::json patched = review.input.object->patch(mutate.patch);  // must not throw
    feast::AdmissionInput next = review.input;
    next.object = &patched;
    encode_checked(review, feast::decide(feast::Webhook::Validate, next, policy()));
  }
  return 0;
}
