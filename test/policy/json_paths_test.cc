// PathTree and copy_along: an object cut down to some member paths.
#include "json_paths.h"

#include <gtest/gtest.h>

namespace feast {
namespace {

using nlohmann::json;

TEST(CopyAlong, KeepsWholeValuesAtPathEndsAndOnlyPathMembersOnTheWay) {
  const PathTree tree({{"spec", "services", "onlineStore", "persistence"},
                       {"spec", "services", "registry"},
                       {"spec", "replicas"},
                       {"metadata", "name"}});
  const json object = json::parse(R"({
    "apiVersion": "feast.dev/v1",
    "metadata": {"name": "a", "annotations": {"x": "y"}},
    "spec": {"feastProject": "p", "replicas": null,
             "services": {"onlineStore": {"persistence": {"file": {"path": "/d", "extra": [1, 2]}},
                                          "server": {"image": "i"}},
                          "offlineStore": {"persistence": {}},
                          "registry": {"remote": {"hostname": "h"}, "other": 1}}}})");
  EXPECT_EQ(copy_along(object, tree), json::parse(R"({
    "metadata": {"name": "a"},
    "spec": {"replicas": null,
             "services": {"onlineStore": {"persistence": {"file": {"path": "/d", "extra": [1, 2]}}},
                          "registry": {"remote": {"hostname": "h"}, "other": 1}}}})"));
}

TEST(CopyAlong, AValueThatIsNotAnObjectIsCopiedWhole) {
  const PathTree tree({{"spec", "services", "onlineStore"}});
  for (const char* text : {R"({"spec": [1, {"services": 2}]})", R"({"spec": {"services": "s"}})", R"("x")"}) {
    const json value = json::parse(text);
    EXPECT_EQ(copy_along(value, tree), value) << text;
  }
  EXPECT_EQ(copy_along(json::parse(R"({"spec": {}, "other": 1})"), tree), json::parse(R"({"spec": {}})"));
}

TEST(PathTree, APathThatEndsWhereAnotherGoesOnKeepsTheWholeValue) {
  const PathTree tree({{"spec", "services", "registry"}, {"spec"}});
  ASSERT_NE(tree.child("spec"), nullptr);
  EXPECT_TRUE(tree.child("spec")->whole());
  EXPECT_EQ(tree.child("metadata"), nullptr);
  const json object = json::parse(R"({"spec": {"a": 1, "services": {"b": 2}}, "status": {}})");
  EXPECT_EQ(copy_along(object, tree), json::parse(R"({"spec": {"a": 1, "services": {"b": 2}}})"));
  EXPECT_TRUE(PathTree(std::vector<JsonTokens>{JsonTokens{}}).whole());
  EXPECT_EQ(copy_along(object, PathTree()), json::object());
}

}  // namespace
}  // namespace feast
