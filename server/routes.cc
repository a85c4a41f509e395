#include "routes.h"

#include <array>
#include <cctype>
#include <exception>

#include "admission_review.h"
#include "policy.h"

namespace feast {
namespace {

struct Route {
  std::string_view path;
  Webhook webhook;
};

// Every route accepts both FeatureStore versions; the rules read request.kind.version.
constexpr std::array<Route, 4> kRoutes = {{
    {"/mutate-feast-dev-v1-featurestore", Webhook::Mutate},
    {"/mutate-feast-dev-v1alpha1-featurestore", Webhook::Mutate},
    {"/validate-feast-dev-v1-featurestore", Webhook::Validate},
    {"/validate-feast-dev-v1alpha1-featurestore", Webhook::Validate},
}};

const Route* find_route(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const Route& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

DecisionRecord record_of(Webhook webhook, const AdmissionReviewRequest& review,
                         const Decision& decision) {
  const AdmissionInput& in = review.input;
  DecisionRecord record;
  record.webhook = webhook;
  record.uid = review.uid;
  record.kind = in.kind;
  record.version = in.version;
  record.namespace_name = in.namespace_name;
  record.name = in.name;
  record.operation = in.operation;
  record.sub_resource = in.sub_resource;
  record.dry_run = in.dry_run;
  record.allowed = decision.allowed;
  record.rules = decision.rules_hit;
  for (const FieldError& error : decision.audited) record.audited.push_back(error.text());
  record.patch_ops = decision.patch.is_array() ? decision.patch.size() : 0;
  return record;
}

}  // namespace

HttpAnswer plain_answer(unsigned status, std::string message) {
  HttpAnswer answer;
  answer.status = status;
  answer.content_type = "text/plain; charset=utf-8";
  answer.body = std::move(message) + "\n";
  return answer;
}

bool is_json_media_type(std::string_view content_type) {
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i]) return false;
  }
  return true;
}

HttpAnswer answer_admission(const HttpRequestView& request, const DecisionContext& context) {
  const Route* route = find_route(request.target);
  if (route == nullptr) {
    return plain_answer(404, "404 page not found: no admission webhook at this path");
  }
  if (request.method != "POST") {
    HttpAnswer answer = plain_answer(405, "method not allowed: admission webhooks accept POST only");
    answer.allow_post = true;
    return answer;
  }
  if (!is_json_media_type(request.content_type)) {
    return plain_answer(415, "unsupported media type: Content-Type must be application/json");
  }
  // A bug in a rule or in the codec must cost one request, not the server.
  try {
    DecodeResult decoded = decode_admission_review(request.body, request.body_padded);
    if (!decoded.review) return plain_answer(400, std::move(decoded.error));
    const AdmissionReviewRequest& review = *decoded.review;
    const Decision decision = decide(route->webhook, review.input, context);
    HttpAnswer answer;
    answer.content_type = "application/json";
    answer.body = encode_admission_response(review, decision);
    answer.decision = record_of(route->webhook, review, decision);
    return answer;
  } catch (const std::exception&) {
    return plain_answer(500, "internal error while deciding the admission request");
  }
}

}  // namespace feast
