// Namespace rules (SPEC section 6): matching by glob and labels, how matching rules
// combine, each requirement, and the deny / warn / audit modes.
#include <gtest/gtest.h>

#include "label_selector.h"
#include "policy_file.h"
#include "test_objects.h"

namespace feast {
namespace {

using nlohmann::json;
using testing::create_input;
using testing::feature_store;
using testing::mutated;
using testing::update_input;

class FixedNamespaces : public NamespaceLookup {
 public:
  std::map<std::string, Labels> known;
  std::optional<Labels> labels(std::string_view ns) const override {
    auto it = known.find(std::string(ns));
    if (it == known.end()) return std::nullopt;
    return it->second;
  }
};

Policy load(const std::string& body) {
  PolicyLoad l = load_policy_text("apiVersion: feast-admission.dev/v1\nkind: PersistencePolicy\n" + body, "test.yaml");
  EXPECT_TRUE(l.ok()) << l.error;
  return l.ok() ? *l.policy : Policy::builtin();
}

AdmissionInput in_namespace(const json& obj, const std::string& ns) {
  AdmissionInput in = create_input(obj);
  in.namespace_name = ns;
  return in;
}

json online_store(std::string type) {
  return feature_store({{"services", {{"onlineStore", {{"persistence", {{"store", {{"type", type}, {"secretRef", {{"name", "s"}}}}}}}}}}}});
}

json online_claim(std::string size, std::optional<std::string> cls = std::nullopt) {
  json create = {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", size}}}}}};
  if (cls) create["storageClassName"] = *cls;
  return feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "db"}, {"pvc", {{"create", create}, {"mountPath", "/d"}}}}}}}}}}}});
}

TEST(LabelSelector, Operators) {
  LabelSelector s;
  s.match_labels = {{"env", "prod"}};
  s.match_expressions = {{"tier", LabelRequirement::Op::In, {"gold", "silver"}},
                         {"legacy", LabelRequirement::Op::DoesNotExist, {}}};
  EXPECT_TRUE(s.matches({{"env", "prod"}, {"tier", "gold"}}));
  EXPECT_FALSE(s.matches({{"env", "prod"}, {"tier", "bronze"}}));
  EXPECT_FALSE(s.matches({{"env", "prod"}, {"tier", "gold"}, {"legacy", ""}}));
  EXPECT_FALSE(s.matches({{"env", "dev"}, {"tier", "gold"}}));
  LabelSelector n;
  n.match_expressions = {{"env", LabelRequirement::Op::NotIn, {"prod"}}, {"team", LabelRequirement::Op::Exists, {}}};
  EXPECT_TRUE(n.matches({{"team", "a"}}));
  EXPECT_FALSE(n.matches({{"team", "a"}, {"env", "prod"}}));
  EXPECT_FALSE(n.matches({}));
}

TEST(LabelSelector, Globs) {
  EXPECT_TRUE(glob_matches("prod-*", "prod-eu"));
  EXPECT_FALSE(glob_matches("prod-*", "preprod-eu"));
  EXPECT_TRUE(glob_matches("team-?", "team-a"));
  EXPECT_TRUE(glob_matches("ns-[ab]", "ns-b"));
  EXPECT_FALSE(valid_glob("ns-[ab"));
  EXPECT_FALSE(valid_glob(""));
}

const char* kTwoRules = R"(
rules:
  - name: by-name
    namespaces: ["prod-*"]
    require:
      storeTypes: {onlineStore: [redis]}
  - name: by-label
    namespaceSelector:
      matchLabels: {environment: production}
    require:
      storeTypes: {onlineStore: [postgres, redis]}
)";

TEST(PolicyRules, MatchByGlobAndByLabels) {
  Policy p = load(kTwoRules);
  FixedNamespaces ns;
  ns.known["payments"] = {{"environment", "production"}};
  ns.known["sandbox"] = {{"environment", "dev"}};
  json obj = online_store("postgres");
  DecisionContext ctx{p, &ns};
  EXPECT_FALSE(decide(Webhook::Validate, in_namespace(obj, "prod-eu"), ctx).allowed);  // by-name: redis only
  EXPECT_TRUE(decide(Webhook::Validate, in_namespace(obj, "payments"), ctx).allowed);  // by-label allows postgres
  EXPECT_TRUE(decide(Webhook::Validate, in_namespace(obj, "sandbox"), ctx).allowed);   // no rule
  EXPECT_TRUE(decide(Webhook::Validate, in_namespace(obj, "unknown"), ctx).allowed);   // unknown labels
}

TEST(PolicyRules, AllMatchingRulesRequirementsApply) {
  Policy p = load(kTwoRules);
  FixedNamespaces ns;
  ns.known["prod-eu"] = {{"environment", "production"}};
  Decision d = decide(Webhook::Validate, in_namespace(online_store("cassandra"), "prod-eu"), DecisionContext{p, &ns});
  ASSERT_FALSE(d.allowed);
  ASSERT_EQ(d.causes.size(), 2u);
  EXPECT_EQ(d.causes[0].rule, "policy:by-name");
  EXPECT_EQ(d.causes[1].rule, "policy:by-label");
  EXPECT_EQ(d.causes[0].text(), "spec.services.onlineStore.persistence.store.type: Unsupported value: \"cassandra\": supported values: \"redis\"");
}

TEST(PolicyRules, FirstMatchingRuleWinsForDefaults) {
  Policy p = load(R"(
defaults: {onlineStore: {storage: 2Gi}}
rules:
  - name: first
    namespaces: ["team-*"]
    defaults: {mode: pvc, onlineStore: {storage: 5Gi}}
  - name: second
    namespaces: ["*"]
    defaults: {mode: pvc, onlineStore: {storage: 9Gi, storageClassName: slow}}
)");
  json obj = feature_store({{"feastProject", "p"}});
  json team = mutated(in_namespace(obj, "team-a"), p);
  json create = team.at(json::json_pointer("/spec/services/onlineStore/persistence/file/pvc/create"));
  EXPECT_EQ(create["resources"]["requests"]["storage"], "5Gi");   // first rule wins
  EXPECT_EQ(create["storageClassName"], "slow");                  // only the second sets it
  json other = mutated(in_namespace(obj, "other"), p);
  EXPECT_EQ(other.at(json::json_pointer("/spec/services/onlineStore/persistence/file/pvc/create/resources/requests/storage")), "9Gi");
  p = load("defaults: {onlineStore: {storage: 2Gi}, mode: pvc}\n");
  EXPECT_EQ(mutated(in_namespace(obj, "x"), p).at(json::json_pointer("/spec/services/onlineStore/persistence/file/pvc/create/resources/requests/storage")), "2Gi");
}

TEST(PolicyRules, ForbidEphemeral) {
  Policy p = load("rules:\n  - name: no-emptydir\n    require: {forbidEphemeral: [onlineStore, registry]}\n");
  json ephemeral = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "/feast-data/o.db"}}}}}}}}}});
  Decision d = decide(Webhook::Validate, create_input(ephemeral), p);
  ASSERT_EQ(d.causes.size(), 1u);
  EXPECT_EQ(d.causes[0].field, "spec.services.onlineStore.persistence.file");
  EXPECT_EQ(d.causes[0].reason, FieldReason::Forbidden);
  json s3 = feature_store(json::parse(R"({"services": {
      "onlineStore": {"persistence": {"store": {"type": "redis", "secretRef": {"name": "s"}}}},
      "registry": {"local": {"persistence": {"file": {"path": "s3://b/r.db"}}}}}})"));
  EXPECT_TRUE(decide(Webhook::Validate, create_input(s3), p).allowed);
  EXPECT_TRUE(decide(Webhook::Validate, create_input(online_claim("1Gi")), p).allowed);
}

TEST(PolicyRules, RequireStore) {
  Policy p = load("rules:\n  - name: db-only\n    require: {requireStore: [onlineStore]}\n");
  Decision d = decide(Webhook::Validate, create_input(online_claim("1Gi")), p);
  ASSERT_EQ(d.causes.size(), 1u);
  EXPECT_EQ(d.causes[0].field, "spec.services.onlineStore.persistence.store");
  EXPECT_TRUE(decide(Webhook::Validate, create_input(online_store("redis")), p).allowed);
}

TEST(PolicyRules, OfflineFileTypes) {
  Policy p = load("rules:\n  - name: r\n    require: {offlineFileTypes: [duckdb]}\n");
  json dask = feature_store({{"services", {{"offlineStore", {{"persistence", {{"file", {{"type", "dask"}}}}}}}}}});
  EXPECT_FALSE(decide(Webhook::Validate, create_input(dask), p).allowed);
  dask["spec"]["services"]["offlineStore"]["persistence"]["file"]["type"] = "duckdb";
  EXPECT_TRUE(decide(Webhook::Validate, create_input(dask), p).allowed);
}

TEST(PolicyRules, PvcSizeBounds) {
  Policy p = load("rules:\n  - name: sized\n    require: {pvcSize: {min: 1Gi, max: 100Gi}}\n");
  EXPECT_TRUE(decide(Webhook::Validate, create_input(online_claim("50Gi")), p).allowed);
  Decision small = decide(Webhook::Validate, create_input(online_claim("500Mi")), p);
  ASSERT_EQ(small.causes.size(), 1u);
  EXPECT_NE(small.causes[0].detail.find("must be at least 1Gi"), std::string::npos);
  Decision big = decide(Webhook::Validate, create_input(online_claim("1Ti")), p);
  ASSERT_EQ(big.causes.size(), 1u);
  EXPECT_NE(big.causes[0].detail.find("must be at most 100Gi"), std::string::npos);
}

TEST(PolicyRules, StorageClasses) {
  Policy p = load("rules:\n  - name: classes\n    require: {storageClasses: [fast-ssd]}\n");
  EXPECT_TRUE(decide(Webhook::Validate, create_input(online_claim("1Gi", "fast-ssd")), p).allowed);
  Decision other = decide(Webhook::Validate, create_input(online_claim("1Gi", "slow")), p);
  ASSERT_EQ(other.causes.size(), 1u);
  EXPECT_EQ(other.causes[0].reason, FieldReason::NotSupported);
  Decision none = decide(Webhook::Validate, create_input(online_claim("1Gi")), p);
  ASSERT_EQ(none.causes.size(), 1u);
  EXPECT_EQ(none.causes[0].reason, FieldReason::Required);
}

TEST(PolicyRules, WarnModeAllowsWithOneWarningPerViolation) {
  Policy p = load("rules:\n  - name: heads-up\n    enforcement: warn\n    require: {storeTypes: {onlineStore: [redis]}, requireStore: [offlineStore]}\n");
  json obj = online_store("postgres");
  obj["spec"]["services"]["offlineStore"] = {{"persistence", {{"file", {{"type", "dask"}}}}}};
  Decision d = decide(Webhook::Validate, create_input(obj), p);
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.warnings.size(), 2u);
  EXPECT_EQ(d.warnings[0].rfind("policy rule \"heads-up\": spec.services.onlineStore.persistence.store.type", 0), 0u);
  EXPECT_EQ(d.warnings[1].rfind("policy rule \"heads-up\": spec.services.offlineStore.persistence.store: Required value", 0), 0u);
  for (const auto& w : d.warnings) EXPECT_LE(w.size(), 240u);
}

TEST(PolicyRules, AuditModeAllowsAndRecords) {
  Policy p = load("rules:\n  - name: watch\n    enforcement: audit\n    require: {storeTypes: {onlineStore: [redis]}}\n");
  Decision d = decide(Webhook::Validate, create_input(online_store("postgres")), p);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.warnings.empty());
  ASSERT_EQ(d.audited.size(), 1u);
  EXPECT_NE(d.audit_annotations.at("policy-audit").find("policy rule \"watch\": spec.services.onlineStore.persistence.store.type"),
            std::string::npos);
  EXPECT_EQ(d.rules_hit, std::vector<std::string>{"policy:watch"});
}

TEST(PolicyRules, BuiltinRulesStayDenyUnderWarnPolicy) {
  Policy p = load("rules:\n  - name: soft\n    enforcement: warn\n    require: {storeTypes: {onlineStore: [redis]}}\n");
  EXPECT_FALSE(decide(Webhook::Validate, create_input(online_store("mysqll")), p).allowed);  // V1 still denies
}

TEST(PolicyRules, TightenedPolicyNeverBlocksUnrelatedUpdates) {
  Policy p = load("rules:\n  - name: tight\n    require: {storeTypes: {onlineStore: [redis]}}\n");
  json old_obj = online_store("postgres");
  json now = old_obj;
  now["metadata"]["labels"] = {{"x", "y"}};
  Decision d = decide(Webhook::Validate, update_input(now, old_obj), p);
  EXPECT_TRUE(d.allowed);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].find("existing violation"), std::string::npos);
  EXPECT_FALSE(decide(Webhook::Validate, update_input(online_store("cassandra"), old_obj), p).allowed);
}

TEST(PolicyRules, ShippedProductionProfile) {
  PolicyLoad l = load_policy_file(std::string(FEAST_POLICY_DIR) + "/production.yaml");
  ASSERT_TRUE(l.ok()) << l.error;
  FixedNamespaces ns;
  ns.known["payments"] = {{"environment", "production"}};
  ns.known["stage"] = {{"environment", "staging"}};
  DecisionContext ctx{*l.policy, &ns};
  json bare = feature_store({{"services", {{"offlineStore", json::object()}, {"registry", json::object()}}}});
  for (const char* name : {"prod-eu", "payments"}) {
    // Defaults: 10Gi claims of class standard, which production then allows.
    AdmissionInput in = in_namespace(bare, name);
    Decision m = decide(Webhook::Mutate, in, ctx);
    json out = bare.patch(m.patch);
    EXPECT_EQ(out.at(json::json_pointer("/spec/services/onlineStore/persistence/file/pvc/create/resources/requests/storage")), "10Gi") << name;
    EXPECT_EQ(out.at(json::json_pointer("/spec/services/registry/local/persistence/file/pvc/create/storageClassName")), "standard") << name;
    EXPECT_TRUE(decide(Webhook::Validate, in_namespace(out, name), ctx).allowed) << name;
    // An explicit emptyDir is denied; so is a store type off the allowlist.
    json ephemeral = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "/feast-data/o.db"}}}}}}}}}});
    EXPECT_FALSE(decide(Webhook::Validate, in_namespace(ephemeral, name), ctx).allowed) << name;
    EXPECT_FALSE(decide(Webhook::Validate, in_namespace(online_store("mysql"), name), ctx).allowed) << name;
    EXPECT_FALSE(decide(Webhook::Validate, in_namespace(online_claim("1Ti", "standard"), name), ctx).allowed) << name;
  }
  // Staging: warnings only; other namespaces: built-in behaviour.
  json ephemeral = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "/feast-data/o.db"}}}}}}}}}});
  Decision staging = decide(Webhook::Validate, in_namespace(ephemeral, "stage"), ctx);
  EXPECT_TRUE(staging.allowed);
  EXPECT_EQ(staging.warnings.size(), 1u);
  Decision elsewhere = decide(Webhook::Validate, in_namespace(ephemeral, "sandbox"), ctx);
  EXPECT_TRUE(elsewhere.allowed);
  EXPECT_TRUE(elsewhere.warnings.empty());
}

TEST(PolicyRules, ShippedDevProfile) {
  PolicyLoad l = load_policy_file(std::string(FEAST_POLICY_DIR) + "/dev.yaml");
  ASSERT_TRUE(l.ok()) << l.error;
  EXPECT_TRUE(l.policy->secret_settings().allow_when_unchecked);
  Decision big = decide(Webhook::Validate, in_namespace(online_claim("100Gi"), "dev"), *l.policy);
  EXPECT_TRUE(big.allowed);
  EXPECT_EQ(big.audited.size(), 1u);
  json obj = feature_store({{"feastProject", "p"}});
  EXPECT_EQ(mutated(in_namespace(obj, "dev"), *l.policy).at(json::json_pointer("/spec/services/onlineStore/persistence/file/path")),
            "/feast-data/online_store.db");
}

}  // namespace
}  // namespace feast
