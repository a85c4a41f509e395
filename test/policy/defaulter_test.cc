// SPEC section 3, one test per default item, on the smallest FeatureStore that shows it.
#include "defaulter.h"

#include <gtest/gtest.h>

#include "test_objects.h"

namespace feast {
namespace {

using nlohmann::json;
using testing::create_input;
using testing::feature_store;
using testing::mutated;
using testing::update_input;

const Policy kPvcPolicy = Policy::builtin(PersistenceMode::Pvc);

json at(const json& object, const std::string& pointer) { return object.at(json::json_pointer(pointer)); }

TEST(Defaults, Item1OnlineEphemeralWhenServicesAbsent) {
  json obj = feature_store({{"feastProject", "p"}});
  Decision d = decide(Webhook::Mutate, create_input(obj), Policy::builtin());
  ASSERT_EQ(d.patch.size(), 1u);
  EXPECT_EQ(d.patch[0], json::parse(R"({"op":"add","path":"/spec/services",
      "value":{"onlineStore":{"persistence":{"file":{"path":"/feast-data/online_store.db"}}}}})"));
  EXPECT_EQ(d.audit_annotations.at("defaulted"), "spec.services.onlineStore.persistence");
}

TEST(Defaults, Item1OnlinePvcMode) {
  json obj = feature_store({{"services", {{"onlineStore", json::object()}}}});
  json out = mutated(create_input(obj), kPvcPolicy);
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence"), json::parse(R"({"file":{"path":"online_store.db",
      "pvc":{"create":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},
      "mountPath":"/data/online"}}})"));
}

TEST(Defaults, Item1OnlineDisabledGetsNothing) {
  json obj = feature_store({{"services", {{"onlineStore", {{"disabled", true}}}}}});
  EXPECT_TRUE(decide(Webhook::Mutate, create_input(obj), Policy::builtin()).patch.empty());
}

TEST(Defaults, Item2OfflineOnlyWhenPresent) {
  json without = feature_store({{"services", {{"onlineStore", {{"disabled", true}}}}}});
  EXPECT_FALSE(mutated(create_input(without))["spec"]["services"].contains("offlineStore"));
  json with = feature_store({{"services", {{"onlineStore", {{"disabled", true}}}, {"offlineStore", json::object()}}}});
  EXPECT_EQ(at(mutated(create_input(with)), "/spec/services/offlineStore/persistence"),
            json::parse(R"({"file":{"type":"dask"}})"));
  EXPECT_EQ(at(mutated(create_input(with), kPvcPolicy), "/spec/services/offlineStore/persistence/file"),
            json::parse(R"({"type":"dask","pvc":{"create":{"accessModes":["ReadWriteOnce"],
                "resources":{"requests":{"storage":"1Gi"}}},"mountPath":"/data/offline"}})"));
}

TEST(Defaults, Item3RegistryAddsLocal) {
  json obj = feature_store({{"services", {{"onlineStore", {{"disabled", true}}}, {"registry", json::object()}}}});
  Decision d = decide(Webhook::Mutate, create_input(obj), Policy::builtin());
  ASSERT_EQ(d.patch.size(), 1u);
  EXPECT_EQ(d.patch[0]["path"], "/spec/services/registry/local");
  EXPECT_EQ(d.patch[0]["value"], json::parse(R"({"persistence":{"file":{"path":"/feast-data/registry.db"}}})"));
  EXPECT_EQ(at(mutated(create_input(obj), kPvcPolicy), "/spec/services/registry/local/persistence/file/path"),
            "registry.db");
}

TEST(Defaults, Item3RemoteRegistryGetsNoLocal) {
  json obj = feature_store({{"services", {{"onlineStore", {{"disabled", true}}},
                                          {"registry", {{"remote", {{"hostname", "registry.feast.svc"}}}}}}}});
  EXPECT_TRUE(decide(Webhook::Mutate, create_input(obj), Policy::builtin()).patch.empty());
}

TEST(Defaults, Item4OfflineTypeAndPaths) {
  json obj = feature_store({{"services",
                             {{"onlineStore", {{"persistence", {{"file", json::object()}}}}},
                              {"offlineStore", {{"persistence", {{"file", {{"pvc", {{"ref", {{"name", "x"}}}}}}}}}}},
                              {"registry", {{"local", {{"persistence", {{"file", {{"pvc", {{"ref", {{"name", "r"}}}}}}}}}}}}}}}});
  json out = mutated(create_input(obj));
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence/file/path"), "/feast-data/online_store.db");
  EXPECT_EQ(at(out, "/spec/services/offlineStore/persistence/file/type"), "dask");
  EXPECT_EQ(at(out, "/spec/services/offlineStore/persistence/file/pvc/mountPath"), "/data/offline");
  EXPECT_EQ(at(out, "/spec/services/registry/local/persistence/file/path"), "registry.db");
  EXPECT_EQ(at(out, "/spec/services/registry/local/persistence/file/pvc/mountPath"), "/data/registry");
  EXPECT_FALSE(at(out, "/spec/services/registry/local/persistence/file/pvc").contains("create"));
}

TEST(Defaults, Item4PvcWithoutRefOrCreateGetsCreate) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"pvc", json::object()}}}}}}}}}});
  json out = mutated(create_input(obj));
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence/file"), json::parse(R"({"path":"online_store.db",
      "pvc":{"create":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},
      "mountPath":"/data/online"}})"));
}

TEST(Defaults, Item4CreateFieldsFilledNeverChanged) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"pvc",
      {{"create", {{"accessModes", {"ReadWriteMany"}}}}, {"mountPath", "/mnt/x"}}}}}}}}}}}});
  json out = mutated(create_input(obj));
  const json create = at(out, "/spec/services/onlineStore/persistence/file/pvc/create");
  EXPECT_EQ(create["accessModes"], json({"ReadWriteMany"}));
  EXPECT_EQ(create["resources"]["requests"]["storage"], "1Gi");
  EXPECT_FALSE(create.contains("storageClassName"));  // the built-in policy names no class
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence/file/pvc/mountPath"), "/mnt/x");
}

TEST(Defaults, Item4StorageClassOnlyWhenPolicyNamesOne) {
  PersistenceDefaults defaults = PersistenceDefaults::builtin();
  defaults.online.storage_class = "gp3";
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"pvc", {{"create", json::object()}}}}}}}}}}}});
  json out = mutated(create_input(obj), Policy(defaults));
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence/file/pvc/create/storageClassName"), "gp3");
}

TEST(Defaults, Item5FeastRefNamespace) {
  json obj = feature_store({{"services", {{"onlineStore", {{"disabled", true}}},
                                          {"registry", {{"remote", {{"feastRef", {{"name", "reg"}}}}}}}}}});
  Decision d = decide(Webhook::Mutate, create_input(obj), Policy::builtin());
  ASSERT_EQ(d.patch.size(), 1u);
  EXPECT_EQ(d.patch[0], json::parse(R"({"op":"add","path":"/spec/services/registry/remote/feastRef/namespace","value":"feast"})"));
  json empty_ns = obj;
  empty_ns["spec"]["services"]["registry"]["remote"]["feastRef"]["namespace"] = "";
  EXPECT_EQ(at(mutated(create_input(empty_ns)), "/spec/services/registry/remote/feastRef/namespace"), "feast");
  json other_ns = obj;
  other_ns["spec"]["services"]["registry"]["remote"]["feastRef"]["namespace"] = "shared";
  EXPECT_TRUE(decide(Webhook::Mutate, create_input(other_ns), Policy::builtin()).patch.empty());
}

TEST(Defaults, Item6UpdateCopiesRemovedPersistence) {
  json old_obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "/feast-data/online_store.db"}}}}}}}}}});
  json now = feature_store({{"services", {{"onlineStore", json::object()}}}});
  // Even under a policy that now defaults to PVCs, the store does not move.
  json out = mutated(update_input(now, old_obj), kPvcPolicy);
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence"), at(old_obj, "/spec/services/onlineStore/persistence"));
}

TEST(Defaults, Item6UpdateCopiesOldCreateIntoBarePvc) {
  json old_create = json::parse(R"({"accessModes":["ReadWriteOnce"],"storageClassName":"standard","resources":{"requests":{"storage":"5Gi"}}})");
  json old_obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "db"}, {"pvc", {{"create", old_create}, {"mountPath", "/data/online"}}}}}}}}}}}});
  json now = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "db"}, {"pvc", {{"mountPath", "/data/online"}}}}}}}}}}}});
  EXPECT_EQ(at(mutated(update_input(now, old_obj)), "/spec/services/onlineStore/persistence/file/pvc/create"), old_create);
}

TEST(Defaults, Item6UpdateFillsCreateFromOldNotFromPolicy) {
  json old_obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "db"}, {"pvc",
      {{"create", {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "7Gi"}}}}}}}, {"mountPath", "/m"}}}}}}}}}}}});
  json now = old_obj;
  now["spec"]["services"]["onlineStore"]["persistence"]["file"]["pvc"]["create"] = {{"resources", {{"limits", {{"storage", "9Gi"}}}}}};
  json create = at(mutated(update_input(now, old_obj)), "/spec/services/onlineStore/persistence/file/pvc/create");
  EXPECT_EQ(create["accessModes"], json({"ReadWriteMany"}));
  EXPECT_EQ(create["resources"]["requests"]["storage"], "7Gi");   // from old, not 1Gi
  EXPECT_EQ(create["resources"]["limits"]["storage"], "9Gi");     // the user's value kept
}

TEST(Defaults, Item6DisabledComponentNotCarriedOver) {
  json old_obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"file", {{"path", "/x/db"}}}}}}}}}});
  json now = feature_store({{"services", {{"onlineStore", {{"disabled", true}}}}}});
  EXPECT_TRUE(decide(Webhook::Mutate, update_input(now, old_obj), Policy::builtin()).patch.empty());
}

TEST(Defaults, Item7EmptyPersistenceCountsAsAbsent) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", json::object()}}}}}});
  Decision d = decide(Webhook::Mutate, create_input(obj), Policy::builtin());
  ASSERT_EQ(d.patch.size(), 1u);
  EXPECT_EQ(d.patch[0]["path"], "/spec/services/onlineStore/persistence");
  EXPECT_EQ(at(obj.patch(d.patch), "/spec/services/onlineStore/persistence/file/path"), "/feast-data/online_store.db");
}

TEST(Defaults, Item7WrongTypeAddsNothing) {
  for (json services : {json("oops"), json{{"onlineStore", 3}}, json{{"onlineStore", {{"persistence", {{"file", {{"pvc", "x"}}}}}}}},
                        json{{"onlineStore", {{"disabled", "yes"}}}}}) {
    json obj = feature_store({{"services", services}});
    EXPECT_TRUE(decide(Webhook::Mutate, create_input(obj), Policy::builtin()).patch.empty()) << services.dump();
  }
}

TEST(Defaults, Item7DeletionTimestampGetsNoDefaultsOnUpdate) {
  json obj = feature_store({{"feastProject", "p"}});
  obj["metadata"]["deletionTimestamp"] = "2026-11-25T10:00:00Z";
  EXPECT_TRUE(decide(Webhook::Mutate, update_input(obj, obj), Policy::builtin()).patch.empty());
}

TEST(Defaults, NullCountsAsAbsent) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", nullptr}}}}}});
  json out = mutated(create_input(obj));
  EXPECT_EQ(at(out, "/spec/services/onlineStore/persistence/file/path"), "/feast-data/online_store.db");
}

TEST(Defaults, StorePersistenceUntouched) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", {{"store", {{"type", "redis"}, {"secretRef", {{"name", "s"}}}}}}}}}}}});
  EXPECT_TRUE(decide(Webhook::Mutate, create_input(obj), Policy::builtin()).patch.empty());
}

TEST(Defaults, SubresourceDeleteAndConnectPassWithoutPatch) {
  json obj = feature_store({{"feastProject", "p"}});
  AdmissionInput status = create_input(obj);
  status.operation = "UPDATE";
  status.sub_resource = "status";
  AdmissionInput del = create_input(obj);
  del.operation = "DELETE";
  AdmissionInput connect = create_input(obj);
  connect.operation = "CONNECT";
  for (const auto& in : {status, del, connect}) {
    Decision d = decide(Webhook::Mutate, in, Policy::builtin());
    EXPECT_TRUE(d.allowed);
    EXPECT_TRUE(d.patch.empty());
  }
}

TEST(Defaults, OnlyAddOperations) {
  json obj = feature_store(json::parse(R"({"services": {"onlineStore": {"persistence": {"file": {"pvc": {"create": {}}}}},
                                                       "offlineStore": {}, "registry": {}}})"));
  Decision d = decide(Webhook::Mutate, create_input(obj), kPvcPolicy);
  ASSERT_FALSE(d.patch.empty());
  for (const auto& op : d.patch) EXPECT_EQ(op["op"], "add");
}

}  // namespace
}  // namespace feast
