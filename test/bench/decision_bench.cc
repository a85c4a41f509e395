// decision_bench: the CPU cost of one admission decision on the realistic ~10 KB
// FeatureStore AdmissionReview of ../shared/bench/perf-body.json, without sockets or TLS,
// so the figures of test/bench/run can be split into "decision" and "I/O".
//
//   Parse/dom            nlohmann::json::parse of the body (the DOM the decision reads)
//   Parse/accept         nlohmann::json::accept: the same bytes through the SAX parser with
//                        no DOM, the floor of any nlohmann-based reading
//   Decide/*             feast::decide() alone on the parsed document (defaulting and the
//                        JSON patch for Mutate; the rules, Secrets included, for Validate)
//   FullPath/*           parse -> AdmissionInput -> decide() -> AdmissionReview response
//                        (base64 patch, warnings, ...) -> dump(): what one request costs the
//                        server apart from HTTP and TLS
//   Serialize/*          building and dump()ing the response alone
//   ServerPath/*         feast::answer_admission() on the body: what the server runs per
//                        request between HTTP and TLS (simdjson decode of the review, the
//                        nlohmann subtree, decide(), the response), allocating through
//                        mimalloc as the server does when the build links it
//
// Secrets come from ../shared/bench/perf-secrets through feast::load_secret_index(), as
// the server's --secrets-dir loads them. Paths are compiled in and can be overridden by
// FEAST_BENCH_BODY and FEAST_BENCH_SECRETS. Run it with the usual Google Benchmark flags,
// e.g. --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "admission_review.h"
#include "decision.h"
#include "policy.h"
#include "routes.h"
#include "secret_facts.h"
#include "secret_manifests.h"

namespace {

using nlohmann::json;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything the benchmarks share, loaded once.
struct Fixture {
  std::string body;
  feast::Policy policy = feast::Policy::builtin();
  std::shared_ptr<feast::SecretIndex> secrets;

  Fixture() {
    body = read_file(env_or("FEAST_BENCH_BODY", FEAST_BENCH_BODY));
    std::vector<std::string> problems;
    secrets = feast::load_secret_index(env_or("FEAST_BENCH_SECRETS", FEAST_BENCH_SECRETS), &problems);
    for (const auto& problem : problems) std::cerr << "decision_bench: secrets: " << problem << "\n";
    if (!secrets || secrets->size() == 0) throw std::runtime_error("no Secrets loaded");
  }

  feast::DecisionContext context() const { return feast::DecisionContext{policy, nullptr, secrets.get()}; }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

std::string string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* object_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

// The AdmissionReview envelope -> AdmissionInput, as the server reads it. Points into
// `document`, which must outlive the result.
feast::AdmissionInput admission_input(const json& document) {
  const json& request = document.at("request");
  feast::AdmissionInput input;
  input.operation = string_at(request, "operation");
  if (const json* kind = object_at(request, "kind")) {
    input.group = string_at(*kind, "group");
    input.version = string_at(*kind, "version");
    input.kind = string_at(*kind, "kind");
  }
  input.sub_resource = string_at(request, "subResource");
  input.namespace_name = string_at(request, "namespace");
  input.name = string_at(request, "name");
  auto dry_run = request.find("dryRun");
  input.dry_run = dry_run != request.end() && dry_run->is_boolean() && dry_run->get<bool>();
  input.object = object_at(request, "object");
  input.old_object = object_at(request, "oldObject");
  return input;
}

// The AdmissionReview response for a decision, shaped as the server answers.
std::string response_body(const json& document, const feast::Decision& decision) {
  json response = {{"uid", document.at("request").value("uid", "")}, {"allowed", decision.allowed}};
  if (!decision.patch.empty()) {
    response["patch"] = feast::base64_encode(decision.patch.dump());
    response["patchType"] = "JSONPatch";
  }
  if (!decision.warnings.empty()) response["warnings"] = decision.warnings;
  if (!decision.audit_annotations.empty()) response["auditAnnotations"] = decision.audit_annotations;
  if (!decision.allowed) {
    json causes = json::array();
    for (const auto& cause : decision.causes)
      causes.push_back(
          {{"reason", feast::reason_type(cause.reason)}, {"message", cause.body()}, {"field", cause.field}});
    response["status"] = {{"status", "Failure"},
                          {"code", decision.code},
                          {"reason", decision.reason},
                          {"message", decision.message},
                          {"details", {{"name", decision.object_name}, {"causes", causes}}}};
  }
  json review = {{"apiVersion", document.value("apiVersion", "admission.k8s.io/v1")},
                 {"kind", "AdmissionReview"},
                 {"response", std::move(response)}};
  return review.dump();
}

// Fails the benchmark when the body no longer gets the answer it was written for, so a
// figure is never the cost of a short-cut (a 400, a parse error).
bool expected(benchmark::State& state, feast::Webhook webhook, const feast::Decision& decision) {
  if (!decision.allowed) {
    state.SkipWithError("perf-body.json was denied; the benchmark expects an allowed request");
    return false;
  }
  if (webhook == feast::Webhook::Mutate && decision.patch.empty()) {
    state.SkipWithError("perf-body.json got no patch from Mutate; the benchmark expects defaulting");
    return false;
  }
  return true;
}

void ParseDom(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    json document = json::parse(f.body);
    benchmark::DoNotOptimize(document);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK(ParseDom)->Name("Parse/dom");

void ParseAccept(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) {
    bool ok = json::accept(f.body);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK(ParseAccept)->Name("Parse/accept");

void Decide(benchmark::State& state, feast::Webhook webhook) {
  const auto& f = fixture();
  const json document = json::parse(f.body);
  const feast::AdmissionInput input = admission_input(document);
  const auto context = f.context();
  if (!expected(state, webhook, feast::decide(webhook, input, context))) return;
  for (auto _ : state) {
    feast::Decision decision = feast::decide(webhook, input, context);
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK_CAPTURE(Decide, validate, feast::Webhook::Validate)->Name("Decide/validate");
BENCHMARK_CAPTURE(Decide, mutate, feast::Webhook::Mutate)->Name("Decide/mutate");

void Serialize(benchmark::State& state, feast::Webhook webhook) {
  const auto& f = fixture();
  const json document = json::parse(f.body);
  const feast::AdmissionInput input = admission_input(document);
  const feast::Decision decision = feast::decide(webhook, input, f.context());
  if (!expected(state, webhook, decision)) return;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = response_body(document, decision);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["response_bytes"] = static_cast<double>(bytes);
}
BENCHMARK_CAPTURE(Serialize, validate, feast::Webhook::Validate)->Name("Serialize/validate");
BENCHMARK_CAPTURE(Serialize, mutate, feast::Webhook::Mutate)->Name("Serialize/mutate");

void FullPath(benchmark::State& state, feast::Webhook webhook) {
  const auto& f = fixture();
  const auto context = f.context();
  {
    const json document = json::parse(f.body);
    if (!expected(state, webhook, feast::decide(webhook, admission_input(document), context))) return;
  }
  for (auto _ : state) {
    json document = json::parse(f.body);
    feast::Decision decision = feast::decide(webhook, admission_input(document), context);
    std::string out = response_body(document, decision);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK_CAPTURE(FullPath, validate, feast::Webhook::Validate)->Name("FullPath/validate");
BENCHMARK_CAPTURE(FullPath, mutate, feast::Webhook::Mutate)->Name("FullPath/mutate");

void ServerPath(benchmark::State& state, feast::Webhook webhook) {
  const auto& f = fixture();
  const auto context = f.context();
  const char* target = webhook == feast::Webhook::Mutate ? "/mutate-feast-dev-v1-featurestore"
                                                         : "/validate-feast-dev-v1-featurestore";
  const feast::HttpRequestView request{"POST", target, "application/json", f.body};
  const feast::HttpAnswer first = feast::answer_admission(request, context);
  if (first.status != 200 || first.body.find("\"allowed\":true") == std::string::npos) {
    state.SkipWithError("perf-body.json was not answered 200 allowed by answer_admission()");
    return;
  }
  if (webhook == feast::Webhook::Mutate && first.body.find("\"patch\":") == std::string::npos) {
    state.SkipWithError("perf-body.json got no patch from the mutate route");
    return;
  }
  for (auto _ : state) {
    feast::HttpAnswer answer = feast::answer_admission(request, context);
    benchmark::DoNotOptimize(answer);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK_CAPTURE(ServerPath, validate, feast::Webhook::Validate)->Name("ServerPath/validate");
BENCHMARK_CAPTURE(ServerPath, mutate, feast::Webhook::Mutate)->Name("ServerPath/mutate");

}  // namespace

BENCHMARK_MAIN();
