// decide(): the verdict format of SPEC section 4, UPDATE ratcheting and the exemptions.
#include "decision.h"

#include <gtest/gtest.h>

#include "test_objects.h"

namespace feast {
namespace {

using nlohmann::json;
using testing::create_input;
using testing::feature_store;
using testing::update_input;

json with_online_type(std::string type) {
  return feature_store({{"services", {{"onlineStore", {{"persistence",
      {{"store", {{"type", type}, {"secretRef", {{"name", "s"}}}}}}}}}}}});
}

TEST(Decision, DenialInApiServerFormat) {
  json obj = with_online_type("mysqll");
  obj["spec"]["services"]["offlineStore"] = {{"persistence", {{"file", {{"type", "csv"}}}}}};
  Decision d = decide(Webhook::Validate, create_input(obj), Policy::builtin());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, 422);
  EXPECT_EQ(d.reason, "Invalid");
  EXPECT_EQ(d.object_name, "sample");
  ASSERT_EQ(d.causes.size(), 2u);
  EXPECT_EQ(d.message.rfind("FeatureStore.feast.dev \"sample\" is invalid: [spec.services.onlineStore.persistence.store.type: "
                            "Unsupported value: \"mysqll\": supported values: ", 0), 0u);
  EXPECT_NE(d.message.find(", spec.services.offlineStore.persistence.file.type: Unsupported value: \"csv\""), std::string::npos);
  EXPECT_EQ(d.message.back(), ']');
  EXPECT_EQ(d.rules_hit, (std::vector<std::string>{"V1", "V2"}));
}

TEST(Decision, SingleErrorHasNoBrackets) {
  Decision d = decide(Webhook::Validate, create_input(with_online_type("nope")), Policy::builtin());
  ASSERT_EQ(d.causes.size(), 1u);
  EXPECT_EQ(d.message, "FeatureStore.feast.dev \"sample\" is invalid: " + d.causes[0].text());
}

TEST(Decision, NameFromObjectWhenRequestHasNone) {
  json obj = with_online_type("nope");
  AdmissionInput in = create_input(obj);
  in.name.clear();
  EXPECT_EQ(decide(Webhook::Validate, in, Policy::builtin()).object_name, "sample");
}

TEST(Decision, ValidObjectAllowed) {
  Decision d = decide(Webhook::Validate, create_input(with_online_type("redis")), Policy::builtin());
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.causes.empty());
  EXPECT_TRUE(d.warnings.empty());
}

TEST(Decision, UpdateRatchetsExistingViolations) {
  json old_obj = with_online_type("legacy");
  json now = old_obj;
  now["metadata"]["labels"] = {{"team", "risk"}};
  Decision d = decide(Webhook::Validate, update_input(now, old_obj), Policy::builtin());
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].find("spec.services.onlineStore.persistence.store.type"), std::string::npos);
}

TEST(Decision, UpdateDeniesNewViolations) {
  json old_obj = with_online_type("legacy");
  json now = with_online_type("other");  // same rule and field, new value: a new violation
  Decision d = decide(Webhook::Validate, update_input(now, old_obj), Policy::builtin());
  EXPECT_FALSE(d.allowed);
  ASSERT_EQ(d.causes.size(), 1u);
  EXPECT_EQ(d.causes[0].value, "other");
}

TEST(Decision, UpdateOfDeletedObjectAllowedWithoutChecks) {
  json obj = with_online_type("nope");
  obj["metadata"]["deletionTimestamp"] = "2026-11-25T10:00:00Z";
  json old_obj = with_online_type("redis");
  Decision d = decide(Webhook::Validate, update_input(obj, old_obj), Policy::builtin());
  EXPECT_TRUE(d.allowed);
  // A CREATE is never exempt (only UPDATE of an object being deleted is).
  EXPECT_FALSE(decide(Webhook::Validate, create_input(obj), Policy::builtin()).allowed);
}

TEST(Decision, DeleteConnectAndSubresourcesAllowed) {
  json obj = with_online_type("nope");
  for (std::string op : {"DELETE", "CONNECT"}) {
    AdmissionInput in = create_input(obj);
    in.operation = op;
    EXPECT_TRUE(decide(Webhook::Validate, in, Policy::builtin()).allowed) << op;
  }
  for (std::string sub : {"status", "scale"}) {
    AdmissionInput in = update_input(obj, obj);
    in.sub_resource = sub;
    EXPECT_TRUE(decide(Webhook::Validate, in, Policy::builtin()).allowed) << sub;
  }
}

TEST(Decision, MissingObjectIsABadRequest) {
  AdmissionInput in;
  in.operation = "CREATE";
  in.version = "v1";
  Decision d = decide(Webhook::Validate, in, Policy::builtin());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, 400);
}

TEST(Decision, DryRunGetsTheSameAnswer) {
  json obj = with_online_type("nope");
  AdmissionInput in = create_input(obj);
  Decision normal = decide(Webhook::Validate, in, Policy::builtin());
  in.dry_run = true;
  Decision dry = decide(Webhook::Validate, in, Policy::builtin());
  EXPECT_EQ(normal.message, dry.message);
  EXPECT_EQ(normal.allowed, dry.allowed);
}

}  // namespace
}  // namespace feast
