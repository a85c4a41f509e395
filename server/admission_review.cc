#include "admission_review.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace feast {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::array<std::string_view, 2> kApiVersions = {"admission.k8s.io/v1",
                                                          "admission.k8s.io/v1beta1"};

DecodeResult fail(std::string message) { return DecodeResult{nullptr, std::move(message)}; }

// Copies an optional string member into `out`. False when the member has another type.
bool optional_string(const json& parent, const char* key, std::string& out) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// An optional object member: absent or null gives nullptr.
bool optional_object(const json& parent, const char* key, const json*& out) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return true;
  if (!it->is_object()) return false;
  out = &*it;
  return true;
}

}  // namespace

DecodeResult decode_admission_review(std::string_view body) {
  auto review = std::make_unique<AdmissionReviewRequest>();
  review->document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  const json& doc = review->document;
  if (doc.is_discarded()) return fail("request body is not valid JSON");
  if (!doc.is_object()) return fail("request body is not a JSON object");

  auto api_version = doc.find("apiVersion");
  if (api_version == doc.end() || !api_version->is_string()) {
    return fail("not an AdmissionReview: apiVersion is missing");
  }
  review->api_version = api_version->get<std::string>();
  if (std::find(kApiVersions.begin(), kApiVersions.end(), review->api_version) ==
      kApiVersions.end()) {
    return fail("unsupported AdmissionReview apiVersion \"" + review->api_version +
                "\": expected admission.k8s.io/v1 or admission.k8s.io/v1beta1");
  }
  auto kind = doc.find("kind");
  if (kind == doc.end() || *kind != "AdmissionReview") {
    return fail("not an AdmissionReview: kind must be \"AdmissionReview\"");
  }
  auto request_it = doc.find("request");
  if (request_it == doc.end() || !request_it->is_object()) {
    return fail("AdmissionReview has no request object");
  }
  const json& request = *request_it;

  auto uid = request.find("uid");
  if (uid == request.end() || !uid->is_string()) {
    return fail("AdmissionReview request.uid must be a string");
  }
  review->uid = uid->get<std::string>();

  AdmissionInput& input = review->input;
  for (auto [key, target] : {std::pair<const char*, std::string*>{"operation", &input.operation},
                             {"subResource", &input.sub_resource},
                             {"namespace", &input.namespace_name},
                             {"name", &input.name}}) {
    if (!optional_string(request, key, *target)) {
      return fail(std::string("AdmissionReview request.") + key + " must be a string");
    }
  }

  const json* gvk = nullptr;
  if (!optional_object(request, "kind", gvk)) {
    return fail("AdmissionReview request.kind must be an object");
  }
  if (gvk != nullptr) {
    for (auto [key, target] : {std::pair<const char*, std::string*>{"group", &input.group},
                               {"version", &input.version},
                               {"kind", &input.kind}}) {
      if (!optional_string(*gvk, key, *target)) {
        return fail(std::string("AdmissionReview request.kind.") + key + " must be a string");
      }
    }
  }

  if (auto dry_run = request.find("dryRun"); dry_run != request.end() && !dry_run->is_null()) {
    if (!dry_run->is_boolean()) return fail("AdmissionReview request.dryRun must be a boolean");
    input.dry_run = dry_run->get<bool>();
  }
  if (!optional_object(request, "object", input.object)) {
    return fail("AdmissionReview request.object must be an object");
  }
  if (!optional_object(request, "oldObject", input.old_object)) {
    return fail("AdmissionReview request.oldObject must be an object");
  }
  return DecodeResult{std::move(review), {}};
}

namespace {

// metav1.Status as kube-apiserver writes a StatusError (field order included).
ordered_json failure_status(const Decision& decision) {
  ordered_json status;
  status["metadata"] = ordered_json::object();
  status["status"] = "Failure";
  if (!decision.message.empty()) status["message"] = decision.message;
  if (!decision.reason.empty()) status["reason"] = decision.reason;
  ordered_json details;
  if (!decision.object_name.empty()) details["name"] = decision.object_name;
  details["group"] = "feast.dev";
  details["kind"] = "FeatureStore";
  if (!decision.causes.empty()) {
    ordered_json causes = ordered_json::array();
    for (const FieldError& error : decision.causes) {
      ordered_json cause;
      cause["reason"] = std::string(reason_type(error.reason));
      cause["message"] = error.body();
      if (!error.field.empty()) cause["field"] = error.field;
      causes.push_back(std::move(cause));
    }
    details["causes"] = std::move(causes);
  }
  status["details"] = std::move(details);
  status["code"] = decision.code;
  return status;
}

}  // namespace

std::string encode_admission_response(const AdmissionReviewRequest& request,
                                      const Decision& decision) {
  ordered_json response;
  response["uid"] = request.uid;
  response["allowed"] = decision.allowed;
  if (decision.patch.is_array() && !decision.patch.empty()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = base64_encode(decision.patch.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  if (!decision.allowed) response["status"] = failure_status(decision);
  if (!decision.warnings.empty()) response["warnings"] = decision.warnings;
  if (!decision.audit_annotations.empty()) {
    response["auditAnnotations"] = decision.audit_annotations;
  }
  ordered_json review;
  review["apiVersion"] = request.api_version;
  review["kind"] = "AdmissionReview";
  review["response"] = std::move(response);
  return review.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace feast
