// SPEC section 4, rules V1 to V6 and V9, one test per rule on the smallest FeatureStore.
#include "validator.h"

#include <gtest/gtest.h>

#include "test_objects.h"

namespace feast {
namespace {

using nlohmann::json;
using testing::feature_store;

json online(json persistence) { return feature_store({{"services", {{"onlineStore", {{"persistence", persistence}}}}}}); }
json offline(json persistence) {
  return feature_store({{"services", {{"offlineStore", {{"persistence", persistence}}}}}});
}
json registry(json persistence) {
  return feature_store({{"services", {{"registry", {{"local", {{"persistence", persistence}}}}}}}});
}
json store(std::string type, std::string secret = "s") {
  return {{"store", {{"type", type}, {"secretRef", {{"name", secret}}}}}};
}

ErrorList check(const json& obj, std::string version = "v1") { return validate_structure(obj, version, nullptr); }

TEST(Validate, V1StoreTypeSupported) {
  ErrorList e = check(online(store("mysqll")));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.store.type");
  EXPECT_EQ(e[0].reason, FieldReason::NotSupported);
  EXPECT_EQ(e[0].body().rfind("Unsupported value: \"mysqll\": supported values: \"snowflake.online\", \"redis\",", 0), 0u);
  EXPECT_TRUE(check(online(store("redis"))).empty());
  EXPECT_TRUE(check(registry(store("sql"))).empty());
  EXPECT_EQ(check(registry(store("redis"))).size(), 1u);
  // sqlite and file are not store types (file persistence covers them).
  EXPECT_EQ(check(online(store("sqlite"))).size(), 1u);
  EXPECT_EQ(check(registry(store("file"))).size(), 1u);
}

TEST(Validate, V1VersionSpecificTable) {
  EXPECT_TRUE(check(offline(store("oracle")), "v1").empty());
  ErrorList e = check(offline(store("oracle")), "v1alpha1");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].rule, "V1");
}

TEST(Validate, V2OfflineFileType) {
  EXPECT_TRUE(check(offline({{"file", {{"type", "duckdb"}}}})).empty());
  ErrorList e = check(offline({{"file", {{"type", "parquet"}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].text(), "spec.services.offlineStore.persistence.file.type: Unsupported value: \"parquet\": "
                         "supported values: \"file\", \"dask\", \"duckdb\"");
}

TEST(Validate, V2RegistryCacheSettings) {
  EXPECT_TRUE(check(registry({{"file", {{"path", "/r.db"}, {"cache_ttl_seconds", 0}, {"cache_mode", "sync"}}}})).empty());
  ErrorList e = check(registry({{"file", {{"path", "/r.db"}, {"cache_ttl_seconds", -1}, {"cache_mode", "lazy"}}}}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].field, "spec.services.registry.local.persistence.file.cache_ttl_seconds");
  EXPECT_EQ(e[1].field, "spec.services.registry.local.persistence.file.cache_mode");
  EXPECT_EQ(check(registry({{"file", {{"path", "/r.db"}, {"cache_ttl_seconds", 2147483648LL}}}})).size(), 1u);
  EXPECT_EQ(check(registry({{"file", {{"path", "/r.db"}, {"cache_ttl_seconds", 1.5}}}})).size(), 1u);
  EXPECT_EQ(check(registry({{"file", {{"path", "/r.db"}, {"cache_ttl_seconds", "60"}}}})).size(), 1u);
}

TEST(Validate, V3ExactlyOneOfFileOrStore) {
  json both = store("redis");
  both["file"] = {{"path", "/x"}};
  ErrorList e = check(online(both));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].reason, FieldReason::Forbidden);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence");
  e = check(online({{"other", 1}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].reason, FieldReason::Required);
}

TEST(Validate, V3ExactlyOneOfRefOrCreate) {
  ErrorList e = check(online({{"file", {{"path", "db"}, {"pvc", {{"ref", {{"name", "a"}}}, {"create", json::object()}, {"mountPath", "/d"}}}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.file.pvc");
  e = check(online({{"file", {{"path", "db"}, {"pvc", {{"mountPath", "/d"}}}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].reason, FieldReason::Required);
}

TEST(Validate, V3StoreNeedsTypeAndSecretName) {
  ErrorList e = check(online({{"store", {{"type", ""}, {"secretRef", json::object()}}}}));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].text(), "spec.services.onlineStore.persistence.store.type: Required value");
  EXPECT_EQ(e[1].text(), "spec.services.onlineStore.persistence.store.secretRef.name: Required value");
}

TEST(Validate, V4OnlineEphemeralPathAbsolute) {
  ErrorList e = check(online({{"file", {{"path", "online.db"}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.file.path");
  EXPECT_TRUE(check(online({{"file", {{"path", "/data/online.db"}}}})).empty());
}

TEST(Validate, V4PathBesidePvcIsRelative) {
  json pvc = {{"ref", {{"name", "c"}}}, {"mountPath", "/data"}};
  EXPECT_TRUE(check(online({{"file", {{"path", "online.db"}, {"pvc", pvc}}}})).empty());
  EXPECT_EQ(check(online({{"file", {{"path", "/data/online.db"}, {"pvc", pvc}}}})).size(), 1u);
  EXPECT_EQ(check(registry({{"file", {{"path", "s3://b/r.db"}, {"pvc", pvc}}}})).size(), 1u);
}

TEST(Validate, V4ObjectStoreUris) {
  EXPECT_EQ(check(online({{"file", {{"path", "s3://bucket/online.db"}}}})).size(), 1u);
  EXPECT_EQ(check(online({{"file", {{"path", "gs://bucket/online.db"}}}})).size(), 1u);
  EXPECT_TRUE(check(registry({{"file", {{"path", "gs://bucket/registry.db"}}}})).empty());
  EXPECT_EQ(check(registry({{"file", {{"path", "registry.db"}}}})).size(), 1u);
}

TEST(Validate, V4S3KwargsOnlyWithS3Path) {
  EXPECT_TRUE(check(registry({{"file", {{"path", "s3://b/r.db"}, {"s3_additional_kwargs", {{"k", "v"}}}}}})).empty());
  ErrorList e = check(registry({{"file", {{"path", "gs://b/r.db"}, {"s3_additional_kwargs", {{"k", "v"}}}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].reason, FieldReason::Forbidden);
}

TEST(Validate, V4MountPath) {
  auto with_mount = [](json mount) {
    return online({{"file", {{"path", "db"}, {"pvc", {{"ref", {{"name", "c"}}}, {"mountPath", mount}}}}}});
  };
  EXPECT_TRUE(check(with_mount("/data/online")).empty());
  EXPECT_EQ(check(with_mount("data")).size(), 1u);
  EXPECT_EQ(check(with_mount("/data:x")).size(), 1u);
  ErrorList e = check(online({{"file", {{"path", "db"}, {"pvc", {{"ref", {{"name", "c"}}}}}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].text(), "spec.services.onlineStore.persistence.file.pvc.mountPath: Required value");
}

TEST(Validate, V5PvcCreateImmutableOnUpdate) {
  auto with_create = [](std::string size) {
    return online({{"file", {{"path", "db"}, {"pvc", {{"create", {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", size}}}}}}}, {"mountPath", "/d"}}}}}});
  };
  json old_obj = with_create("1Gi");
  EXPECT_TRUE(validate_structure(with_create("1Gi"), "v1", &old_obj).empty());
  ErrorList e = validate_structure(with_create("2Gi"), "v1", &old_obj);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.file.pvc.create");
  EXPECT_EQ(e[0].rule, "V5");
}

TEST(Validate, V6StorageQuantity) {
  auto with_storage = [](json size) {
    return online({{"file", {{"path", "db"}, {"pvc", {{"create", {{"resources", {{"requests", {{"storage", size}}}}}}}, {"mountPath", "/d"}}}}}});
  };
  for (const char* ok : {"1Gi", "500M", "1.5Ti", "1e9", "100"}) EXPECT_TRUE(check(with_storage(ok)).empty()) << ok;
  EXPECT_TRUE(check(with_storage(1073741824)).empty());
  for (const char* bad : {"1GB", "lots", "", "-1Gi", "0"}) EXPECT_EQ(check(with_storage(bad)).size(), 1u) << bad;
}

TEST(Validate, V6AccessModes) {
  json obj = online({{"file", {{"path", "db"}, {"pvc", {{"create", {{"accessModes", {"ReadWriteOnce", "WriteAlways"}}}}, {"mountPath", "/d"}}}}}});
  ErrorList e = check(obj);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.file.pvc.create.accessModes[1]");
  EXPECT_EQ(e[0].reason, FieldReason::NotSupported);
}

TEST(Validate, V9ScalingNeedsDbPersistence) {
  json obj = feature_store({{"replicas", 2}, {"services", {{"offlineStore", json::object()}, {"registry", {{"local", json::object()}}}}}});
  ErrorList e = check(obj);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].field, "spec.services.onlineStore.persistence.store");
  EXPECT_EQ(e[1].field, "spec.services.offlineStore.persistence.store");
  EXPECT_EQ(e[2].field, "spec.services.registry.local.persistence.store");
  for (const auto& err : e) EXPECT_EQ(err.rule, "V9");
}

TEST(Validate, V9SatisfiedByStoresAndObjectStoreRegistry) {
  json obj = feature_store({{"services", {{"scaling", {{"autoscaling", {{"maxReplicas", 5}}}}},
                                          {"onlineStore", {{"persistence", store("redis")}}},
                                          {"registry", {{"local", {{"persistence", {{"file", {{"path", "s3://b/r.db"}}}}}}}}}}}});
  EXPECT_TRUE(check(obj).empty());
  json remote = feature_store({{"replicas", 3}, {"services", {{"onlineStore", {{"persistence", store("redis")}}},
                                                              {"registry", {{"remote", {{"hostname", "r"}}}}}}}});
  EXPECT_TRUE(check(remote).empty());
}

TEST(Validate, V9OnlyForV1AndOnlyWhenScaled) {
  json obj = feature_store({{"replicas", 2}});
  EXPECT_EQ(check(obj, "v1").size(), 2u);  // online store and registry
  EXPECT_TRUE(check(obj, "v1alpha1").empty());
  EXPECT_TRUE(check(feature_store({{"replicas", 1}})).empty());
}

TEST(Validate, WrongJsonTypesAreInvalid) {
  ErrorList e = check(feature_store({{"services", {{"onlineStore", {{"persistence", "file"}}}}}}));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].reason, FieldReason::Invalid);
  EXPECT_EQ(e[0].text(), "spec.services.onlineStore.persistence: Invalid value: \"string\": "
                         "spec.services.onlineStore.persistence in body must be of type object: \"string\"");
  EXPECT_EQ(check(feature_store({{"services", {{"onlineStore", {{"disabled", "true"}}}}}})).size(), 1u);
  EXPECT_EQ(check(online({{"store", {{"type", 7}, {"secretRef", {{"name", "s"}}}}}})).size(), 1u);
}

TEST(Validate, EveryViolationReportedAtOnce) {
  json obj = feature_store({{"services", {{"onlineStore", {{"persistence", store("mysqll")}}},
                                          {"offlineStore", {{"persistence", {{"file", {{"type", "csv"}}}}}}},
                                          {"registry", {{"local", {{"persistence", {{"file", {{"path", "r.db"}}}}}}}}}}}});
  EXPECT_EQ(check(obj).size(), 3u);
}

}  // namespace
}  // namespace feast
