// The fast path converts only the members the rules read (feast::read_paths()). Every
// FeatureStore fixture, as CREATE and as UPDATE over every other fixture, with the shipped
// policies, Namespace labels and Secrets, must get the same decision from the cut-down
// objects as from the whole ones (what `check` and the reference parser decide on).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "admission_review.h"
#include "feature_store.h"
#include "namespace_index.h"
#include "policy_file.h"
#include "secret_manifests.h"
#include "yaml_json.h"

namespace feast {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> feature_stores() {
  std::vector<json> out;
  for (const char* dir : {"featurestores", "updates", "check"}) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(FEAST_FIXTURES_DIR) / dir)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      for (json& doc : load_yaml_file(file.string()).documents) {
        if (doc.value("kind", "") == "FeatureStore") out.push_back(std::move(doc));
      }
    }
  }
  return out;
}

// Variants that make the members the fixtures leave out decide something: the sql
// registry of check/unresolved-var.yaml uses ${DB_PASSWORD} from its Secret, and each
// variant provides it from another container's env or envFrom (a cut that lost one would
// report it unresolved); replicas and autoscaling need DB stores (V9); an object being
// deleted gets no defaults on UPDATE; metadata.namespace and ui.server.env have a schema type.
std::vector<json> variants(const json& unresolved, const json& ephemeral) {
  const json by_value = json::array({{{"name", "DB_PASSWORD"}, {"value", "x"}}});
  const json by_config_map = json::array({{{"prefix", "DB_"}, {"configMapRef", {{"name", "db"}}}}});
  std::vector<json> out;
  for (const char* container : {"/spec/services/onlineStore/server", "/spec/services/offlineStore/server",
                                "/spec/services/registry/local/server", "/spec/services/ui"}) {
    for (const auto& [list, value] : {std::pair{"env", by_value}, std::pair{"envFrom", by_config_map}}) {
      json variant = unresolved;
      variant[json::json_pointer(container) / list] = value;
      out.push_back(std::move(variant));
    }
  }
  const std::pair<const char*, json> set[] = {{"/spec/replicas", 3},
                                              {"/spec/services/scaling/autoscaling", {{"minReplicas", 2}}},
                                              {"/metadata/deletionTimestamp", "2026-01-01T00:00:00Z"},
                                              {"/metadata/namespace", 7},  // schema errors
                                              {"/spec/services/ui/server/env", "A=1"}};
  for (const auto& [member, value] : set) {
    json variant = ephemeral;
    variant[json::json_pointer(member)] = value;
    out.push_back(std::move(variant));
  }
  return out;
}

// Members no rule reads, as the API server sends them, so that the cut has work to do.
json with_unread_members(json object) {
  object["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{}"}};
  object["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}, {"operation", "Update"}}});
  object["status"] = {{"phase", "Ready"}};
  object["spec"]["feastProjectDir"] = {{"git", {{"url", "https://example.com/repo"}}}};
  return object;
}

std::string review_body(const json& object, const json* old_object, const std::string& ns) {
  const std::string api = object.at("apiVersion");
  json request = {{"uid", "u-1"},
                  {"kind", {{"group", "feast.dev"}, {"version", api.substr(api.find('/') + 1)}, {"kind", "FeatureStore"}}},
                  {"operation", old_object ? "UPDATE" : "CREATE"},
                  {"namespace", ns},
                  {"object", object}};
  // On CREATE request.name is left out, as for generateName: the name comes from metadata.
  if (old_object) request["name"] = old_object->at("metadata").value("name", "");
  if (old_object) request["oldObject"] = *old_object;
  return json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}}.dump();
}

std::vector<std::string> texts(const ErrorList& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.text());
  return out;
}

void expect_same(const Decision& cut, const Decision& whole, const std::string& what) {
  EXPECT_EQ(cut.allowed, whole.allowed) << what;
  EXPECT_EQ(cut.patch.dump(), whole.patch.dump()) << what;  // gtest cannot print a json
  EXPECT_EQ(cut.warnings, whole.warnings) << what;
  EXPECT_EQ(cut.audit_annotations, whole.audit_annotations) << what;
  EXPECT_EQ(cut.code, whole.code) << what;
  EXPECT_EQ(cut.message, whole.message) << what;
  EXPECT_EQ(texts(cut.causes), texts(whole.causes)) << what;
  EXPECT_EQ(texts(cut.audited), texts(whole.audited)) << what;
  EXPECT_EQ(cut.rules_hit, whole.rules_hit) << what;
}

TEST(ReadPaths, CutDownObjectsGetTheDecisionsOfTheWholeOnes) {
  std::vector<json> stores = feature_stores();
  ASSERT_GE(stores.size(), 15u);
  auto named = [&](const std::string& name) {
    return std::find_if(stores.begin(), stores.end(),
                        [&](const json& s) { return s.at("metadata").value("name", "") == name; });
  };
  ASSERT_NE(named("sql-registry"), stores.end());
  ASSERT_NE(named("sample-services"), stores.end());
  for (json& variant : variants(*named("sql-registry"), *named("sample-services"))) stores.push_back(std::move(variant));
  const std::string secrets_file = std::string(FEAST_FIXTURES_DIR) + "/check/secrets.yaml";
  std::vector<std::string> problems;
  const auto secrets = load_secret_index(secrets_file, &problems);
  ASSERT_TRUE(problems.empty()) << problems.front();
  NamespaceIndex namespaces;
  for (const json& doc : load_yaml_file(secrets_file).documents) {
    if (auto ns = namespace_from_object(doc)) namespaces.upsert(ns->first, ns->second);
  }
  ASSERT_TRUE(namespaces.labels("payments").has_value());

  std::vector<std::pair<std::string, Policy>> policies{{"built-in", Policy::builtin()},
                                                       {"built-in pvc", Policy::builtin(PersistenceMode::Pvc)}};
  for (const char* file : {"production.yaml", "dev.yaml"}) {
    PolicyLoad load = load_policy_file(std::string(FEAST_POLICY_DIR) + "/" + file);
    ASSERT_TRUE(load.policy) << file << ": " << load.error;
    policies.emplace_back(file, std::move(*load.policy));
  }

  int decisions = 0, denied = 0, patched = 0;
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const json object = with_unread_members(stores[i]);
    for (std::size_t j = 0; j <= stores.size(); ++j) {  // j == size: CREATE
      const json old_object = j < stores.size() ? with_unread_members(stores[j]) : json();
      const json* old = j < stores.size() ? &old_object : nullptr;
      const json own = object.at("metadata").value("namespace", json());
      for (const std::string& ns : {own.is_string() ? own.get<std::string>() : "feast", std::string("payments")}) {
        DecodeResult decoded = decode_admission_review(review_body(object, old, ns));
        ASSERT_NE(decoded.review, nullptr) << decoded.error;
        const AdmissionInput& cut = decoded.review->input;
        ASSERT_NE(cut.object->dump(), object.dump()) << "the fast path converted members no rule reads";
        ASSERT_EQ(cut.object->dump(), copy_along(object, read_paths()).dump());
        AdmissionInput whole = cut;
        whole.object = &object;
        whole.old_object = old;
        for (const auto& [name, policy] : policies) {
          const DecisionContext ctx{policy, &namespaces, secrets.get()};
          for (Webhook webhook : {Webhook::Mutate, Webhook::Validate}) {
            const Decision expected = decide(webhook, whole, ctx);
            expect_same(decide(webhook, cut, ctx), expected,
                        "fixture " + std::to_string(i) + " old " + std::to_string(j) + " ns " + ns +
                            " policy " + name + (webhook == Webhook::Mutate ? " mutate" : " validate"));
            ++decisions;
            denied += expected.allowed ? 0 : 1;
            patched += expected.patch.empty() ? 0 : 1;
          }
        }
      }
    }
  }
  // The comparison covered allowed, denied and patched answers alike.
  EXPECT_GT(denied, decisions / 20);
  EXPECT_GT(patched, decisions / 20);
  EXPECT_GT(decisions - denied, decisions / 20);
}

}  // namespace
}  // namespace feast
