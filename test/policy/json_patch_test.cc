#include "json_patch.h"

#include <gtest/gtest.h>

namespace feast {
namespace {

TEST(JsonPatch, PointerEscaping) {
  EXPECT_EQ(json_pointer({"spec", "a/b", "c~d"}), "/spec/a~1b/c~0d");
  EXPECT_EQ(json_pointer({}), "");
}

TEST(JsonPatch, EscapedPathsApplyWithAnIndependentImplementation) {
  JsonPatch patch;
  patch.add({"metadata", "labels", "example.com/tier~x"}, "gold");
  nlohmann::json doc = {{"metadata", {{"labels", nlohmann::json::object()}}}};
  nlohmann::json out = doc.patch(patch.ops());
  EXPECT_EQ(out["metadata"]["labels"]["example.com/tier~x"], "gold");
  EXPECT_EQ(patch.ops()[0]["op"], "add");
}

}  // namespace
}  // namespace feast
