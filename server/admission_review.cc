#include "admission_review.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <simdjson.h>
#include <vector>

#include "feature_store.h"
#include "json_text.h"

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

namespace {

// The fast path: simdjson reads the body and only the members the rules read are built
// as nlohmann::json (see kept_json). It answers only bodies that the reference path below
// would accept; for anything else (invalid JSON, a member of the wrong type, JSON simdjson
// refuses but nlohmann accepts such as a UTF-8 BOM, integers beyond 64 bits or nesting
// deeper than 1024) it gives up and the reference path decides, so every refusal and its
// message come from one place. Duplicate keys: the last one wins, as in
// nlohmann::json::parse.
namespace dom = simdjson::dom;
using simdjson::dom::element_type;

// Bodies up to this size reuse one parser and one padded buffer per thread; larger ones
// (rare, up to the body limit) get their own, freed after the request, so the memory the
// thread keeps stays that of a typical review.
constexpr std::size_t kReusedParserMaxBytes = 64 * 1024;

json to_json(dom::element e) {
  switch (e.type()) {
    case element_type::OBJECT: {
      json out = json::object();
      auto& members = out.get_ref<json::object_t&>();
      for (dom::key_value_pair field : dom::object(e)) {
        members.insert_or_assign(std::string(field.key), to_json(field.value));
      }
      return out;
    }
    case element_type::ARRAY: {
      json out = json::array();
      auto& items = out.get_ref<json::array_t&>();
      const dom::array array(e);
      items.reserve(array.size());
      for (dom::element item : array) items.push_back(to_json(item));
      return out;
    }
    case element_type::STRING: return json(std::string(std::string_view(e)));
    case element_type::INT64: {
      // nlohmann stores a literal without '-' as unsigned, with '-' as signed.
      const auto value = int64_t(e);
      if (value >= 0) return json(static_cast<std::uint64_t>(value));
      return json(value);
    }
    case element_type::UINT64: return json(uint64_t(e));
    case element_type::DOUBLE: return json(double(e));
    case element_type::BOOL: return json(bool(e));
    case element_type::NULL_VALUE: return json(nullptr);
  }
  return json(nullptr);
}

// request.object and request.oldObject are converted only along what the rules read
// (feast::read_paths(): metadata.name, namespace and deletionTimestamp, persistence, the
// containers' env, ...); the large rest (managedFields, annotations such as
// last-applied-configuration, status, most of spec) is not converted.
json kept_json(dom::element e, const PathTree& kept) {
  if (kept.whole() || e.type() != element_type::OBJECT) return to_json(e);
  json out = json::object();
  auto& members = out.get_ref<json::object_t&>();
  for (dom::key_value_pair field : dom::object(e)) {
    if (const PathTree* below = kept.child(field.key)) {
      members.insert_or_assign(std::string(field.key), kept_json(field.value, *below));
    }
  }
  return out;
}

// An object's members in order; get() finds the last one named `key` (nlohmann keeps the
// last of duplicate keys), nullopt when absent.
struct Members {
  std::optional<dom::element> get(std::string_view key) const {
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (it->first == key) return it->second;
    }
    return std::nullopt;
  }
  std::vector<std::pair<std::string_view, dom::element>> fields;
};

Members members_of(dom::object object) {
  Members out;
  out.fields.reserve(object.size());
  for (dom::key_value_pair field : object) out.fields.emplace_back(field.key, field.value);
  return out;
}

bool is_null(const std::optional<dom::element>& e) { return !e || e->type() == element_type::NULL_VALUE; }

// An optional string member: absent or null leaves `out` alone; false on another type.
bool fast_optional_string(const Members& parent, std::string_view key, std::string& out) {
  const auto e = parent.get(key);
  if (is_null(e)) return true;
  if (e->type() != element_type::STRING) return false;
  out = std::string_view(*e);
  return true;
}

std::unique_ptr<AdmissionReviewRequest> decode_fast(const dom::element& root) {
  if (root.type() != element_type::OBJECT) return nullptr;
  const Members doc = members_of(dom::object(root));
  const auto api_version = doc.get("apiVersion");
  if (!api_version || api_version->type() != element_type::STRING) return nullptr;
  const std::string_view version(*api_version);
  if (std::find(kApiVersions.begin(), kApiVersions.end(), version) == kApiVersions.end()) return nullptr;
  const auto kind = doc.get("kind");
  if (!kind || kind->type() != element_type::STRING || std::string_view(*kind) != "AdmissionReview") {
    return nullptr;
  }
  const auto request_element = doc.get("request");
  if (!request_element || request_element->type() != element_type::OBJECT) return nullptr;
  const Members request = members_of(dom::object(*request_element));

  auto review = std::make_unique<AdmissionReviewRequest>();
  review->api_version = version;
  const auto uid = request.get("uid");
  if (!uid || uid->type() != element_type::STRING) return nullptr;
  review->uid = std::string_view(*uid);

  AdmissionInput& input = review->input;
  if (!fast_optional_string(request, "operation", input.operation) ||
      !fast_optional_string(request, "subResource", input.sub_resource) ||
      !fast_optional_string(request, "namespace", input.namespace_name) ||
      !fast_optional_string(request, "name", input.name)) {
    return nullptr;
  }
  if (const auto gvk = request.get("kind"); !is_null(gvk)) {
    if (gvk->type() != element_type::OBJECT) return nullptr;
    const Members fields = members_of(dom::object(*gvk));
    if (!fast_optional_string(fields, "group", input.group) ||
        !fast_optional_string(fields, "version", input.version) ||
        !fast_optional_string(fields, "kind", input.kind)) {
      return nullptr;
    }
  }
  if (const auto dry_run = request.get("dryRun"); !is_null(dry_run)) {
    if (dry_run->type() != element_type::BOOL) return nullptr;
    input.dry_run = bool(*dry_run);
  }
  const auto object = request.get("object");
  const auto old_object = request.get("oldObject");
  for (const auto& e : {object, old_object}) {
    if (!is_null(e) && e->type() != element_type::OBJECT) return nullptr;
  }
  // The document holds only the cut-down objects; input points into it.
  json& document = review->document;
  document = json::object();
  if (!is_null(object)) input.object = &(document["object"] = kept_json(*object, read_paths()));
  if (!is_null(old_object)) input.old_object = &(document["oldObject"] = kept_json(*old_object, read_paths()));
  return review;
}

// simdjson reads SIMDJSON_PADDING bytes past the end: a body that the caller did not pad
// is copied into a padded buffer first.
static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING);

struct PaddedParser {
  dom::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;

  simdjson::simdjson_result<dom::element> parse(std::string_view body, bool padded) {
    if (padded) return parser.parse(body.data(), body.size(), /*realloc_if_needed=*/false);
    if (!buffer || capacity < body.size()) {
      buffer = std::make_unique<char[]>(body.size() + simdjson::SIMDJSON_PADDING);
      capacity = body.size();
    }
    std::memcpy(buffer.get(), body.data(), body.size());
    std::memset(buffer.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.parse(buffer.get(), body.size(), /*realloc_if_needed=*/false);
  }
};

std::unique_ptr<AdmissionReviewRequest> try_decode_fast(std::string_view body, bool padded) {
  auto decode = [&](PaddedParser& parser) -> std::unique_ptr<AdmissionReviewRequest> {
    dom::element root;
    if (parser.parse(body, padded).get(root) != simdjson::SUCCESS) return nullptr;
    return decode_fast(root);
  };
  if (body.size() <= kReusedParserMaxBytes) {
    thread_local PaddedParser reused;
    return decode(reused);
  }
  PaddedParser once;
  return decode(once);
}

// The reference decoder: nlohmann::json::parse of the whole body, every check with its
// message. Decides every body the fast path does not accept.
DecodeResult decode_reference(std::string_view body) {
  auto review = std::make_unique<AdmissionReviewRequest>();
  // Kubernetes objects are a few dozen levels deep; far deeper input is refused here, as
  // simdjson refuses it on the fast path, so no later recursive walk can exhaust the stack.
  constexpr int kMaxDepth = 1024;
  bool too_deep = false;
  review->document = json::parse(
      body,
      [&](int depth, json::parse_event_t, json&) {
        if (depth > kMaxDepth) too_deep = true;
        return !too_deep;
      },
      /*allow_exceptions=*/false);
  if (too_deep) return fail("request body is nested deeper than " + std::to_string(kMaxDepth) + " levels");
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

}  // namespace

DecodeResult decode_admission_review(std::string_view body, bool padded) {
  if (auto review = try_decode_fast(body, padded)) return DecodeResult{std::move(review), {}};
  return decode_reference(body);
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

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
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
}

}  // namespace

// Written as text around the parts that vary (see json_text.h): an ordered_json built and
// dumped per request cost as much as the rest of the answer, most of it spent escaping the
// base64 patch character by character. The rare parts (a refusal's status, audit
// annotations) are still dumped by nlohmann. The members and their order are those of the
// ordered_json this replaced; test/server/admission_review_test.cc and the admission
// fuzzer check that the text is nlohmann's own dump of it.
std::string encode_admission_response(const AdmissionReviewRequest& request,
                                      const Decision& decision) {
  constexpr auto kDump = [](const ordered_json& value, std::string& out) {
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  std::string patch;  // the JSON Patch, base64-encoded into the answer below
  if (decision.patch.is_array() && !decision.patch.empty()) {
    patch = decision.patch.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  std::string out;
  out.reserve(160 + request.uid.size() + (patch.size() + 2) / 3 * 4);
  out += R"({"apiVersion":)";
  append_json_string(out, request.api_version);
  out += R"(,"kind":"AdmissionReview","response":{"uid":)";
  append_json_string(out, request.uid);
  out += decision.allowed ? R"(,"allowed":true)" : R"(,"allowed":false)";
  if (!patch.empty()) {
    out += R"(,"patchType":"JSONPatch","patch":")";  // base64 needs no escaping
    append_base64(out, patch);
    out += '"';
  }
  if (!decision.allowed) {
    out += R"(,"status":)";
    kDump(failure_status(decision), out);
  }
  if (!decision.warnings.empty()) {
    out += R"(,"warnings":)";
    append_json_strings(out, decision.warnings);
  }
  if (!decision.audit_annotations.empty()) {
    out += R"(,"auditAnnotations":)";
    kDump(ordered_json(decision.audit_annotations), out);
  }
  out += "}}";
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

}  // namespace feast
