// Metrics: the exposition format details and lock-free recording under contention.
#include "metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "routes.h"

namespace feast {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kValidate = "/validate-feast-dev-v1-featurestore";

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Metrics, RegisteredWebhookShowsZeroSeriesBeforeAnyRequest) {
  Metrics metrics;
  metrics.register_webhook(kValidate);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_requests_total{webhook="/validate-feast-dev-v1-featurestore",code="200"} 0)")) << text;
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_latency_seconds_bucket{webhook="/validate-feast-dev-v1-featurestore",le="+Inf"} 0)"));
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_requests_in_flight{webhook="/validate-feast-dev-v1-featurestore"} 0)"));
  EXPECT_TRUE(has_line(text, "# TYPE controller_runtime_webhook_latency_seconds histogram"));
}

TEST(Metrics, UnknownPathsMakeNoSeries) {
  Metrics metrics;
  metrics.register_webhook(kValidate);
  EXPECT_EQ(metrics.webhook("/anything-else"), nullptr);
  EXPECT_NE(metrics.webhook(std::string(kValidate) + "?timeout=10s"), nullptr);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics metrics;
  metrics.register_webhook(kValidate);
  auto* webhook = metrics.webhook(kValidate);
  metrics.request_done(webhook, 200, 3ms);
  metrics.request_done(webhook, 200, 30ms);
  metrics.request_done(webhook, 418, 20s);  // a code outside the known list, past the last bucket
  const std::string text = metrics.render();
  const std::string prefix = R"(controller_runtime_webhook_latency_seconds_bucket{webhook="/validate-feast-dev-v1-featurestore",le=)";
  EXPECT_TRUE(has_line(text, prefix + R"("0.005"} 1)")) << text;
  EXPECT_TRUE(has_line(text, prefix + R"("0.025"} 1)"));
  EXPECT_TRUE(has_line(text, prefix + R"("0.05"} 2)"));
  EXPECT_TRUE(has_line(text, prefix + R"("10"} 2)"));
  EXPECT_TRUE(has_line(text, prefix + R"("+Inf"} 3)"));
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_latency_seconds_sum{webhook="/validate-feast-dev-v1-featurestore"} 20.033)"));
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_requests_total{webhook="/validate-feast-dev-v1-featurestore",code="418"} 1)"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Metrics metrics;
  metrics.register_webhook(kValidate);
  DecisionRecord record;
  record.allowed = false;
  record.operation = "CREATE";
  record.rules = {"policy:we\"ird"};
  metrics.decision(metrics.webhook(kValidate), record, false);
  EXPECT_TRUE(has_line(metrics.render(),
                       R"(feast_admission_rule_hits_total{webhook="/validate-feast-dev-v1-featurestore",operation="CREATE",result="denied",rule="policy:we\"ird"} 1)"));
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics metrics;
  metrics.register_webhook(kValidate);
  auto* webhook = metrics.webhook(kValidate);
  constexpr int kThreads = 8;
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      DecisionRecord record;
      record.operation = "UPDATE";
      for (int i = 0; i < kEach; ++i) {
        // New label sets race to claim slots: every thread creates the same ones.
        record.rules = {"policy:rule-" + std::to_string(i % 50)};
        metrics.decision(webhook, record, false);
        metrics.request_done(webhook, 200, 1ms);
      }
      (void)t;
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(controller_runtime_webhook_requests_total{webhook="/validate-feast-dev-v1-featurestore",code="200"} 40000)"));
  EXPECT_TRUE(has_line(text, R"(feast_admission_decisions_total{webhook="/validate-feast-dev-v1-featurestore",operation="UPDATE",result="allowed"} 40000)"));
  EXPECT_TRUE(has_line(text, R"(feast_admission_rule_hits_total{webhook="/validate-feast-dev-v1-featurestore",operation="UPDATE",result="allowed",rule="policy:rule-7"} 800)"));
  EXPECT_TRUE(has_line(text, "feast_admission_metrics_series_dropped_total 0"));
}

TEST(Metrics, InFlightGuardCountsUntilReleased) {
  Metrics metrics;
  metrics.register_webhook(kValidate);
  auto* webhook = metrics.webhook(kValidate);
  const std::string gauge = R"(controller_runtime_webhook_requests_in_flight{webhook="/validate-feast-dev-v1-featurestore"} )";
  {
    Metrics::InFlight a = Metrics::request_started(webhook);
    Metrics::InFlight b = Metrics::request_started(webhook);
    EXPECT_TRUE(has_line(metrics.render(), gauge + "2"));
    b.release();
    EXPECT_TRUE(has_line(metrics.render(), gauge + "1"));
  }
  EXPECT_TRUE(has_line(metrics.render(), gauge + "0"));
}

}  // namespace
}  // namespace feast
