#include "server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdlib>
#include <vector>

#include "certificate_reloader.h"
#include "connection_registry.h"
#include "event_loops.h"
#include "health_server.h"
#include "https_session.h"
#include "json_log.h"
#include "listener.h"

namespace feast {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Polls for changed files (certificate, policy, labels, Secrets) and beats the heartbeat.
constexpr std::chrono::milliseconds kTickInterval{500};
constexpr std::chrono::milliseconds kDrainPollInterval{50};

// The admission routes of routes.cc, so that their metric series exist before the first
// request and requests_in_flight can be counted from the request's header on.
constexpr std::string_view kWebhookPaths[] = {
    "/mutate-feast-dev-v1-featurestore",
    "/mutate-feast-dev-v1alpha1-featurestore",
    "/validate-feast-dev-v1-featurestore",
    "/validate-feast-dev-v1alpha1-featurestore",
};

// Lifecycle steps that run on the control strand: the twice-a-second tick (heartbeats,
// certificate and file polling, readiness changes) and shutdown.
class ServerLifecycle {
 public:
  struct Flags {
    std::atomic<bool>& stopping;       // readiness off
    std::atomic<bool>& shutting_down;  // listener closed, no more keep-alive
  };

  ServerLifecycle(EventLoops& loops, CertificateReloader& certificates,
                  ConnectionRegistry& registry, Flags flags, const HealthProbe& probe,
                  std::vector<Heartbeat>& heartbeats, std::chrono::milliseconds shutdown_delay,
                  std::vector<std::function<void()>> periodic)
      : periodic_(std::move(periodic)),
        loops_(loops),
        control_(net::make_strand(loops.control())),
        tick_timer_(control_),
        drain_timer_(control_),
        signals_(control_, SIGINT, SIGTERM),
        certificates_(certificates),
        registry_(registry),
        flags_(flags),
        probe_(probe),
        heartbeats_(heartbeats),
        shutdown_delay_(shutdown_delay) {}

  void start(std::vector<std::shared_ptr<Listener>> listeners) {
    listeners_ = std::move(listeners);
    signals_.async_wait([this](boost::system::error_code ec, int signal) { on_signal(ec, signal); });
    net::dispatch(control_, [this] {
      if (!certificates_.current()) {
        log_event(LogLevel::Warn, "not ready: waiting for a valid tls.crt and tls.key");
      }
      announce_readiness();
      schedule_tick();
    });
  }

 private:
  std::shared_ptr<Listener>& https() { return listeners_.front(); }

  void schedule_tick() {
    tick_timer_.expires_after(kTickInterval);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || finished_) return;
      beat_all();
      if (!flags_.stopping) {
        certificates_.reload_if_changed();
        certificates_.warn_if_expiring(std::chrono::system_clock::now());
        for (const auto& task : periodic_) task();
        announce_readiness();
      }
      schedule_tick();
    });
  }

  // Loop 0 is this one; each other loop stamps its heartbeat when it gets to the post.
  void beat_all() {
    heartbeats_.front().beat();
    for (std::size_t i = 1; i < heartbeats_.size(); ++i) {
      net::post(loops_.at(i), [&heartbeat = heartbeats_[i]] { heartbeat.beat(); });
    }
  }

  // Logs "ready" when /readyz turns true (certificate and caches), and the reverse.
  void announce_readiness() {
    const bool ready = probe_.ready();
    if (ready == ready_) return;
    ready_ = ready;
    if (ready) {
      log_event(LogLevel::Info, "ready");
    } else {
      log_event(LogLevel::Warn, "not ready", {{"certificateLoaded", certificates_.current() != nullptr},
                                             {"cachesSynced", !probe_.caches_ready || probe_.caches_ready()}});
    }
  }

  void on_signal(boost::system::error_code ec, int signal) {
    if (ec) return;
    if (flags_.stopping) {
      log_event(LogLevel::Warn, "second termination signal, exiting without draining",
                {{"signal", signal}});
      std::_Exit(1);
    }
    flags_.stopping = true;
    ready_ = false;
    log_event(LogLevel::Info, "shutting down: readiness off",
              {{"signal", signal},
               {"shutdownDelayMs", shutdown_delay_.count()},
               {"openConnections", registry_.size()}});
    signals_.async_wait([this](boost::system::error_code ec2, int s) { on_signal(ec2, s); });
    drain_timer_.expires_after(shutdown_delay_);
    drain_timer_.async_wait([this](boost::system::error_code ec2) {
      if (!ec2) close_listener();
    });
  }

  void close_listener() {
    log_event(LogLevel::Info, "shutting down: listener closed, draining connections",
              {{"openConnections", registry_.size()}});
    flags_.shutting_down = true;
    https()->stop();
    drain_started_ = std::chrono::steady_clock::now();
    drain();
  }

  // Re-asked on every tick: a connection accepted just before the acceptor closed
  // registers after the first call.
  void drain() {
    registry_.drain_all();
    if (registry_.size() == 0) {
      for (auto& listener : listeners_) listener->stop();
      signals_.cancel();
      finished_ = true;
      tick_timer_.cancel();
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

  std::vector<std::function<void()>> periodic_;
  EventLoops& loops_;
  net::strand<net::io_context::executor_type> control_;
  net::steady_timer tick_timer_;
  net::steady_timer drain_timer_;
  net::signal_set signals_;
  CertificateReloader& certificates_;
  ConnectionRegistry& registry_;
  Flags flags_;
  const HealthProbe& probe_;
  std::vector<Heartbeat>& heartbeats_;  // one per loop, in the order of loops_
  std::chrono::milliseconds shutdown_delay_;
  std::vector<std::shared_ptr<Listener>> listeners_;  // admission first
  bool ready_ = false;
  bool finished_ = false;
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
  EventLoops loops(threads);
  net::io_context& io = loops.control();

  CertificateReloader certificates(options.cert_dir);
  certificates.reload_if_changed();
  ConnectionRegistry registry;
  std::atomic<bool> stopping{false};
  std::atomic<bool> shutting_down{false};
  std::vector<Heartbeat> heartbeats(loops.size());
  const HealthProbe probe{&certificates, &stopping, &heartbeats, std::chrono::seconds(5),
                          std::move(hooks.caches_ready)};

  Metrics metrics;
  for (std::string_view path : kWebhookPaths) metrics.register_webhook(path);
  metrics.set_build_info(hooks.version, hooks.commit);
  MetricsSources sources = std::move(hooks.metrics);
  sources.certificate_reloads = [&certificates] { return certificates.reloads(); };
  sources.certificate_reload_failures = [&certificates] { return certificates.failures(); };
  sources.certificate_not_after = [&certificates] { return certificates.not_after(); };
  sources.ready = [&probe] { return probe.ready(); };
  metrics.set_sources(std::move(sources));

  const HttpsSessionContext session_context{&state, &registry, &metrics, &shutting_down, options.limits};
  const PlainRoutes health_answers = health_routes(probe);
  const PlainRoutes metrics_answers = metrics_routes(metrics);
  ServerLifecycle lifecycle(loops, certificates, registry, {stopping, shutting_down}, probe, heartbeats,
                            options.shutdown_delay, std::move(hooks.periodic));

  std::string error;
  auto https = Listener::open(
      io, tcp::endpoint(address, options.port), "admission",
      [&loops]() -> net::io_context& { return loops.next(); },
      [&](ConnectionSocket socket) {
        // No valid certificate yet: refuse by closing; the kubelet sees us not ready.
        if (auto tls = certificates.current()) {
          const bool refuse = registry.size() >= options.limits.max_connections;
          if (refuse) log_event(LogLevel::Debug, "connection limit reached, refusing with 503");
          start_https_session(std::move(socket), std::move(tls), session_context, refuse);
        }
      },
      error);
  if (!https) {
    log_event(LogLevel::Error, "cannot start", {{"error", error}});
    return 1;
  }
  auto plain_listener = [&](unsigned short port, const char* name, const PlainRoutes& routes) {
    // Probes and scrapes, rare and small, are accepted and answered on the last loop: with
    // more than one, a stalled control loop (a hung volume under a watched file) still
    // gets its /healthz 503 (the control loop's heartbeat is then old).
    net::io_context& probe_loop = loops.at(loops.size() - 1);
    return Listener::open(
        probe_loop, tcp::endpoint(address, port), name,
        [&probe_loop]() -> net::io_context& { return probe_loop; },
        [&routes](ConnectionSocket socket) { start_plain_session(std::move(socket), routes); }, error);
  };
  auto health = plain_listener(options.health_port, "health", health_answers);
  if (!health) {
    log_event(LogLevel::Error, "cannot start", {{"error", error}});
    return 1;
  }
  auto metrics_listener = plain_listener(options.metrics_port, "metrics", metrics_answers);
  if (!metrics_listener) {
    log_event(LogLevel::Error, "cannot start", {{"error", error}});
    return 1;
  }

  https->run();
  health->run();
  metrics_listener->run();
  log_event(LogLevel::Info, "listening",
            {{"address", options.bind_address},
             {"port", https->port()},
             {"healthPort", health->port()},
             {"metricsPort", metrics_listener->port()},
             {"threads", threads},
             {"certDir", options.cert_dir.string()},
             {"maxRequestBytes", options.limits.max_body_bytes},
             {"shutdownDelayMs", options.shutdown_delay.count()}});
  lifecycle.start({https, health, metrics_listener});

  loops.run();
  return 0;
}

}  // namespace feast
