// The policy file: strict schema errors that name file, line and key; the shipped
// policies load; policy/default.yaml is the built-in policy.
#include "policy_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_objects.h"
#include "yaml_json.h"

namespace feast {
namespace {

using nlohmann::json;

const std::string kHeader = "apiVersion: feast-admission.dev/v1\nkind: PersistencePolicy\n";

std::string error_of(const std::string& text) {
  PolicyLoad load = load_policy_text(text, "p.yaml");
  EXPECT_FALSE(load.ok()) << text;
  return load.error;
}

TEST(PolicyFile, MinimalFileIsTheBuiltinDefaults) {
  PolicyLoad load = load_policy_text(kHeader, "p.yaml");
  ASSERT_TRUE(load.ok()) << load.error;
  EXPECT_EQ(load.policy->defaults().online.ephemeral_path, "/feast-data/online_store.db");
  EXPECT_TRUE(load.policy->rules().empty());
}

TEST(PolicyFile, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(error_of(kHeader + "defaults:\n  onlineStore:\n    sise: 1Gi\n"),
            "p.yaml:5:5: defaults.onlineStore.sise: unknown key (known keys: accessModes, mountPath, path, "
            "pvcPath, storage, storageClassName)");
}

TEST(PolicyFile, WrongTypes) {
  EXPECT_EQ(error_of(kHeader + "rules: {}\n"), "p.yaml:3:8: rules: must be a list");
  EXPECT_EQ(error_of(kHeader + "defaults:\n  onlineStore:\n    accessModes: ReadWriteOnce\n"),
            "p.yaml:5:18: defaults.onlineStore.accessModes: must be a list of strings");
  EXPECT_NE(error_of(kHeader + "defaults:\n  mode: always\n").find("defaults.mode: \"always\" is not one of \"ephemeral\", \"pvc\""),
            std::string::npos);
}

TEST(PolicyFile, BadQuantity) {
  std::string e = error_of(kHeader + "rules:\n  - name: r\n    require:\n      pvcSize:\n        max: 10GB\n");
  EXPECT_EQ(e, "p.yaml:7:14: rules[0].require.pvcSize.max: \"10GB\" is not a Kubernetes quantity (like 1Gi, 500M)");
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    require:\n      pvcSize: {min: 10Gi, max: 1Gi}\n").find("min is larger than max"),
            std::string::npos);
}

TEST(PolicyFile, BadGlobAndSelector) {
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    namespaces: [\"prod-[\"]\n").find("p.yaml:5:18: rules[0].namespaces[0]"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    namespaces: [\"Prod\"]\n").find("not a valid namespace glob"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    namespaceSelector:\n      matchExpressions:\n"
                               "        - {key: env, operator: In}\n").find("rules[0].namespaceSelector.matchExpressions[0].values: must be non-empty for In"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    namespaceSelector:\n      matchExpressions:\n"
                               "        - {key: env, operator: Near, values: [a]}\n").find("\"Near\" is not one of"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    namespaceSelector:\n      matchLabels: {\"bad key!\": x}\n").find("is not a valid label key"),
            std::string::npos);
}

TEST(PolicyFile, UnknownStoreTypeInAllowlist) {
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: r\n    require:\n      storeTypes:\n        onlineStore: [redis, mysqll]\n")
                .find("rules[0].require.storeTypes.onlineStore[1]: \"mysqll\" is not one of"),
            std::string::npos);
}

TEST(PolicyFile, RuleNamesRequiredAndUnique) {
  EXPECT_NE(error_of(kHeader + "rules:\n  - namespaces: [a]\n").find("rules[0].name: is required"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "rules:\n  - name: a\n  - name: a\n").find("duplicate rule name"), std::string::npos);
}

TEST(PolicyFile, VersionedAndNotYamlErrors) {
  EXPECT_NE(error_of("apiVersion: v9\nkind: PersistencePolicy\n").find("apiVersion: \"v9\" is not one of"), std::string::npos);
  EXPECT_NE(error_of("kind: PersistencePolicy\n").find("apiVersion: is required"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "defaults: [unclosed\n").find("p.yaml:"), std::string::npos);
  EXPECT_NE(error_of("").find("the file is empty"), std::string::npos);
  EXPECT_NE(load_policy_file("/nonexistent/policy.yaml").error.find("cannot read"), std::string::npos);
}

TEST(PolicyFile, ShippedPoliciesLoad) {
  for (const char* name : {"default.yaml", "production.yaml", "dev.yaml"}) {
    PolicyLoad load = load_policy_file(std::string(FEAST_POLICY_DIR) + "/" + name);
    EXPECT_TRUE(load.ok()) << name << ": " << load.error;
  }
}

// policy/default.yaml decides exactly as the built-in policy on every fixture, in both
// webhooks, in any namespace.
TEST(PolicyFile, DefaultYamlEqualsBuiltin) {
  PolicyLoad load = load_policy_file(std::string(FEAST_POLICY_DIR) + "/default.yaml");
  ASSERT_TRUE(load.ok()) << load.error;
  const Policy builtin = Policy::builtin();
  int compared = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FEAST_FIXTURES_DIR))) {
    if (e.path().extension() != ".yaml") continue;
    for (const json& obj : load_yaml_file(e.path().string()).documents) {
      for (const char* ns : {"feast", "prod-eu", "default"}) {
        AdmissionInput in = testing::create_input(obj);
        in.namespace_name = ns;
        for (Webhook w : {Webhook::Mutate, Webhook::Validate}) {
          Decision a = decide(w, in, builtin);
          Decision b = decide(w, in, *load.policy);
          EXPECT_EQ(a.patch, b.patch) << e.path();
          EXPECT_EQ(a.allowed, b.allowed) << e.path();
          EXPECT_EQ(a.message, b.message) << e.path();
          EXPECT_EQ(a.warnings, b.warnings) << e.path();
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 50);
  EXPECT_EQ(load.policy->secret_settings().deny_unresolved_vars, builtin.secret_settings().deny_unresolved_vars);
  EXPECT_EQ(load.policy->secret_settings().allow_when_unchecked, builtin.secret_settings().allow_when_unchecked);
}

}  // namespace
}  // namespace feast
