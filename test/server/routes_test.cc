// The admission routes as the API server and misbehaving clients reach them, without
// sockets: every answer of SPEC section 5, and a decision on each of the four paths.
#include "routes.h"

#include <gtest/gtest.h>

#include "policy.h"

namespace feast {
namespace {

using nlohmann::json;

const Policy& policy() {
  static const Policy builtin = Policy::builtin();
  return builtin;
}

std::string create_review(const std::string& version = "v1",
                          const std::string& api_version = "admission.k8s.io/v1") {
  return json{{"apiVersion", api_version},
              {"kind", "AdmissionReview"},
              {"request",
               {{"uid", "uid-1"},
                {"kind", {{"group", "feast.dev"}, {"version", version}, {"kind", "FeatureStore"}}},
                {"resource", {{"group", "feast.dev"}, {"version", version}, {"resource", "featurestores"}}},
                {"namespace", "team-a"},
                {"name", "sample"},
                {"operation", "CREATE"},
                {"object",
                 {{"apiVersion", "feast.dev/" + version},
                  {"kind", "FeatureStore"},
                  {"metadata", {{"name", "sample"}, {"namespace", "team-a"}}},
                  {"spec", {{"feastProject", "sample"}}}}}}}}
      .dump();
}

HttpAnswer post(std::string_view target, std::string_view body,
                std::string_view content_type = "application/json") {
  return answer_admission(HttpRequestView{"POST", target, content_type, body}, DecisionContext{policy()});
}

TEST(Routes, UnknownPathIs404) {
  for (std::string_view target : {"/", "/mutate", "/mutate-feast-dev-v2-featurestore",
                                  "/validate-feast-dev-v1-featurestore/extra",
                                  "//validate-feast-dev-v1-featurestore"}) {
    const HttpAnswer answer = post(target, create_review());
    EXPECT_EQ(answer.status, 404u) << target;
    EXPECT_EQ(answer.content_type, "text/plain; charset=utf-8");
    EXPECT_FALSE(answer.decision.has_value());
  }
}

TEST(Routes, NotPostIs405WithAllow) {
  for (std::string_view method : {"GET", "PUT", "DELETE", "HEAD", "PATCH"}) {
    const HttpAnswer answer = answer_admission(
        HttpRequestView{method, "/mutate-feast-dev-v1-featurestore", "application/json",
                        create_review()},
        DecisionContext{policy()});
    EXPECT_EQ(answer.status, 405u) << method;
    EXPECT_TRUE(answer.allow_post);
  }
}

TEST(Routes, NotJsonIs415) {
  for (std::string_view type : {"", "text/plain", "application/yaml", "application/jsonx",
                                "application/json-patch+json"}) {
    EXPECT_EQ(post("/validate-feast-dev-v1-featurestore", create_review(), type).status, 415u)
        << type;
  }
}

TEST(Routes, JsonMediaTypeParametersAndCaseAreAccepted) {
  for (std::string_view type : {"application/json", "application/json; charset=utf-8",
                                "Application/JSON", " application/json ;charset=UTF-8"}) {
    EXPECT_EQ(post("/validate-feast-dev-v1-featurestore", create_review(), type).status, 200u)
        << type;
  }
}

TEST(Routes, NotAnAdmissionReviewIs400) {
  for (std::string_view body : {"", "not json", "{}", R"({"apiVersion":"v1","kind":"Pod"})"}) {
    const HttpAnswer answer = post("/mutate-feast-dev-v1-featurestore", body);
    EXPECT_EQ(answer.status, 400u) << body;
    EXPECT_EQ(answer.content_type, "text/plain; charset=utf-8");
  }
}

TEST(Routes, QueryStringIsIgnored) {
  EXPECT_EQ(post("/validate-feast-dev-v1-featurestore?timeout=10s", create_review()).status,
            200u);
}

TEST(Routes, EveryRouteAcceptsBothFeatureStoreVersions) {
  for (std::string_view route :
       {"/mutate-feast-dev-v1-featurestore", "/mutate-feast-dev-v1alpha1-featurestore",
        "/validate-feast-dev-v1-featurestore", "/validate-feast-dev-v1alpha1-featurestore"}) {
    for (std::string version : {"v1", "v1alpha1"}) {
      const HttpAnswer answer = post(route, create_review(version));
      ASSERT_EQ(answer.status, 200u) << route << " " << version;
      EXPECT_EQ(answer.content_type, "application/json");
      const json out = json::parse(answer.body);
      EXPECT_EQ(out["response"]["uid"], "uid-1");
      ASSERT_TRUE(answer.decision.has_value());
      EXPECT_EQ(answer.decision->version, version);
    }
  }
}

TEST(Routes, MutateRouteDefaultsAndValidateRouteOnlyJudges) {
  const HttpAnswer mutated = post("/mutate-feast-dev-v1-featurestore", create_review());
  const json mutate_response = json::parse(mutated.body)["response"];
  EXPECT_EQ(mutate_response["patchType"], "JSONPatch");
  EXPECT_EQ(mutated.decision->webhook, Webhook::Mutate);
  EXPECT_GT(mutated.decision->patch_ops, 0u);

  const HttpAnswer validated = post("/validate-feast-dev-v1-featurestore", create_review());
  const json validate_response = json::parse(validated.body)["response"];
  EXPECT_EQ(validate_response["allowed"], true);
  EXPECT_FALSE(validate_response.contains("patch"));
  EXPECT_EQ(validated.decision->webhook, Webhook::Validate);
}

TEST(Routes, ResponseMirrorsV1beta1) {
  const HttpAnswer answer =
      post("/validate-feast-dev-v1-featurestore", create_review("v1", "admission.k8s.io/v1beta1"));
  EXPECT_EQ(json::parse(answer.body)["apiVersion"], "admission.k8s.io/v1beta1");
}

TEST(Routes, DenialIsA200WithAllowedFalse) {
  json review = json::parse(create_review());
  review["request"]["object"]["spec"]["services"] = {
      {"onlineStore",
       {{"persistence", {{"store", {{"type", "mysqll"}, {"secretRef", {{"name", "s"}}}}}}}}}};
  const HttpAnswer answer = post("/validate-feast-dev-v1-featurestore", review.dump());
  ASSERT_EQ(answer.status, 200u);
  const json response = json::parse(answer.body)["response"];
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"]["code"], 422);
  EXPECT_EQ(response["status"]["reason"], "Invalid");
  EXPECT_FALSE(answer.decision->allowed);
}

}  // namespace
}  // namespace feast
