// `feast-admission check`, run as a CI pipeline would: the real binary on real files.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include "yaml_json.h"

namespace {

struct CommandRun {
  int exit_code = -1;
  std::string out;  // stdout
};

const std::string kFixtures = std::string(FEAST_FIXTURES_DIR) + "/check/";

// Runs `feast-admission check <args>`; stderr goes to stdout unless split.
CommandRun check(const std::string& args, bool merge_stderr = true) {
  const std::string cmd = std::string(FEAST_BINARY) + " check " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CommandRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(CheckCommand, MixedKindsOnlyFeatureStoresChecked) {
  CommandRun r = check("-f " + kFixtures + "mixed.yaml --secrets " + kFixtures + "secrets.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("featurestore.feast.dev/online-redis"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("featurestore.feast.dev/plain"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("unrelated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("defaulted: spec.services"), std::string::npos) << r.out;
}

TEST(CheckCommand, MissingSecretDeniesLikeKubectl) {
  CommandRun r = check("-f " + kFixtures + "missing-secret.yaml --secrets " + kFixtures + "secrets.yaml");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("Error from server (Invalid): error when creating \"" + kFixtures + "missing-secret.yaml\""),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FeatureStore.feast.dev \"no-secret\" is invalid: spec.services.onlineStore.persistence.store.secretRef.name: Not found: \"does-not-exist\""),
            std::string::npos) << r.out;
}

TEST(CheckCommand, UnresolvedVariableWarns) {
  CommandRun r = check("-f " + kFixtures + "unresolved-var.yaml --secrets " + kFixtures + "secrets.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Warning: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DB_PASSWORD"), std::string::npos) << r.out;
}

TEST(CheckCommand, PolicyAndNamespaceLabels) {
  const std::string policy = std::string(FEAST_POLICY_DIR) + "/production.yaml";
  CommandRun prod = check("-f " + kFixtures + "production-ephemeral.yaml --namespace payments --policy " + policy +
                   " --secrets " + kFixtures + "secrets.yaml");
  EXPECT_EQ(prod.exit_code, 1) << prod.out;
  EXPECT_NE(prod.out.find("ephemeral (emptyDir) persistence is not allowed by policy rule \"production-labelled\""),
            std::string::npos) << prod.out;
  CommandRun other = check("-f " + kFixtures + "production-ephemeral.yaml --namespace sandbox --policy " + policy);
  EXPECT_EQ(other.exit_code, 0) << other.out;
}

TEST(CheckCommand, OutputYamlIsTheDefaultedObject) {
  CommandRun r = check("-f " + kFixtures + "mixed.yaml --secrets " + kFixtures + "secrets.yaml -o yaml", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  feast::YamlLoad docs = feast::parse_yaml(r.out, "stdout");
  ASSERT_TRUE(docs.ok()) << docs.error;
  ASSERT_EQ(docs.documents.size(), 2u);
  EXPECT_EQ(docs.documents[1].at(nlohmann::json::json_pointer("/spec/services/onlineStore/persistence/file/path")),
            "/feast-data/online_store.db");
  CommandRun j = check("-f " + kFixtures + "mixed.yaml --secrets " + kFixtures + "secrets.yaml -o json", false);
  nlohmann::json list = nlohmann::json::parse(j.out);
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"].size(), 2u);
}

TEST(CheckCommand, BadInputExitsTwo) {
  CommandRun bad = check("-f " + kFixtures + "bad.yaml");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("bad.yaml:"), std::string::npos) << bad.out;
  EXPECT_EQ(check("-f /nonexistent.yaml").exit_code, 2);
  EXPECT_EQ(check("-f " + kFixtures + "mixed.yaml -o xml").exit_code, 2);
  EXPECT_EQ(check("").exit_code, 2);
  EXPECT_EQ(check("-f " + kFixtures + "secrets.yaml").exit_code, 2);  // no FeatureStore in it
  CommandRun bad_policy = check("-f " + kFixtures + "mixed.yaml --policy " + kFixtures + "secrets.yaml");
  EXPECT_EQ(bad_policy.exit_code, 2) << bad_policy.out;
}

}  // namespace
