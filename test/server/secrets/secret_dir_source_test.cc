// The embedded Secret source (--secrets-dir): manifests, reload, broken files.
#include "secret_dir_source.h"

#include <gtest/gtest.h>

#include "yaml_json.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base64_encode.h"
#include "log_capture.h"
#include <yaml-cpp/yaml.h>

#include "secret_manifests.h"
#include "secret_rules.h"

namespace feast {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::b64;
using testing::kPassword;

class SecretDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("feast-secrets-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  void write(const std::string& name, const std::string& text) {
    fs::path tmp = dir / ("." + name + ".tmp");
    std::ofstream(tmp) << text;
    fs::rename(tmp, dir / name);  // atomic, as editors and kubelet do
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 1000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  fs::path dir;
  std::shared_ptr<SecretIndex> index = std::make_shared<SecretIndex>();
};

const std::string kFeast = R"(apiVersion: v1
kind: Secret
metadata:
  name: feast-data-stores
  namespace: feast
data:
  redis: )" + b64("connection_string: redis:6379,password=" + std::string(kPassword) + "\n") + R"(
  sql: )" + b64("- not\n- used\n") + R"(
stringData:
  sql: |
    path: postgresql://feast:${POSTGRES_PASSWORD}@pg:5432/feast
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-secret
data:
  a: b
---
apiVersion: v1
kind: Secret
metadata:
  name: no-namespace
stringData:
  password: )" + kPassword + "\n";

TEST_F(SecretDir, DataAndStringDataWithStringDataWinning) {
  write("feast.yaml", kFeast);
  SecretDirSource source(dir, index);
  EXPECT_FALSE(index->synced());
  EXPECT_TRUE(source.scan());
  EXPECT_TRUE(index->synced());
  auto s = index->find("feast", "feast-data-stores");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->key_names(), (std::vector<std::string>{"redis", "sql"}));
  EXPECT_TRUE(s->find("redis")->is_mapping());
  // stringData's mapping replaced data's list.
  EXPECT_TRUE(s->find("sql")->is_mapping());
  EXPECT_EQ(s->find("sql")->variables, std::vector<std::string>{"POSTGRES_PASSWORD"});
  EXPECT_NE(index->find("default", "no-namespace"), nullptr);
  EXPECT_EQ(index->find("default", "not-a-secret"), nullptr);
  EXPECT_EQ(index->size(), 2u);
}

TEST_F(SecretDir, JsonFilesAndLists) {
  write("list.json", R"({"apiVersion":"v1","kind":"List","items":[
    {"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"x"},
     "data":{"k":")" + b64("a: 1") + R"("}},
    {"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"},"stringData":{"k":"- 1"}}]})");
  SecretDirSource source(dir, index);
  source.scan();
  ASSERT_NE(index->find("x", "a"), nullptr);
  EXPECT_TRUE(index->find("x", "a")->find("k")->is_mapping());
  EXPECT_FALSE(index->find("default", "b")->find("k")->is_mapping());
}

TEST_F(SecretDir, BrokenFileIsLoggedByNameAndSkippedWhileTheRestStayServed) {
  write("good.yaml", kFeast);
  write("broken.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: x\nstringData:\n  p: " +
                           std::string(kPassword) + "\n  - [\n");
  write("badbase64.yaml", "kind: Secret\nmetadata: {name: y}\ndata:\n  k: '" +
                              std::string(kPassword) + "!!'\n");
  SecretDirSource source(dir, index);
  source.scan();
  EXPECT_NE(index->find("feast", "feast-data-stores"), nullptr);
  EXPECT_EQ(index->find("default", "x"), nullptr);
  EXPECT_EQ(index->find("default", "y"), nullptr);
  std::string logs = testing::LogCapture::get().text();
  EXPECT_NE(logs.find("broken.yaml"), std::string::npos);
  EXPECT_NE(logs.find("Secret default/y: data[\"k\"] is not base64"), std::string::npos);
  EXPECT_EQ(logs.find(kPassword), std::string::npos);
}

TEST_F(SecretDir, ReloadsWithinASecondOfAChange) {
  write("a.yaml", "kind: Secret\nmetadata: {name: s, namespace: feast}\nstringData: {redis: '- x'}\n");
  SecretDirSource source(dir, index, 100ms);
  source.start();
  ASSERT_TRUE(index->synced());
  ASSERT_FALSE(index->find("feast", "s")->find("redis")->is_mapping());

  // Same size, rewritten at once: must still be noticed.
  write("a.yaml", "kind: Secret\nmetadata: {name: s, namespace: feast}\nstringData: {redis: 'a: 1'}\n");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "s")->find("redis")->is_mapping(); }));

  write("b.yml", "kind: Secret\nmetadata: {name: t, namespace: feast}\n");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "t") != nullptr; }));

  fs::remove(dir / "a.yaml");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "s") == nullptr; }));

  // A file that breaks is skipped; fixing it brings its Secrets back.
  write("b.yml", "kind: Secret\nmetadata: {name: t, namespace: feast\n");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "t") == nullptr; }));
  write("b.yml", "kind: Secret\nmetadata: {name: t, namespace: feast}\n");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "t") != nullptr; }));
  source.stop();
}

TEST_F(SecretDir, MissingFolderIsSyncedAndEmpty) {
  SecretDirSource source(dir / "nope", index);
  EXPECT_FALSE(source.scan());
  EXPECT_TRUE(index->synced());
  EXPECT_EQ(index->size(), 0u);
}

TEST_F(SecretDir, LoadSecretIndexForTheCheckCommand) {
  write("feast.yaml", kFeast);
  write("broken.yaml", "kind: Secret\nmetadata: [\n");
  std::vector<std::string> problems;
  auto loaded = load_secret_index(dir.string(), &problems);
  EXPECT_TRUE(loaded->synced());
  EXPECT_EQ(loaded->size(), 2u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("broken.yaml"), std::string::npos);
  EXPECT_EQ(load_secret_index((dir / "feast.yaml").string())->size(), 2u);
}

TEST(Examples, TheExampleFeatureStorePassesV7AndV8WithTheExampleSecrets) {
  std::string dir = std::string(FEAST_SOURCE_DIR) + "/examples/secrets";
  std::vector<std::string> problems;
  auto loaded = load_secret_index(dir, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_NE(loaded->find("default", "feast-online-store"), nullptr);
  nlohmann::json fs = load_yaml_file(std::string(FEAST_SOURCE_DIR) + "/examples/featurestore-db.yaml").documents.at(0);
  SecretCheck c = check_secrets(fs, "feast", "v1", *loaded, {});
  EXPECT_TRUE(c.error_list().empty()) << aggregate_message(c.error_list());
  EXPECT_TRUE(c.warning_list().empty()) << aggregate_message(c.warning_list());

  fs["spec"]["services"]["onlineStore"]["persistence"]["store"]["secretKeyName"] = "not-a-mapping";
  fs["spec"]["services"]["registry"]["local"]["persistence"]["store"]["secretKeyName"] = "wrong-type";
  fs["spec"]["services"]["registry"]["local"]["server"].erase("env");
  c = check_secrets(fs, "feast", "v1", *loaded, {});
  EXPECT_EQ(c.errors.size(), 2u) << aggregate_message(c.error_list());
  EXPECT_EQ(c.warnings.size(), 0u);  // PG_PASSWORD still comes from the online server's envFrom
}

TEST(Base64, DecodesAsKubernetesWritesIt) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8="), "hello");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("a!"), std::nullopt);
  EXPECT_EQ(decode_base64("a"), std::nullopt);
  EXPECT_EQ(decode_base64("aGVsbG8=x"), std::nullopt);
}

}  // namespace
}  // namespace feast
