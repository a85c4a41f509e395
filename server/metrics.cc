#include "metrics.h"

#include <cmath>
#include <charconv>

#include "routes.h"

namespace feast {
namespace {

void append_double(std::string& out, double value) {
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact form
  out.append(buffer, result.ptr);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;  // help texts here are constants without backslashes or newlines
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_double(out, value);
  out += '\n';
}

std::string webhook_label(std::string_view path) { return "webhook=\"" + escape_label_value(path) + "\""; }

std::string requests_label(std::string_view webhook, unsigned code) {
  return std::string(webhook) + ",code=\"" + std::to_string(code) + "\"";
}

// One result per decision: denied, else warned, else patched, else allowed.
std::string_view result_of(const DecisionRecord& record, bool warned) {
  if (!record.allowed) return "denied";
  if (warned) return "warned";
  if (record.patch_ops > 0) return "patched";
  return "allowed";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

void Histogram::observe(std::chrono::nanoseconds value) {
  const double seconds = std::chrono::duration<double>(value).count();
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_ns_.fetch_add(static_cast<std::uint64_t>(value.count()), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::write(std::string& out, std::string_view name, std::string_view labels) const {
  // Read the count first: buckets incremented after it make the +Inf bucket at least the
  // count, never less, so the exposition stays consistent enough for rate().
  const std::uint64_t count = count_.load(std::memory_order_relaxed);
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le;
    append_double(le, kLatencyBuckets[i]);
    sample(out, std::string(name) + "_bucket", prefix + "le=\"" + le + "\"",
           static_cast<double>(std::min(cumulative, count)));
  }
  sample(out, std::string(name) + "_bucket", prefix + "le=\"+Inf\"", static_cast<double>(count));
  sample(out, std::string(name) + "_sum", labels,
         static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  sample(out, std::string(name) + "_count", labels, static_cast<double>(count));
}

Metrics::Metrics() = default;

void Metrics::register_webhook(std::string_view path) {
  const std::string label = webhook_label(path);
  WebhookSeries* series = webhooks_.get(label);
  if (series == nullptr) return;
  series->label = label;  // before any request can find it: registration precedes serving
  for (std::size_t i = 0; i < kKnownCodes.size(); ++i) {
    series->codes[i] = requests_.get(requests_label(label, kKnownCodes[i]));
  }
}

Metrics::WebhookSeries* Metrics::webhook(std::string_view target) {
  return webhooks_.find(webhook_label(target.substr(0, target.find('?'))));
}

Metrics::InFlight Metrics::request_started(WebhookSeries* webhook) {
  return InFlight(webhook ? &webhook->in_flight : nullptr);
}

void Metrics::count(SeriesTable<std::atomic<std::uint64_t>>& table, const std::string& labels) {
  if (auto* counter = table.get(labels)) {
    counter->fetch_add(1, std::memory_order_relaxed);
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Metrics::request_done(WebhookSeries* webhook, unsigned code, std::chrono::nanoseconds latency) {
  if (webhook == nullptr) return;
  webhook->latency.observe(latency);
  for (std::size_t i = 0; i < kKnownCodes.size(); ++i) {
    if (kKnownCodes[i] == code && webhook->codes[i]) {
      webhook->codes[i]->fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  count(requests_, requests_label(webhook->label, code));
}

void Metrics::decision(WebhookSeries* webhook, const DecisionRecord& record, bool warned) {
  if (webhook == nullptr) return;
  const std::string base = webhook->label + ",operation=\"" + escape_label_value(record.operation) +
                           "\",result=\"" + std::string(result_of(record, warned)) + "\"";
  count(decisions_, base);
  for (const std::string& rule : record.rules) {
    count(rule_hits_, base + ",rule=\"" + escape_label_value(rule) + "\"");
  }
}

void Metrics::set_build_info(std::string version, std::string commit) {
  version_ = std::move(version);
  commit_ = std::move(commit);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(16 * 1024);
  auto counters = [&](const SeriesTable<std::atomic<std::uint64_t>>& table, std::string_view name) {
    table.for_each([&](const std::string& labels, const std::atomic<std::uint64_t>& value) {
      sample(out, name, labels, static_cast<double>(value.load(std::memory_order_relaxed)));
    });
  };
  auto gauge = [&](std::string_view name, std::string_view help, double value,
                   std::string_view type = "gauge") {
    header(out, name, type, help);
    sample(out, name, "", value);
  };

  header(out, "controller_runtime_webhook_requests_total", "counter",
         "Total number of admission requests by HTTP status code.");
  counters(requests_, "controller_runtime_webhook_requests_total");

  header(out, "controller_runtime_webhook_latency_seconds", "histogram",
         "Histogram of the latency of processing admission requests");
  webhooks_.for_each([&](const std::string& labels, const WebhookSeries& series) {
    series.latency.write(out, "controller_runtime_webhook_latency_seconds", labels);
  });

  header(out, "controller_runtime_webhook_requests_in_flight", "gauge",
         "Current number of admission requests being served.");
  webhooks_.for_each([&](const std::string& labels, const WebhookSeries& series) {
    sample(out, "controller_runtime_webhook_requests_in_flight", labels,
           static_cast<double>(series.in_flight.load(std::memory_order_relaxed)));
  });

  header(out, "feast_admission_decisions_total", "counter",
         "Admission decisions by webhook, operation and result (denied, warned, patched, allowed).");
  counters(decisions_, "feast_admission_decisions_total");

  header(out, "feast_admission_rule_hits_total", "counter",
         "Rules that fired in admission decisions, by webhook, operation, result and rule.");
  counters(rule_hits_, "feast_admission_rule_hits_total");

  header(out, "feast_admission_build_info", "gauge", "Build information; the value is always 1.");
  sample(out, "feast_admission_build_info",
         "version=\"" + escape_label_value(version_) + "\",commit=\"" + escape_label_value(commit_) + "\"", 1);

  auto from = [](const auto& f, auto fallback) { return f ? f() : fallback; };
  gauge("feast_admission_ready", "1 while /readyz answers 200.", from(sources_.ready, false) ? 1 : 0);
  gauge("feast_admission_secret_cache_synced", "1 once the Secret cache has loaded everything once.",
        from(sources_.secrets_synced, false) ? 1 : 0);
  gauge("feast_admission_secret_cache_objects", "Secrets in the cache.",
        static_cast<double>(from(sources_.secret_objects, std::size_t{0})));
  gauge("feast_admission_secret_cache_lists_total",
        "Completed lists of the Secret watch; each one after the first is a watch restart.",
        static_cast<double>(from(sources_.secret_lists, std::uint64_t{0})), "counter");
  gauge("feast_admission_secret_cache_last_sync_timestamp_seconds",
        "When the Secret cache last completed a list (or folder scan), Unix seconds; 0: never.",
        static_cast<double>(from(sources_.secrets_last_sync, std::int64_t{0})));
  gauge("feast_admission_namespace_cache_synced", "1 once the Namespace cache has loaded everything once.",
        from(sources_.namespaces_synced, false) ? 1 : 0);
  gauge("feast_admission_namespace_cache_objects", "Namespaces in the cache.",
        static_cast<double>(from(sources_.namespace_objects, std::size_t{0})));
  gauge("feast_admission_namespace_cache_lists_total",
        "Completed lists of the Namespace watch; each one after the first is a watch restart.",
        static_cast<double>(from(sources_.namespace_lists, std::uint64_t{0})), "counter");
  gauge("feast_admission_namespace_cache_last_sync_timestamp_seconds",
        "When the Namespace cache last completed a list, Unix seconds; 0: never.",
        static_cast<double>(from(sources_.namespaces_last_sync, std::int64_t{0})));
  gauge("feast_admission_policy_reloads_total", "Policy file reloads put in force.",
        static_cast<double>(from(sources_.policy_reloads, std::uint64_t{0})), "counter");
  gauge("feast_admission_policy_reload_failures_total", "Policy file reloads refused (the old policy stays).",
        static_cast<double>(from(sources_.policy_reload_failures, std::uint64_t{0})), "counter");
  gauge("feast_admission_certificate_reloads_total", "Serving certificate loads and reloads.",
        static_cast<double>(from(sources_.certificate_reloads, std::uint64_t{0})), "counter");
  gauge("feast_admission_certificate_reload_failures_total",
        "Serving certificate pairs refused (the old certificate stays).",
        static_cast<double>(from(sources_.certificate_reload_failures, std::uint64_t{0})), "counter");
  gauge("feast_admission_certificate_expiry_timestamp_seconds",
        "notAfter of the serving certificate, Unix seconds; 0 while none is loaded.",
        static_cast<double>(from(sources_.certificate_not_after, std::int64_t{0})));
  gauge("feast_admission_metrics_series_dropped_total",
        "Samples dropped because a series table was full.",
        static_cast<double>(dropped_.load(std::memory_order_relaxed)), "counter");
  return out;
}

}  // namespace feast
