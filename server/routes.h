// The admission routes as a pure function: an HTTP request (method, target, Content-Type,
// body) in, an HTTP answer out. No sockets here, so tests call it directly; the session
// only moves the bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decision.h"

namespace feast {

class Policy;

// What a webhook decided, for the decision log line.
struct DecisionRecord {
  Webhook webhook = Webhook::Validate;
  std::string uid;
  std::string kind;
  std::string version;
  std::string namespace_name;
  std::string name;
  std::string operation;
  std::string sub_resource;
  bool dry_run = false;
  bool allowed = true;
  std::vector<std::string> rules;
  std::vector<std::string> audited;  // audit-mode policy violations, as field error text
  std::size_t patch_ops = 0;
};

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type;  // "application/json" or "text/plain; charset=utf-8"
  std::string body;
  bool allow_post = false;  // 405: send "Allow: POST"
  std::optional<DecisionRecord> decision;
};

struct HttpRequestView {
  std::string_view method;        // "POST"
  std::string_view target;        // "/validate-feast-dev-v1-featurestore?timeout=10s"
  std::string_view content_type;  // the Content-Type header, empty when absent
  std::string_view body;
  bool body_padded = false;  // body is followed by kBodyPadding (admission_review.h) initialised bytes
};

// A short text/plain answer such as 404 "no such route".
HttpAnswer plain_answer(unsigned status, std::string message);

// Routes POST /mutate-feast-dev-{v1,v1alpha1}-featurestore and
// POST /validate-feast-dev-{v1,v1alpha1}-featurestore; the query string is ignored.
// 404 unknown path, 405 not POST, 415 not application/json, 400 not an AdmissionReview.
HttpAnswer answer_admission(const HttpRequestView& request, const DecisionContext& context);

// "application/json", "application/json; charset=utf-8", any letter case.
bool is_json_media_type(std::string_view content_type);

}  // namespace feast
