// AdmissionReview codec: request bytes in, feast::AdmissionInput out; feast::Decision in,
// response bytes out. Speaks admission.k8s.io/v1 and v1beta1; the response mirrors the
// request's apiVersion and echoes request.uid, as kube-apiserver requires.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "decision.h"

namespace feast {

// A decoded AdmissionReview request. It owns the decoded JSON; `input` points into it,
// so the object is neither copyable nor movable. `document` holds what the rules read: on
// the fast path (simdjson) only request.object and request.oldObject, each cut down to
// feast::read_paths() (see policy/feature_store.h); bodies the fast path does not take
// are parsed whole with nlohmann::json.
struct AdmissionReviewRequest {
  std::string api_version;  // "admission.k8s.io/v1" or "admission.k8s.io/v1beta1"
  std::string uid;
  nlohmann::json document;
  AdmissionInput input;

  AdmissionReviewRequest() = default;
  AdmissionReviewRequest(const AdmissionReviewRequest&) = delete;
  AdmissionReviewRequest& operator=(const AdmissionReviewRequest&) = delete;
};

struct DecodeResult {
  std::unique_ptr<AdmissionReviewRequest> review;  // null when the body is not a review
  std::string error;                               // short reason for the 400 answer
};

// Bytes a caller may keep readable and initialised after the body (`padded`): the body is
// then parsed where it lies instead of being copied into a padded buffer first.
inline constexpr std::size_t kBodyPadding = 64;

// Parses a request body. Anything that is not an AdmissionReview request (bad JSON, an
// unknown apiVersion or kind, no `request`, a field of the wrong JSON type) is an error.
// Which parser read the body is invisible here: the same bodies are accepted, with the
// same error messages, and `input` reads the same for every member the rules read.
// `padded`: body.data() is followed by kBodyPadding initialised bytes (of any value).
DecodeResult decode_admission_review(std::string_view body, bool padded = false);

// The AdmissionReview response for `decision`: allowed, a base64 JSONPatch when the patch
// is non-empty, warnings, auditAnnotations, and when denied a Status shaped like
// kube-apiserver's StatusError (code, reason, message, details.causes).
std::string encode_admission_response(const AdmissionReviewRequest& request,
                                      const Decision& decision);

// Standard base64 (RFC 4648, with padding), as Kubernetes encodes []byte fields.
std::string base64_encode(std::string_view bytes);

}  // namespace feast
