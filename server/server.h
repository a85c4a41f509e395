// The webhook server process: the HTTPS admission port, the plain health and metrics
// ports, the certificate reloader and a fixed pool of I/O threads on one io_context.
// SIGTERM or SIGINT turns readiness off at once; after `shutdown_delay` (time for the
// endpoints to drop this pod) it stops accepting, lets in-flight requests finish, closes
// idle keep-alive connections, and returns.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "http_limits.h"
#include "metrics.h"

namespace feast {

class AdmissionState;

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  unsigned short port = 9443;         // 0 binds an ephemeral port (logged)
  unsigned short health_port = 8081;  // 0 binds an ephemeral port (logged)
  unsigned short metrics_port = 8080; // 0 binds an ephemeral port (logged)
  std::chrono::milliseconds shutdown_delay{5000};  // readiness off -> listener closed
  std::filesystem::path cert_dir = "/tmp/k8s-webhook-server/serving-certs";
  unsigned threads = 1;
  HttpLimits limits;
};

// What the process around the server adds: readiness of the caches it fills, and work
// polled twice a second on the control loop (policy and label file reloads).
struct ServerHooks {
  std::function<bool()> caches_ready;
  std::vector<std::function<void()>> periodic;
  // Cache and policy figures for /metrics; the server adds the certificate's and readiness.
  MetricsSources metrics;
  std::string version = "unknown";
  std::string commit = "unknown";
};

// Serves until a termination signal has been handled. Returns the process exit code:
// 0 after a clean drain, 1 when a port cannot be bound.
int run_server(const ServerOptions& options, const AdmissionState& state, ServerHooks hooks = {});

}  // namespace feast
