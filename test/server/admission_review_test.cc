// The AdmissionReview codec: what kube-apiserver sends is decoded field by field, anything
// else is refused, and the response has exactly the shape the API server reads.
#include "admission_review.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace feast {
namespace {

using nlohmann::json;

json review(std::string api_version = "admission.k8s.io/v1") {
  return json{{"apiVersion", api_version},
              {"kind", "AdmissionReview"},
              {"request",
               {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
                {"kind", {{"group", "feast.dev"}, {"version", "v1alpha1"}, {"kind", "FeatureStore"}}},
                {"resource", {{"group", "feast.dev"}, {"version", "v1alpha1"}, {"resource", "featurestores"}}},
                {"subResource", "status"},
                {"namespace", "team-a"},
                {"name", "sample"},
                {"operation", "UPDATE"},
                {"dryRun", true},
                {"userInfo", {{"username", "admin"}}},
                {"object", {{"metadata", {{"name", "sample"}}}, {"spec", {{"feastProject", "p"}, {"replicas", 1}}}}},
                {"oldObject", {{"metadata", {{"name", "sample"}}}, {"spec", json::object()}}}}}};
}

// Decodes with OpenSSL, an implementation independent of the one under test.
std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return "<invalid base64>";
  std::size_t size = static_cast<std::size_t>(n);
  if (text.size() >= 1 && text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

TEST(DecodeAdmissionReview, ReadsEveryRequestFieldTheRulesUse) {
  const json body = review();
  DecodeResult decoded = decode_admission_review(body.dump());
  ASSERT_NE(decoded.review, nullptr) << decoded.error;
  const AdmissionReviewRequest& r = *decoded.review;
  EXPECT_EQ(r.api_version, "admission.k8s.io/v1");
  EXPECT_EQ(r.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(r.input.operation, "UPDATE");
  EXPECT_EQ(r.input.group, "feast.dev");
  EXPECT_EQ(r.input.version, "v1alpha1");
  EXPECT_EQ(r.input.kind, "FeatureStore");
  EXPECT_EQ(r.input.sub_resource, "status");
  EXPECT_EQ(r.input.namespace_name, "team-a");
  EXPECT_EQ(r.input.name, "sample");
  EXPECT_TRUE(r.input.dry_run);
  ASSERT_NE(r.input.object, nullptr);
  // spec.feastProject is not among the members the rules read (feast::read_paths()).
  EXPECT_EQ(*r.input.object, json::parse(R"({"metadata":{"name":"sample"},"spec":{"replicas":1}})"));
  ASSERT_NE(r.input.old_object, nullptr);
  EXPECT_EQ(*r.input.old_object, body["request"]["oldObject"]);
}

// A caller that keeps kBodyPadding bytes after the body has it parsed in place: the same
// review comes out, and the bytes after the body are not read as JSON.
TEST(DecodeAdmissionReview, PaddedBodyDecodesAsTheCopiedOne) {
  const std::string body = review().dump();
  for (char filler : {'\0', '}', ' '}) {
    std::string padded = body + std::string(kBodyPadding, filler);
    DecodeResult in_place = decode_admission_review(std::string_view(padded.data(), body.size()), true);
    DecodeResult copied = decode_admission_review(body);
    ASSERT_NE(in_place.review, nullptr) << in_place.error;
    ASSERT_NE(copied.review, nullptr) << copied.error;
    EXPECT_EQ(in_place.review->uid, copied.review->uid);
    EXPECT_EQ(*in_place.review->input.object, *copied.review->input.object);
    EXPECT_EQ(*in_place.review->input.old_object, *copied.review->input.old_object);
  }
  std::string truncated = body.substr(0, body.size() - 1) + std::string(kBodyPadding, '}');
  DecodeResult bad = decode_admission_review(std::string_view(truncated.data(), body.size() - 1), true);
  EXPECT_EQ(bad.review, nullptr);
  EXPECT_EQ(bad.error, "request body is not valid JSON");
}

TEST(DecodeAdmissionReview, AcceptsV1beta1) {
  DecodeResult decoded = decode_admission_review(review("admission.k8s.io/v1beta1").dump());
  ASSERT_NE(decoded.review, nullptr) << decoded.error;
  EXPECT_EQ(decoded.review->api_version, "admission.k8s.io/v1beta1");
}

TEST(DecodeAdmissionReview, DeleteHasNoObject) {
  json body = review();
  body["request"]["operation"] = "DELETE";
  body["request"]["object"] = nullptr;
  body["request"].erase("subResource");
  body["request"].erase("dryRun");
  DecodeResult decoded = decode_admission_review(body.dump());
  ASSERT_NE(decoded.review, nullptr) << decoded.error;
  EXPECT_EQ(decoded.review->input.object, nullptr);
  EXPECT_NE(decoded.review->input.old_object, nullptr);
  EXPECT_EQ(decoded.review->input.sub_resource, "");
  EXPECT_FALSE(decoded.review->input.dry_run);
}

// The body is read by simdjson when it can be, by nlohmann::json otherwise; what the rules
// see must not depend on which one did.
TEST(DecodeAdmissionReview, KeepsWhatTheRulesReadAndDropsTheRest) {
  json body = review();
  body["request"]["object"] = json::parse(R"({
    "apiVersion": "feast.dev/v1", "kind": "FeatureStore",
    "metadata": {"name": "sample", "namespace": "team-a", "deletionTimestamp": "2024-01-01T00:00:00Z",
                 "labels": {"app": "feast"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"feastProject": "p", "replicas": 3,
             "services": {
               "onlineStore": {"persistence": {"store": {"type": "redis", "x-unknown": [1]}},
                               "server": {"image": "feast:1", "env": [{"name": "A", "value": "1"}],
                                          "resources": {"limits": {"cpu": "1"}}}},
               "offlineStore": {"server": {"envFrom": [{"secretRef": {"name": "s"}}]}},
               "registry": {"remote": {"hostname": "h", "ratio": -1.5, "offset": -2,
                                       "big": 18446744073709551615, "flag": false, "none": null,
                                       "list": [1, "two", {}]}},
               "ui": {"resources": {"requests": {"cpu": "1"}}}}},
    "status": {"phase": "Ready"}})");
  DecodeResult decoded = decode_admission_review(body.dump());
  ASSERT_NE(decoded.review, nullptr) << decoded.error;
  const json& object = *decoded.review->input.object;
  EXPECT_EQ(object, json::parse(R"({
    "metadata": {"name": "sample", "namespace": "team-a", "deletionTimestamp": "2024-01-01T00:00:00Z"},
    "spec": {"replicas": 3,
             "services": {
               "onlineStore": {"persistence": {"store": {"type": "redis", "x-unknown": [1]}},
                               "server": {"env": [{"name": "A", "value": "1"}]}},
               "offlineStore": {"server": {"envFrom": [{"secretRef": {"name": "s"}}]}},
               "registry": {"remote": {"hostname": "h", "ratio": -1.5, "offset": -2,
                                       "big": 18446744073709551615, "flag": false, "none": null,
                                       "list": [1, "two", {}]}},
               "ui": {}}}})"));
  const json& remote = object["spec"]["services"]["registry"]["remote"];
  EXPECT_TRUE(object["spec"]["replicas"].is_number_unsigned());  // as nlohmann parses 3
  EXPECT_TRUE(remote["offset"].is_number_integer());
  EXPECT_TRUE(remote["ratio"].is_number_float());
}

TEST(DecodeAdmissionReview, LastDuplicateMemberWinsAsInNlohmann) {
  const std::string body =
      R"({"apiVersion":"admission.k8s.io/v1beta1","apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)"
      R"("request":{"uid":"a","uid":"b","operation":"CREATE","object":{"spec":{"replicas":1,"replicas":2}},)"
      R"("object":{"spec":{"replicas":3,"replicas":4},"metadata":{"name":"n","name":"m"}}}})";
  DecodeResult decoded = decode_admission_review(body);
  ASSERT_NE(decoded.review, nullptr) << decoded.error;
  EXPECT_EQ(decoded.review->api_version, "admission.k8s.io/v1");
  EXPECT_EQ(decoded.review->uid, "b");
  EXPECT_EQ(*decoded.review->input.object, json::parse(R"({"spec":{"replicas":4},"metadata":{"name":"m"}})"));
}

// JSON that nlohmann accepts and simdjson's fast path does not take (a UTF-8 BOM, an
// integer beyond 64 bits) is still an AdmissionReview.
TEST(DecodeAdmissionReview, AcceptsWhatNlohmannAccepts) {
  DecodeResult bom = decode_admission_review("\xEF\xBB\xBF" + review().dump());
  ASSERT_NE(bom.review, nullptr) << bom.error;
  EXPECT_EQ(bom.review->uid, "705ab4f5-6393-11e8-b7cc-42010a800002");

  std::string big = review().dump();
  big.replace(big.find("\"feastProject\""), 0, "\"big\":18446744073709551616,");
  DecodeResult bigint = decode_admission_review(big);
  ASSERT_NE(bigint.review, nullptr) << bigint.error;
  EXPECT_TRUE((*bigint.review->input.object)["spec"]["big"].is_number_float());

  std::string deep = review().dump();
  deep.replace(deep.find("\"feastProject\""), 0,
               "\"deep\":" + std::string(1000, '[') + std::string(1000, ']') + ",");
  DecodeResult nested = decode_admission_review(deep);
  ASSERT_NE(nested.review, nullptr) << nested.error;
  EXPECT_EQ(nested.review->input.operation, "UPDATE");
}

// Far deeper than any Kubernetes object: refused, so no recursive walk can overflow.
TEST(DecodeAdmissionReview, RefusesPathologicalNesting) {
  for (int levels : {1500, 100000}) {
    std::string deep = review().dump();
    deep.replace(deep.find("\"feastProject\""), 0,
                 "\"deep\":" + std::string(levels, '[') + std::string(levels, ']') + ",");
    DecodeResult nested = decode_admission_review(deep);
    EXPECT_EQ(nested.review, nullptr) << levels;
    EXPECT_NE(nested.error.find("nested deeper than 1024 levels"), std::string::npos) << nested.error;
  }
}

struct BadBody {
  const char* name;
  std::string body;
};

class DecodeRefuses : public testing::TestWithParam<BadBody> {};

TEST_P(DecodeRefuses, WithAShortReason) {
  DecodeResult decoded = decode_admission_review(GetParam().body);
  EXPECT_EQ(decoded.review, nullptr);
  EXPECT_FALSE(decoded.error.empty());
  EXPECT_LT(decoded.error.size(), 200u);
}

json with(const char* pointer, json value) {
  json body = review();
  body[json::json_pointer(pointer)] = std::move(value);
  return body;
}

json without(const char* parent, const char* key) {
  json body = review();
  body[json::json_pointer(parent)].erase(key);
  return body;
}

INSTANTIATE_TEST_SUITE_P(
    NotAnAdmissionReview, DecodeRefuses,
    testing::Values(BadBody{"Empty", ""}, BadBody{"BadJson", "{\"apiVersion\":"},
                    BadBody{"Array", "[]"}, BadBody{"String", "\"AdmissionReview\""},
                    BadBody{"NoApiVersion", without("", "apiVersion").dump()},
                    BadBody{"WrongApiVersion", with("/apiVersion", "admission.k8s.io/v2").dump()},
                    BadBody{"WrongKind", with("/kind", "Pod").dump()},
                    BadBody{"NoRequest", without("", "request").dump()},
                    BadBody{"RequestNotObject", with("/request", "x").dump()},
                    BadBody{"NoUid", without("/request", "uid").dump()},
                    BadBody{"UidNotString", with("/request/uid", 42).dump()},
                    BadBody{"OperationNotString", with("/request/operation", true).dump()},
                    BadBody{"KindNotObject", with("/request/kind", "FeatureStore").dump()},
                    BadBody{"VersionNotString", with("/request/kind/version", 1).dump()},
                    BadBody{"DryRunNotBool", with("/request/dryRun", "true").dump()},
                    BadBody{"ObjectNotObject", with("/request/object", json::array()).dump()},
                    BadBody{"OldObjectNotObject", with("/request/oldObject", "x").dump()},
                    BadBody{"LoneSurrogate", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\ud800"}})"},
                    BadBody{"TrailingGarbage", review().dump() + " x"},
                    BadBody{"InvalidUtf8", "{\"apiVersion\":\"\xff\"}"}),
    [](const testing::TestParamInfo<BadBody>& info) { return info.param.name; });

json encode(const Decision& decision, const std::string& api_version = "admission.k8s.io/v1") {
  DecodeResult decoded = decode_admission_review(review(api_version).dump());
  EXPECT_NE(decoded.review, nullptr);
  return json::parse(encode_admission_response(*decoded.review, decision));
}

TEST(EncodeAdmissionResponse, AllowedWithoutPatchCarriesOnlyUidAndAllowed) {
  const json out = encode(Decision{});
  EXPECT_EQ(out, json::parse(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
      "response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}})"));
}

TEST(EncodeAdmissionResponse, MirrorsV1beta1) {
  const json out = encode(Decision{}, "admission.k8s.io/v1beta1");
  EXPECT_EQ(out["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_EQ(out["kind"], "AdmissionReview");
}

TEST(EncodeAdmissionResponse, PatchIsBase64JsonPatchWithPatchType) {
  Decision decision;
  decision.patch = json::parse(
      R"([{"op":"add","path":"/spec/services/onlineStore","value":{"persistence":{"file":{"path":"/feast-data/online_store.db"}}}}])");
  decision.audit_annotations["defaulted"] = "spec.services.onlineStore.persistence";
  const json response = encode(decision)["response"];
  EXPECT_EQ(response["patchType"], "JSONPatch");
  EXPECT_EQ(json::parse(base64_decode(response["patch"].get<std::string>())), decision.patch);
  EXPECT_EQ(response["auditAnnotations"],
            (json{{"defaulted", "spec.services.onlineStore.persistence"}}));
  EXPECT_FALSE(response.contains("status"));
}

TEST(EncodeAdmissionResponse, WarningsWhenAny) {
  Decision decision;
  decision.warnings = {"first", "second"};
  EXPECT_EQ(encode(decision)["response"]["warnings"], (json{"first", "second"}));
}

TEST(EncodeAdmissionResponse, DenialIsAnApiServerStatusError) {
  Decision decision;
  decision.allowed = false;
  decision.code = 422;
  decision.reason = "Invalid";
  decision.object_name = "sample";
  decision.causes.push_back(not_supported(
      FieldPath("spec").child("services").child("onlineStore").child("persistence").child("store").child("type"),
      "mysqll", {"redis", "postgres"}, "V1"));
  decision.causes.push_back(required(FieldPath("spec").child("services").child("registry"),
                                     "", "V9"));
  decision.message = "FeatureStore.feast.dev \"sample\" is invalid: " +
                     aggregate_message(decision.causes);
  const json response = encode(decision)["response"];
  EXPECT_EQ(response["allowed"], false);
  EXPECT_FALSE(response.contains("patch"));
  EXPECT_FALSE(response.contains("patchType"));
  const json expected_status = {
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message", decision.message},
      {"reason", "Invalid"},
      {"details",
       {{"name", "sample"},
        {"group", "feast.dev"},
        {"kind", "FeatureStore"},
        {"causes",
         {{{"reason", "FieldValueNotSupported"},
           {"message", decision.causes[0].body()},
           {"field", "spec.services.onlineStore.persistence.store.type"}},
          {{"reason", "FieldValueRequired"},
           {"message", decision.causes[1].body()},
           {"field", "spec.services.registry"}}}}}},
      {"code", 422}};
  EXPECT_EQ(response["status"], expected_status);
  EXPECT_EQ(decision.causes[0].body().rfind("Unsupported value: \"mysqll\"", 0), 0u)
      << decision.causes[0].body();
}

// The answer is written as text (json_text.h), not dumped by nlohmann: it must still be
// exactly nlohmann's compact dump of itself (a round trip through ordered_json keeps member
// order, so any other escaping, spacing or number form shows), and carry what was put in.
TEST(EncodeAdmissionResponse, TextIsNlohmannsOwnDumpWhateverTheStringsHold) {
  const std::vector<std::string> strings = {
      "705ab4f5-6393-11e8-b7cc-42010a800002", "quote \" backslash \\ slash /",
      std::string("controls \x01\x1f\b\f\n\r\t end"), "ünïcödé ✓ 🙂", "", "del \x7f"};
  using ordered = nlohmann::ordered_json;
  for (const std::string& text : strings) {
    SCOPED_TRACE(testing::PrintToString(text));
    for (int shape = 0; shape < 4; ++shape) {
      AdmissionReviewRequest request;
      request.api_version = "admission.k8s.io/v1";
      request.uid = text;
      Decision decision;
      if (shape == 1 || shape == 3) {
        decision.patch = json::array({{{"op", "add"}, {"path", "/spec/x"}, {"value", text}}});
        decision.warnings = {text, "second " + text};
      }
      if (shape == 2 || shape == 3) {
        decision.allowed = false;
        decision.code = 403;
        decision.reason = "Forbidden";
        decision.message = "denied: " + text;
        decision.object_name = text;
        decision.causes.push_back(required(FieldPath("spec").child("services"), text, "V9"));
        decision.audit_annotations = {{"feast.dev/" + std::to_string(shape), text}, {"a", "b"}};
      }
      const std::string out = encode_admission_response(request, decision);
      const ordered round_trip = ordered::parse(out);
      EXPECT_EQ(out, round_trip.dump()) << "shape " << shape;
      EXPECT_EQ(round_trip["apiVersion"].dump(), "\"admission.k8s.io/v1\"");
      EXPECT_EQ(round_trip["kind"].dump(), "\"AdmissionReview\"");
      const ordered& response = round_trip["response"];
      EXPECT_EQ(response["uid"].dump(), ordered(text).dump());
      EXPECT_EQ(response["allowed"].dump(), decision.allowed ? "true" : "false");
      EXPECT_EQ(response.contains("patch"), !decision.patch.empty());
      if (!decision.patch.empty()) {
        EXPECT_EQ(response["patchType"].dump(), "\"JSONPatch\"");
        EXPECT_EQ(json::parse(base64_decode(response["patch"].get<std::string>())).dump(), decision.patch.dump());
      }
      EXPECT_EQ(response.contains("warnings"), !decision.warnings.empty());
      if (!decision.warnings.empty()) {
        EXPECT_EQ(response["warnings"].dump(), ordered(decision.warnings).dump());
      }
      EXPECT_EQ(response.contains("status"), !decision.allowed);
      if (!decision.allowed) {
        EXPECT_EQ(response["status"]["message"].dump(), ordered(decision.message).dump());
        // details.name is left out for an empty name (at() and value(): a const operator[] on
        // an absent member is undefined behaviour in nlohmann).
        EXPECT_EQ(response.at("status").at("details").value("name", std::string()), text);
        EXPECT_EQ(response["auditAnnotations"].dump(), ordered(decision.audit_annotations).dump());
      }
      // gtest would recurse for ever printing a json: values are compared as dumps.
      // Member order is the documented one: apiVersion, kind, then response's own.
      std::vector<std::string> keys;
      for (const auto& [key, value] : response.items()) keys.push_back(key);
      std::vector<std::string> expected = {"uid", "allowed"};
      if (!decision.patch.empty()) expected.insert(expected.end(), {"patchType", "patch"});
      if (!decision.allowed) expected.push_back("status");
      if (!decision.warnings.empty()) expected.push_back("warnings");
      if (!decision.audit_annotations.empty()) expected.push_back("auditAnnotations");
      EXPECT_EQ(keys, expected);
    }
  }
}

// Invalid UTF-8 (a uid is the client's) is replaced by U+FFFD, as nlohmann's dump with
// error_handler_t::replace does, so the answer stays valid JSON.
TEST(EncodeAdmissionResponse, InvalidUtf8BecomesReplacementCharacters) {
  AdmissionReviewRequest request;
  request.api_version = "admission.k8s.io/v1";
  request.uid = "bad \xff\xfe uid";
  Decision decision;
  decision.warnings = {"bad \xc3 warning"};
  const std::string out = encode_admission_response(request, decision);
  const auto parsed = nlohmann::ordered_json::parse(out);
  EXPECT_EQ(parsed["response"]["uid"].get<std::string>(), "bad \xEF\xBF\xBD\xEF\xBF\xBD uid");
  EXPECT_EQ(parsed["response"]["warnings"][0].get<std::string>(), "bad \xEF\xBF\xBD warning");
  EXPECT_EQ(out, parsed.dump());
}

TEST(Base64, MatchesRfc4648TestVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

}  // namespace
}  // namespace feast
