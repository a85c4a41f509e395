// Every FeatureStore fixture in the repository: the mutating patch, applied by an
// independent RFC 6902 implementation (nlohmann's json::patch), yields an object that
// gets no further patch (idempotence) and that the validating webhook allows.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_objects.h"
#include "yaml_json.h"

namespace feast {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::create_input;

using testing::update_input;

std::vector<fs::path> yaml_files(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(FEAST_FIXTURES_DIR) / dir))
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string version_of(const json& obj) {
  const std::string api = obj.at("apiVersion");
  return api.substr(api.find('/') + 1);
}

const Policy kPolicies[] = {Policy::builtin(PersistenceMode::Ephemeral), Policy::builtin(PersistenceMode::Pvc)};

TEST(Fixtures, CreateIsIdempotentAndValid) {
  const auto files = yaml_files("featurestores");
  ASSERT_GE(files.size(), 8u);
  for (const auto& file : files) {
    for (const Policy& policy : kPolicies) {
      const json obj = load_yaml_file(file.string()).documents.at(0);
      const std::string version = version_of(obj);
      Decision first = decide(Webhook::Mutate, create_input(obj, version), policy);
      EXPECT_TRUE(first.allowed);
      const json defaulted = obj.patch(first.patch);
      Decision again = decide(Webhook::Mutate, create_input(defaulted, version), policy);
      EXPECT_TRUE(again.patch.empty()) << file << " second patch: " << again.patch.dump();
      Decision verdict = decide(Webhook::Validate, create_input(defaulted, version), policy);
      EXPECT_TRUE(verdict.allowed) << file << ": " << verdict.message;
    }
  }
}

TEST(Fixtures, UpdatePairsKeepDataWhereItIs) {
  const auto files = yaml_files("updates");
  ASSERT_GE(files.size(), 2u);
  for (const auto& file : files) {
    for (const Policy& policy : kPolicies) {
      const auto docs = load_yaml_file(file.string()).documents;
      ASSERT_EQ(docs.size(), 2u) << file;
      const json stored = docs[0].patch(decide(Webhook::Mutate, create_input(docs[0]), policy).patch);
      Decision d = decide(Webhook::Mutate, update_input(docs[1], stored), policy);
      const json updated = docs[1].patch(d.patch);
      EXPECT_TRUE(decide(Webhook::Mutate, update_input(updated, stored), policy).patch.empty()) << file;
      Decision verdict = decide(Webhook::Validate, update_input(updated, stored), policy);
      EXPECT_TRUE(verdict.allowed) << file << ": " << verdict.message;
      // Every claim the stored object had is unchanged.
      for (const char* ptr : {"/spec/services/onlineStore/persistence/file/pvc/create",
                              "/spec/services/registry/local/persistence/file/pvc/create"}) {
        const json::json_pointer p(ptr);
        if (stored.contains(p)) {
          EXPECT_EQ(updated.at(p), stored.at(p)) << file << " " << ptr;
        }
      }
    }
  }
}

}  // namespace
}  // namespace feast
