#include "server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <vector>

#include "certificate_reloader.h"
#include "connection_registry.h"
#include "health_server.h"
#include "https_session.h"
#include "json_log.h"
#include "listener.h"

namespace feast {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kCertificatePollInterval{1};
constexpr std::chrono::milliseconds kDrainPollInterval{50};

// Lifecycle steps that run on the control strand: certificate polling and shutdown.
class ServerLifecycle {
 public:
  ServerLifecycle(net::io_context& io, CertificateReloader& certificates,
                  ConnectionRegistry& registry, std::atomic<bool>& shutting_down,
                  std::vector<std::function<void()>> every_second)
      : every_second_(std::move(every_second)),
        control_(net::make_strand(io)),
        certificate_timer_(control_),
        drain_timer_(control_),
        signals_(control_, SIGINT, SIGTERM),
        certificates_(certificates),
        registry_(registry),
        shutting_down_(shutting_down) {}

  void start(std::shared_ptr<Listener> https, std::shared_ptr<Listener> health) {
    https_ = std::move(https);
    health_ = std::move(health);
    ready_announced_ = certificates_.current() != nullptr;
    signals_.async_wait([this](boost::system::error_code ec, int signal) { on_signal(ec, signal); });
    schedule_certificate_poll();
  }

  bool ready_announced() const { return ready_announced_; }

 private:
  void schedule_certificate_poll() {
    certificate_timer_.expires_after(kCertificatePollInterval);
    certificate_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || shutting_down_) return;
      if (certificates_.reload_if_changed() && !ready_announced_) {
        ready_announced_ = true;
        log_event(LogLevel::Info, "ready");
      }
      for (const auto& task : every_second_) task();
      schedule_certificate_poll();
    });
  }

  void on_signal(boost::system::error_code ec, int signal) {
    if (ec) return;
    if (shutting_down_) {
      log_event(LogLevel::Warn, "second termination signal, exiting without draining",
                {{"signal", signal}});
      std::_Exit(1);
    }
    log_event(LogLevel::Info, "shutting down: readiness off, draining connections",
              {{"signal", signal}, {"openConnections", registry_.size()}});
    shutting_down_ = true;
    certificate_timer_.cancel();
    https_->stop();
    signals_.async_wait([this](boost::system::error_code ec2, int s) { on_signal(ec2, s); });
    drain_started_ = std::chrono::steady_clock::now();
    drain();
  }

  // Re-asked on every tick: a connection accepted just before the acceptor closed
  // registers after the first call.
  void drain() {
    registry_.drain_all();
    if (registry_.size() == 0) {
      health_->stop();
      signals_.cancel();
      const auto waited = std::chrono::steady_clock::now() - drain_started_;
      log_event(LogLevel::Info, "shutdown complete",
                {{"drain_ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()}});
      return;
    }
    drain_timer_.expires_after(kDrainPollInterval);
    drain_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) drain();
    });
  }

  std::vector<std::function<void()>> every_second_;
  net::strand<net::io_context::executor_type> control_;
  net::steady_timer certificate_timer_;
  net::steady_timer drain_timer_;
  net::signal_set signals_;
  CertificateReloader& certificates_;
  ConnectionRegistry& registry_;
  std::atomic<bool>& shutting_down_;
  std::shared_ptr<Listener> https_;
  std::shared_ptr<Listener> health_;
  bool ready_announced_ = false;
  std::chrono::steady_clock::time_point drain_started_;
};

}  // namespace

int run_server(const ServerOptions& options, const AdmissionState& state, ServerHooks hooks) {
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(options.bind_address, ec);
  if (ec) {
    log_event(LogLevel::Error, "invalid bind address", {{"address", options.bind_address}});
    return 1;
  }
  const unsigned threads = std::max(1u, options.threads);
  net::io_context io(static_cast<int>(threads));

  CertificateReloader certificates(options.cert_dir);
  certificates.reload_if_changed();
  ConnectionRegistry registry;
  std::atomic<bool> shutting_down{false};
  const HttpsSessionContext session_context{&state, &registry, &shutting_down, options.limits};
  const HealthProbe probe{&certificates, &shutting_down, std::move(hooks.caches_ready)};
  ServerLifecycle lifecycle(io, certificates, registry, shutting_down, std::move(hooks.every_second));

  std::string error;
  auto https = Listener::open(
      io, tcp::endpoint(address, options.port), "admission",
      [&](tcp::socket socket) {
        // No valid certificate yet: refuse by closing; the kubelet sees us not ready.
        if (auto tls = certificates.current()) {
          start_https_session(std::move(socket), std::move(tls), session_context);
        }
      },
      error);
  if (!https) {
    log_event(LogLevel::Error, "cannot start", {{"error", error}});
    return 1;
  }
  auto health = Listener::open(
      io, tcp::endpoint(address, options.health_port), "health",
      [&](tcp::socket socket) { start_health_session(std::move(socket), probe); }, error);
  if (!health) {
    log_event(LogLevel::Error, "cannot start", {{"error", error}});
    return 1;
  }

  https->run();
  health->run();
  lifecycle.start(https, health);
  log_event(LogLevel::Info, "listening",
            {{"address", options.bind_address},
             {"port", https->port()},
             {"healthPort", health->port()},
             {"threads", threads},
             {"certDir", options.cert_dir.string()},
             {"maxRequestBytes", options.limits.max_body_bytes}});
  if (lifecycle.ready_announced()) {
    log_event(LogLevel::Info, "ready");
  } else {
    log_event(LogLevel::Warn, "not ready: waiting for a valid tls.crt and tls.key",
              {{"certDir", options.cert_dir.string()}});
  }

  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& thread : pool) thread.join();
  return 0;
}

}  // namespace feast
