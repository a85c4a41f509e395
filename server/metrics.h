// Metrics: the process's counters, gauges and histograms, written out in the Prometheus
// text format 0.0.4 by hand. controller-runtime's webhook metric names and labels, so its
// dashboards work, plus the project's own `feast_admission_*`.
//
// Recording never takes a lock: every value is an atomic, and labelled series live in a
// fixed-capacity open-addressing table whose slots are claimed with one compare-exchange.
// A series, once created, stays for the life of the process (Prometheus counters must not
// vanish); a table that is full drops new series and counts them in
// feast_admission_metrics_series_dropped_total.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feast {

struct DecisionRecord;

// controller-runtime's default buckets (prometheus.DefBuckets), in seconds.
inline constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10};

class Histogram {
 public:
  void observe(std::chrono::nanoseconds value);
  // Appends `<name>_bucket{labels,le=..}`, `_sum`, `_count` lines.
  void write(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};  // not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Lock-free map from a rendered label set (`a="x",b="y"`) to a value of type T.
template <typename T>
class SeriesTable {
 public:
  explicit SeriesTable(std::size_t capacity) : slots_(capacity) {}
  ~SeriesTable() {
    for (auto& slot : slots_) delete slot.load(std::memory_order_relaxed);
  }
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  struct Entry {
    explicit Entry(std::string l) : labels(std::move(l)) {}
    const std::string labels;
    T value{};
  };

  // The series for `labels`, created on first use; null when the table is full.
  T* get(std::string_view labels) { return lookup(labels, /*create=*/true); }
  // The series if it exists; never creates one.
  T* find(std::string_view labels) { return lookup(labels, /*create=*/false); }

  // Visits every series in creation-independent slot order.
  void for_each(const std::function<void(const std::string&, const T&)>& visit) const {
    for (const auto& slot : slots_) {
      if (const Entry* entry = slot.load(std::memory_order_acquire)) visit(entry->labels, entry->value);
    }
  }

 private:
  T* lookup(std::string_view labels, bool create) {
    const std::size_t n = slots_.size();
    std::size_t i = std::hash<std::string_view>{}(labels) % n;
    Entry* fresh = nullptr;
    for (std::size_t probes = 0; probes < n; ++probes, i = (i + 1) % n) {
      Entry* entry = slots_[i].load(std::memory_order_acquire);
      if (entry == nullptr) {
        if (!create) return nullptr;
        if (!fresh) fresh = new Entry(std::string(labels));
        if (slots_[i].compare_exchange_strong(entry, fresh, std::memory_order_acq_rel)) {
          return &fresh->value;
        }
        // Another thread claimed the slot first: `entry` now holds its series.
      }
      if (entry->labels == labels) {
        delete fresh;
        return &entry->value;
      }
    }
    delete fresh;
    return nullptr;
  }

  std::vector<std::atomic<Entry*>> slots_;
};

// Everything /metrics shows that the process does not count itself: read at scrape time.
struct MetricsSources {
  std::function<bool()> secrets_synced;
  std::function<std::size_t()> secret_objects;
  std::function<bool()> namespaces_synced;
  std::function<std::size_t()> namespace_objects;
  std::function<std::uint64_t()> secret_lists;     // completed (re)lists of the Secret watch
  std::function<std::uint64_t()> namespace_lists;  // completed (re)lists of the Namespace watch
  std::function<std::int64_t()> secrets_last_sync;     // Unix seconds; 0: never
  std::function<std::int64_t()> namespaces_last_sync;  // Unix seconds; 0: never
  std::function<std::uint64_t()> policy_reloads;
  std::function<std::uint64_t()> policy_reload_failures;
  std::function<std::uint64_t()> certificate_reloads;
  std::function<std::uint64_t()> certificate_reload_failures;
  std::function<std::int64_t()> certificate_not_after;  // Unix seconds; 0: none loaded
  std::function<bool()> ready;
};

// controller-runtime's codes every webhook shows from its start, so rate() sees the first error.
inline constexpr std::array<unsigned, 7> kKnownCodes = {200, 400, 405, 413, 415, 431, 500};

class Metrics {
 public:
  Metrics();

  // One admission request on `webhook` (the route path) is being read: counts in flight
  // until the returned guard is released.
  class InFlight {
   public:
    InFlight() = default;
    explicit InFlight(std::atomic<std::int64_t>* gauge) : gauge_(gauge) {
      if (gauge_) gauge_->fetch_add(1, std::memory_order_relaxed);
    }
    InFlight(InFlight&& other) noexcept : gauge_(std::exchange(other.gauge_, nullptr)) {}
    InFlight& operator=(InFlight&& other) noexcept {
      if (this != &other) {
        release();
        gauge_ = std::exchange(other.gauge_, nullptr);
      }
      return *this;
    }
    ~InFlight() { release(); }
    void release() {
      if (gauge_) gauge_->fetch_sub(1, std::memory_order_relaxed);
      gauge_ = nullptr;
    }

   private:
    std::atomic<std::int64_t>* gauge_ = nullptr;
  };

  struct WebhookSeries;

  // Creates the series of a webhook path so they show (at zero) before its first request.
  void register_webhook(std::string_view path);
  // The series of the webhook `target` (query string ignored) names; null when it is no
  // registered webhook (arbitrary paths must not make series).
  WebhookSeries* webhook(std::string_view target);
  // Counts a request in flight until the guard is released; inert for null.
  static InFlight request_started(WebhookSeries* webhook);
  // A finished request: its status code and latency. No-op for null.
  void request_done(WebhookSeries* webhook, unsigned code, std::chrono::nanoseconds latency);
  // A decision; `warned`: the response carries warnings. No-op for null.
  void decision(WebhookSeries* webhook, const DecisionRecord& record, bool warned);

  void set_build_info(std::string version, std::string commit);
  void set_sources(MetricsSources sources) { sources_ = std::move(sources); }

  // The whole exposition, text format 0.0.4.
  std::string render() const;

  struct WebhookSeries {
    std::string label;  // webhook="<path>"
    std::atomic<std::int64_t> in_flight{0};
    Histogram latency;
    std::array<std::atomic<std::uint64_t>*, kKnownCodes.size()> codes{};  // into requests_
  };

 private:
  void count(SeriesTable<std::atomic<std::uint64_t>>& table, const std::string& labels);


  SeriesTable<WebhookSeries> webhooks_{64};
  SeriesTable<std::atomic<std::uint64_t>> requests_{512};
  SeriesTable<std::atomic<std::uint64_t>> decisions_{512};
  SeriesTable<std::atomic<std::uint64_t>> rule_hits_{4096};
  std::atomic<std::uint64_t> dropped_{0};
  std::string version_ = "unknown";
  std::string commit_ = "unknown";
  MetricsSources sources_;
};

// `value` escaped for a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace feast
