#include "decision_log.h"

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "json_log.h"
#include "json_text.h"
#include "routes.h"

namespace feast {
namespace {

// The line is written directly as text, byte for byte what log_event() would write from
// an ordered_json of the same members (one per request: building and dumping a JSON
// object cost more than the rest of the logging).
void append_member(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

template <typename Integer>
void append_member_number(std::string& out, std::string_view key, Integer value) {
  out += ",\"";
  out += key;
  out += "\":";
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_member_bool(std::string& out, std::string_view key, bool value) {
  out += ",\"";
  out += key;
  out += value ? "\":true" : "\":false";
}

void append_member_list(std::string& out, std::string_view key, const std::vector<std::string>& values) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_strings(out, values);
}

// Request fields are the client's: a 7 MiB uid must not become a 7 MiB log line.
// Kubernetes names are at most 253 characters.
std::string_view bounded(std::string_view field) {
  constexpr std::size_t kMax = 253;
  return field.size() > kMax ? field.substr(0, kMax) : field;
}

}  // namespace

bool log_decision(const DecisionRecord& record, std::chrono::microseconds latency) {
  if (!log_enabled(LogLevel::Info)) return false;
  std::string line;
  line.reserve(320);
  line += R"("msg":"admission decision")";
  append_member(line, "webhook", record.webhook == Webhook::Mutate ? "mutate" : "validate");
  append_member(line, "uid", bounded(record.uid));
  append_member(line, "kind", bounded(record.kind));
  append_member(line, "version", bounded(record.version));
  append_member(line, "namespace", bounded(record.namespace_name));
  append_member(line, "name", bounded(record.name));
  append_member(line, "operation", bounded(record.operation));
  if (!record.sub_resource.empty()) append_member(line, "subResource", record.sub_resource);
  append_member_bool(line, "dryRun", record.dry_run);
  append_member_bool(line, "allowed", record.allowed);
  append_member_list(line, "rules", record.rules);
  if (!record.audited.empty()) append_member_list(line, "audited", record.audited);
  append_member_number(line, "patchOps", record.patch_ops);
  append_member_number(line, "latency_us", latency.count());
  return log_members_deferred(LogLevel::Info, line);
}

}  // namespace feast
