#include "decision_log.h"

#include "json_log.h"
#include "routes.h"

namespace feast {

void log_decision(const DecisionRecord& record, std::chrono::microseconds latency) {
  if (!log_enabled(LogLevel::Info)) return;
  nlohmann::ordered_json fields;
  fields["webhook"] = record.webhook == Webhook::Mutate ? "mutate" : "validate";
  fields["uid"] = record.uid;
  fields["kind"] = record.kind;
  fields["version"] = record.version;
  fields["namespace"] = record.namespace_name;
  fields["name"] = record.name;
  fields["operation"] = record.operation;
  if (!record.sub_resource.empty()) fields["subResource"] = record.sub_resource;
  fields["dryRun"] = record.dry_run;
  fields["allowed"] = record.allowed;
  fields["rules"] = record.rules;
  if (!record.audited.empty()) fields["audited"] = record.audited;
  fields["patchOps"] = record.patch_ops;
  fields["latency_us"] = latency.count();
  log_event(LogLevel::Info, "admission decision", fields);
}

}  // namespace feast
