// The plain-HTTP ports: the kubelet's probes on the health port and Prometheus's scrape
// on the metrics port share one small session (GET or HEAD, one request per connection).
//
// /healthz answers 200 while every event loop is alive: on every tick (twice a second)
// the control loop stamps its own heartbeat and posts a stamp to each other loop, and a
// heartbeat older than HealthProbe::max_heartbeat_age (a stuck loop) answers 503.
// /readyz answers 200 only while a serving certificate is loaded, the caches are synced
// and the server is not shutting down.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "connection_socket.h"

namespace feast {

class CertificateReloader;
class Metrics;

// An event loop's heartbeat: steady-clock time of the last tick it ran.
class Heartbeat {
 public:
  Heartbeat() { beat(); }
  void beat() {
    stamp_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  std::chrono::steady_clock::duration age() const {
    const std::chrono::steady_clock::duration last(stamp_.load(std::memory_order_relaxed));
    return std::chrono::steady_clock::now().time_since_epoch() - last;
  }

 private:
  std::atomic<std::chrono::steady_clock::rep> stamp_{0};
};

struct HealthProbe {
  const CertificateReloader* certificates = nullptr;  // outlives every session
  const std::atomic<bool>* stopping = nullptr;        // SIGTERM received; outlives every session
  const std::vector<Heartbeat>* heartbeats = nullptr;  // one per event loop; outlives every session
  std::chrono::steady_clock::duration max_heartbeat_age = std::chrono::seconds(5);
  std::function<bool()> caches_ready;                 // Secret/Namespace caches synced
  bool ready() const;
  bool alive() const;
};

struct PlainAnswer {
  unsigned status = 404;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body = "not found\n";
};

// Answers a GET or HEAD for `path` (query string removed). Must outlive every session.
using PlainRoutes = std::function<PlainAnswer(std::string_view path)>;

// /healthz and /readyz.
PlainRoutes health_routes(const HealthProbe& probe);
// /metrics, Prometheus text format 0.0.4.
PlainRoutes metrics_routes(const Metrics& metrics);

void start_plain_session(ConnectionSocket socket, const PlainRoutes& routes);

}  // namespace feast
