// Plain-HTTP probes for the kubelet: /healthz answers 200 while the process serves;
// /readyz answers 200 only while a serving certificate is loaded and the server is not
// shutting down, 503 otherwise. One request per connection.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <functional>

namespace feast {

class CertificateReloader;

struct HealthProbe {
  const CertificateReloader* certificates = nullptr;  // outlives every session
  const std::atomic<bool>* shutting_down = nullptr;   // outlives every session
  std::function<bool()> caches_ready;                 // Secret/Namespace caches synced
  bool ready() const;
};

// `socket` must be bound to a strand.
void start_health_session(boost::asio::ip::tcp::socket socket, const HealthProbe& probe);

}  // namespace feast
