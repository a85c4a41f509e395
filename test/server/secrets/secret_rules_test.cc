// Rules V7 and V8 (SPEC section 4), one test per case, with the smallest FeatureStore
// that shows it.
#include "secret_rules.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "log_capture.h"

namespace feast {
namespace {

using nlohmann::json;
using testing::kPassword;

const std::string kStore = "spec.services.onlineStore.persistence.store";

class SecretRules : public ::testing::Test {
 protected:
  SecretRules() { index.mark_synced(); }

  void put(const std::string& ns, const std::string& name,
           std::map<std::string, std::string> values) {
    index.upsert(ns, name, std::make_shared<const SecretFacts>(reduce_secret(values)));
  }

  // A FeatureStore whose online store is `store`; `services` merged in.
  static json online(json store, json services = json::object()) {
    json fs = {{"apiVersion", "feast.dev/v1"},
               {"kind", "FeatureStore"},
               {"metadata", {{"name", "sample"}, {"namespace", "feast"}}},
               {"spec", {{"feastProject", "p"}, {"services", std::move(services)}}}};
    fs["spec"]["services"]["onlineStore"]["persistence"]["store"] = std::move(store);
    return fs;
  }
  static json redis(json extra = json::object()) {
    json s = {{"type", "redis"}, {"secretRef", {{"name", "db"}}}};
    s.update(extra);
    return s;
  }

  SecretCheck check(const json& fs, SecretRuleSettings settings = {}) {
    SecretCheck c = check_secrets(fs, "feast", "v1", index, settings);
    for (const auto& e : c.error_list()) {
      EXPECT_EQ(e.text().find(kPassword), std::string::npos) << e.text();
    }
    for (const auto& e : c.warning_list()) {
      EXPECT_EQ(e.text().find(kPassword), std::string::npos) << e.text();
    }
    EXPECT_EQ(c.unchecked_message.find(kPassword), std::string::npos);
    return c;
  }

  SecretIndex index;
};

std::string pw() { return kPassword; }

TEST_F(SecretRules, V7SecretMissing) {
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  const FieldError& e = c.errors[0].error;
  EXPECT_EQ(e.rule, "V7");
  EXPECT_EQ(e.reason, FieldReason::NotFound);
  EXPECT_EQ(e.field, kStore + ".secretRef.name");
  EXPECT_EQ(e.text(), kStore + ".secretRef.name: Not found: \"db\": Secret \"db\" not found in "
                               "namespace \"feast\"");
}

TEST_F(SecretRules, V7SecretInAnotherNamespaceDoesNotCount) {
  put("other", "db", {{"redis", "connection_string: x"}});
  EXPECT_EQ(check(online(redis())).errors.size(), 1u);
}

TEST_F(SecretRules, V7KeyMissingNamesTheKeysTheSecretHas) {
  put("feast", "db", {{"sql", "path: " + pw()}, {"password", pw()}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  const FieldError& e = c.errors[0].error;
  EXPECT_EQ(e.reason, FieldReason::Invalid);
  EXPECT_EQ(e.field, kStore + ".secretRef.name");
  EXPECT_EQ(e.value, "db");
  EXPECT_EQ(e.text(), kStore + ".secretRef.name: Invalid value: \"db\": Secret \"db\" has no key "
                               "\"redis\" (the store type); it has keys \"password\", \"sql\"");
}

TEST_F(SecretRules, V7SecretKeyNameOverridesTheType) {
  put("feast", "db", {{"online", "connection_string: redis:6379"}});
  EXPECT_TRUE(check(online(redis({{"secretKeyName", "online"}}))).errors.empty());

  SecretCheck c = check(online(redis({{"secretKeyName", "missing"}})));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].error.field, kStore + ".secretKeyName");
  EXPECT_EQ(c.errors[0].error.value, "missing");
  EXPECT_NE(c.errors[0].error.detail.find("it has keys \"online\""), std::string::npos);
}

TEST_F(SecretRules, V7SecretWithoutKeys) {
  put("feast", "db", {});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].error.detail.find("it has no keys"), std::string::npos);
}

TEST_F(SecretRules, V7YamlListIsNotAMapping) {
  put("feast", "db", {{"redis", "- " + pw() + "\n- b\n"}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].error.field, kStore + ".secretRef.name");
  EXPECT_NE(c.errors[0].error.detail.find("it is a YAML list"), std::string::npos)
      << c.errors[0].error.detail;
}

TEST_F(SecretRules, V7ScalarIsNotAMapping) {
  put("feast", "db", {{"redis", pw()}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].error.detail.find("it is a scalar"), std::string::npos);
}

TEST_F(SecretRules, V7BrokenYaml) {
  put("feast", "db", {{"redis", "connection_string: " + pw() + ": x\nhost: [\n"}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].error.detail.find("not valid YAML"), std::string::npos)
      << c.errors[0].error.detail;
}

TEST_F(SecretRules, V7EmptyNullAndCommentOnlyValuesAreEmptyMappings) {
  for (std::string v : {"", "null", "~", "# only a comment\n", "\n\n", "---\n"}) {
    put("feast", "db", {{"redis", v}});
    EXPECT_TRUE(check(online(redis())).errors.empty()) << "value: " << v;
  }
}

TEST_F(SecretRules, V7MatchingType) {
  put("feast", "db", {{"redis", "type: redis\nconnection_string: " + pw()}});
  EXPECT_TRUE(check(online(redis())).errors.empty());
}

TEST_F(SecretRules, V7MismatchingTypeNeverQuotesTheSecretsValue) {
  put("feast", "db", {{"redis", "type: " + pw() + "\nconnection_string: x"}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  const FieldError& e = c.errors[0].error;
  EXPECT_EQ(e.field, kStore + ".type");
  EXPECT_EQ(e.value, "redis");
  EXPECT_EQ(e.text(), kStore + ".type: Invalid value: \"redis\": the type field in key \"redis\" "
                               "of Secret \"db\" does not match the store type");
}

TEST_F(SecretRules, V7TypeThatIsNotAString) {
  put("feast", "db", {{"redis", "type: 42\n"}});
  SecretCheck c = check(online(redis()));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].error.detail.find("is not a string"), std::string::npos);
}

TEST_F(SecretRules, V7RegistryType) {
  json fs = online(redis());
  fs["spec"]["services"].erase("onlineStore");
  fs["spec"]["services"]["registry"]["local"]["persistence"]["store"] = {
      {"type", "sql"}, {"secretRef", {{"name", "db"}}}};
  put("feast", "db", {{"sql", "registry_type: sql\npath: postgresql://x"}});
  EXPECT_TRUE(check(fs).errors.empty());

  put("feast", "db", {{"sql", "registry_type: snowflake.registry\npath: x"}});
  SecretCheck c = check(fs);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].error.field, "spec.services.registry.local.persistence.store.type");
  EXPECT_NE(c.errors[0].error.detail.find("registry_type field"), std::string::npos);
  EXPECT_EQ(c.errors[0].error.detail.find("snowflake"), std::string::npos);
}

TEST_F(SecretRules, V7ChecksEveryPresentComponentAtOnce) {
  json fs = online(redis());
  fs["spec"]["services"]["offlineStore"]["persistence"]["store"] = {
      {"type", "postgres"}, {"secretRef", {{"name", "off"}}}};
  fs["spec"]["services"]["registry"]["local"]["persistence"]["store"] = {
      {"type", "sql"}, {"secretRef", {{"name", "reg"}}}};
  SecretCheck c = check(fs);
  ASSERT_EQ(c.errors.size(), 3u);
  EXPECT_EQ(c.errors[1].error.field, "spec.services.offlineStore.persistence.store.secretRef.name");
  EXPECT_EQ(c.errors[2].error.field,
            "spec.services.registry.local.persistence.store.secretRef.name");
}

TEST_F(SecretRules, V7SkipsDisabledOnlineStoreAndStructurallyBrokenStores) {
  json fs = online(redis());
  fs["spec"]["services"]["onlineStore"]["disabled"] = true;
  EXPECT_TRUE(check(fs).errors.empty());
  EXPECT_TRUE(check(online({{"type", "redis"}})).errors.empty());               // V3
  EXPECT_TRUE(check(online({{"type", ""}, {"secretRef", {{"name", "db"}}}})).errors.empty());
  EXPECT_TRUE(check(online({{"type", "mysqll"}, {"secretRef", {{"name", "db"}}}})).errors.empty());
  EXPECT_TRUE(check(online({{"type", 5}, {"secretRef", "db"}})).errors.empty());
  EXPECT_TRUE(check(json::array()).errors.empty());
}

// --- V8 ---

json with_env(json env) {
  return {{"onlineStore", {{"server", {{"env", std::move(env)}}}}}};
}

TEST_F(SecretRules, V8VariableProvidedByEnv) {
  put("feast", "db", {{"redis", "connection_string: redis:6379,password=${REDIS_PASSWORD}"}});
  json fs = online(redis(), with_env({{{"name", "REDIS_PASSWORD"},
                                       {"valueFrom", {{"secretKeyRef", {{"name", "pw"}}}}}}}));
  SecretCheck c = check(fs);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(SecretRules, V8UnresolvedVariableWarnsByDefault) {
  put("feast", "db", {{"redis", "# ${IN_A_COMMENT}\nconnection_string: ${REDIS_PASSWORD}"}});
  SecretCheck c = check(online(redis()));
  EXPECT_TRUE(c.errors.empty());
  ASSERT_EQ(c.warnings.size(), 1u);
  const FieldError& w = c.warnings[0].error;
  EXPECT_EQ(w.rule, "V8");
  EXPECT_EQ(w.field, kStore);
  EXPECT_EQ(w.value, "REDIS_PASSWORD");
  EXPECT_EQ(w.text(), kStore + ": Not found: \"REDIS_PASSWORD\": ${REDIS_PASSWORD} in key "
                               "\"redis\" of Secret \"db\" (online store) is not set by the env "
                               "or envFrom of any server container of this FeatureStore");
}

TEST_F(SecretRules, V8UnresolvedVariableDeniesWhenThePolicySays) {
  put("feast", "db", {{"redis", "connection_string: ${REDIS_PASSWORD}"}});
  SecretCheck c = check(online(redis()), {.deny_unresolved_vars = true});
  EXPECT_TRUE(c.warnings.empty());
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].error.rule, "V8");
}

TEST_F(SecretRules, V8VariableFromEnvFromSecretRef) {
  put("feast", "db", {{"redis", "connection_string: ${REDIS_PASSWORD}"}});
  put("feast", "creds", {{"REDIS_PASSWORD", pw()}});
  json services = {{"offlineStore", {{"server", {{"envFrom", {{{"secretRef", {{"name", "creds"}}}}}}}}}}};
  SecretCheck c = check(online(redis(), services));
  EXPECT_TRUE(c.warnings.empty());

  // The Secret lacks the key: nothing provided.
  put("feast", "creds", {{"OTHER", pw()}});
  EXPECT_EQ(check(online(redis(), services)).warnings.size(), 1u);
}

TEST_F(SecretRules, V8VariableFromEnvFromSecretRefWithPrefix) {
  put("feast", "db", {{"redis", "connection_string: ${DB_PASSWORD}"}});
  put("feast", "creds", {{"PASSWORD", pw()}});
  json services = {
      {"registry",
       {{"local",
         {{"server",
           {{"envFrom", {{{"prefix", "DB_"}, {"secretRef", {{"name", "creds"}}}}}}}}}}}}};
  EXPECT_TRUE(check(online(redis(), services)).warnings.empty());

  services["registry"]["local"]["server"]["envFrom"][0]["prefix"] = "X_";
  EXPECT_EQ(check(online(redis(), services)).warnings.size(), 1u);
}

TEST_F(SecretRules, V8OptionalMissingSecretProvidesNothing) {
  put("feast", "db", {{"redis", "connection_string: ${PASSWORD}"}});
  json services = {
      {"ui", {{"envFrom", {{{"secretRef", {{"name", "gone"}, {"optional", true}}}}}}}}};
  EXPECT_EQ(check(online(redis(), services)).warnings.size(), 1u);
}

TEST_F(SecretRules, V8VariableFromConfigMapRefIsTrustedWithItsPrefix) {
  put("feast", "db", {{"redis", "connection_string: ${CFG_HOST}:${OTHER}"}});
  json services = {{"ui", {{"envFrom", {{{"prefix", "CFG_"}, {"configMapRef", {{"name", "cm"}}}}}}}}};
  SecretCheck c = check(online(redis(), services));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].error.value, "OTHER");

  services["ui"]["envFrom"][0].erase("prefix");
  EXPECT_TRUE(check(online(redis(), services)).warnings.empty());
}

TEST_F(SecretRules, V8DisabledOnlineStoreHasNoContainer) {
  json fs = online(redis(), with_env({{{"name", "PW"}}}));
  fs["spec"]["services"]["onlineStore"]["disabled"] = true;
  fs["spec"]["services"]["offlineStore"]["persistence"]["store"] = {
      {"type", "postgres"}, {"secretRef", {{"name", "db"}}}};
  put("feast", "db", {{"postgres", "password: ${PW}"}});
  SecretCheck c = check(fs);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].error.detail.find("(offline store)"), std::string::npos);
}

TEST_F(SecretRules, V8OnlyForStoresThatPassedV7) {
  put("feast", "db", {{"redis", "type: postgres\nconnection_string: ${PW}"}});
  SecretCheck c = check(online(redis()));
  EXPECT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(SecretRules, V8NestedScalarsAndListsAreScanned) {
  put("feast", "db", {{"redis", "a:\n  b: [x, \"${ONE}\"]\n  c:\n    - d: pre-${TWO}-post\n"}});
  SecretCheck c = check(online(redis(), with_env({{{"name", "ONE"}}})));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].error.value, "TWO");
}

// --- Fail closed ---

TEST_F(SecretRules, UncheckedWhenTheCacheHasNotSynced) {
  SecretIndex cold;
  SecretCheck c = check_secrets(online(redis()), "feast", "v1", cold, {});
  EXPECT_TRUE(c.unchecked);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_NE(c.unchecked_message.find("cannot be checked"), std::string::npos);
  EXPECT_NE(c.unchecked_message.find(kStore), std::string::npos);

  // Nothing to check: nothing unchecked.
  json fs = online(redis());
  fs["spec"]["services"].erase("onlineStore");
  EXPECT_FALSE(check_secrets(fs, "feast", "v1", cold, {}).unchecked);
}

// --- Ratcheting ---

TEST_F(SecretRules, RatchetKeepsOldViolationsOfTheSameStoreBlockOnly) {
  SecretCheck before = check(online(redis()));
  SecretCheck now = check(online(redis()));
  ratchet(now, before);
  EXPECT_TRUE(now.errors.empty());
  EXPECT_EQ(now.ratcheted.size(), 1u);
  EXPECT_EQ(now.warning_list().size(), 1u);

  // Another store block (the key changed) is a new violation.
  SecretCheck changed = check(online(redis({{"secretKeyName", "k"}})));
  ratchet(changed, before);
  EXPECT_EQ(changed.errors.size(), 1u);
}

}  // namespace
}  // namespace feast

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new feast::testing::NoLeakEnvironment);
  return RUN_ALL_TESTS();
}
