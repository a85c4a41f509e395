// feast-admission: `serve` runs the admission webhook, `check` makes the same decisions
// offline, `version` prints the version.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#ifdef FEAST_MIMALLOC
#include <mimalloc.h>
#endif

#include "admission_state.h"
#include "cache_sync_tracker.h"
#include "check_command.h"
#include "cpu_budget.h"
#include "json_log.h"
#include "namespace_files.h"
#include "policy.h"
#include "policy_reloader.h"
#include "secret_sources.h"
#include "server.h"

namespace {

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

// Which allocator serves malloc, for the start-up log: mimalloc when it is linked and in
// charge (valgrind, for one, puts its own in place of both), else the C library's.
std::string allocator_name() {
#ifdef FEAST_MIMALLOC
  void* probe = std::malloc(16);
  const bool mimalloc = mi_is_in_heap_region(probe);
  std::free(probe);
  if (mimalloc) {
    const int v = mi_version();  // e.g. 209 for 2.0.9
    return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
           std::to_string(v % 10);
  }
#endif
  return "libc";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"feast-admission: admission webhook for the Feast operator's FeatureStore"};
  app.require_subcommand(1);

  feast::ServerOptions options;
  const unsigned cpus = feast::affinity_cpus();
  const std::optional<double> cpu_limit = feast::cgroup_cpu_limit();
  options.threads = feast::default_threads(cpus, cpu_limit);
  std::size_t max_request_bytes = options.limits.max_body_bytes;
  double read_timeout = 10;
  double idle_timeout = 120;
  std::string log_level = "info";

  CLI::App* serve = app.add_subcommand("serve", "Serve the admission webhooks over HTTPS");
  serve->add_option("--port", options.port, "HTTPS port for admission requests (0: ephemeral)")
      ->capture_default_str();
  serve->add_option("--bind-address", options.bind_address,
                    "Address both ports listen on")
      ->capture_default_str();
  serve->add_option("--cert-dir", options.cert_dir,
                    "Folder with tls.crt and tls.key, reloaded when they change")
      ->capture_default_str();
  serve->add_option("--health-port", options.health_port,
                    "Plain HTTP port for /healthz and /readyz (0: ephemeral)")
      ->capture_default_str();
  serve->add_option("--metrics-port", options.metrics_port,
                    "Plain HTTP port for Prometheus /metrics (0: ephemeral)")
      ->capture_default_str();
  double shutdown_delay = 5;
  serve->add_option("--shutdown-delay", shutdown_delay,
                    "Seconds between SIGTERM turning /readyz false and the admission listener "
                    "closing, so that endpoints drop the pod first")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  serve->add_option("--threads", options.threads,
                    "I/O threads (default: one per CPU this process may use: its affinity, "
                    "capped by its cgroup's CPU limit)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  serve->add_option("--max-request-bytes", max_request_bytes,
                    "Largest request body accepted; larger ones get 413")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  serve->add_option("--read-timeout", read_timeout,
                    "Seconds allowed for the TLS handshake and for each request read or "
                    "response write")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  serve->add_option("--idle-timeout", idle_timeout,
                    "Seconds a keep-alive connection may stay idle between requests")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  serve->add_option("--max-connections", options.limits.max_connections,
                    "Open admission connections at most; past it a new connection gets 503 and is closed")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  serve->add_option("--log-level", log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  std::string policy_file;
  feast::SecretSourceFlags secret_flags;
  std::string namespace_labels;
  serve->add_option("--policy", policy_file,
                    "Policy file (policy/README.md), reloaded when it changes; built-in policy when absent");
  serve->add_option("--secrets-dir", secret_flags.secrets_dir,
                    "Read Secret (and Namespace) manifests from this folder instead of the Kubernetes API; "
                    "reloaded when it changes");
  serve->add_option("--kubeconfig", secret_flags.kubeconfig,
                    "Watch Secrets and Namespaces of the cluster in this kubeconfig (outside a cluster)");
  serve->add_option("--namespaces", secret_flags.namespaces,
                    "Watch Secrets only in these namespaces (comma-separated; default: all)");
  serve->add_option("--namespace-labels", namespace_labels,
                    "Namespace manifests giving labels to policy selectors when not watching a cluster");

  feast::CheckOptions check_options;
  CLI::App* check = app.add_subcommand(
      "check", "Decide offline, as the webhooks would, for FeatureStores in files (exit 0 allowed, 1 denied, 2 bad input)");
  check->add_option("-f,--filename", check_options.files, "Manifest files (multi-document YAML or JSON)")
      ->required()
      ->expected(1, -1);
  check->add_option("--secrets", check_options.secrets, "Secret and Namespace manifests: a file or a folder");
  check->add_option("--policy", check_options.policy, "Policy file; built-in policy when absent");
  check->add_option("--namespace", check_options.namespace_name,
                    "Namespace of objects that name none (default: default)");
  check->add_option("-o,--output", check_options.output, "Also print the defaulted objects: yaml or json");

  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (kubectl and the check command's contract), help exits 0.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (app.got_subcommand("version")) {
    std::cout << "feast-admission " << FEAST_VERSION << "\n";
    return 0;
  }
  if (app.got_subcommand("check")) {
    return feast::run_check(check_options, check_options.output ? std::cerr : std::cout, std::cout);
  }

  feast::init_json_logging(log_level);
  options.limits.max_body_bytes = max_request_bytes;
  options.limits.read_timeout = seconds_to_ms(read_timeout);
  options.limits.idle_timeout = seconds_to_ms(idle_timeout);
  options.shutdown_delay = seconds_to_ms(shutdown_delay);
  feast::log_event(feast::LogLevel::Info, "starting",
                   {{"version", FEAST_VERSION},
                    {"commit", FEAST_COMMIT},
                    {"policy", policy_file.empty() ? "builtin" : policy_file},
                    {"allocator", allocator_name()},
                    // What the default --threads was computed from (cpu_budget.h).
                    {"cpus", cpus},
                    {"cpuLimit", cpu_limit ? nlohmann::ordered_json(*cpu_limit) : nlohmann::ordered_json(nullptr)}});

  auto secrets = std::make_shared<feast::SecretIndex>();
  auto namespaces = std::make_shared<feast::NamespaceIndex>();
  feast::AdmissionState state(std::make_shared<const feast::Policy>(feast::Policy::builtin()), secrets, namespaces);
  feast::ServerHooks hooks;

  std::unique_ptr<feast::PolicyReloader> policy_reloader;
  if (!policy_file.empty()) {
    policy_reloader = std::make_unique<feast::PolicyReloader>(policy_file, state);
    if (auto error = policy_reloader->load_initial()) {
      feast::log_event(feast::LogLevel::Error, "cannot start: invalid policy", {{"error", *error}});
      return 2;
    }
    hooks.periodic.push_back([&] { policy_reloader->poll(); });
  }

  std::unique_ptr<feast::SecretSources> sources;
  try {
    sources = feast::SecretSources::start(secret_flags, secrets, namespaces);
  } catch (const std::exception& e) {
    feast::log_event(feast::LogLevel::Error, "cannot start: Secret source", {{"error", e.what()}});
    return 2;
  }
  feast::log_event(feast::LogLevel::Info, "secret source", {{"source", sources->description()}});

  // Without a cluster, Namespace labels come from files: --namespace-labels and the
  // Namespace manifests beside the Secrets.
  std::unique_ptr<feast::NamespaceFiles> namespace_files;
  if (!sources->watches_namespaces()) {
    std::vector<std::filesystem::path> paths;
    if (!namespace_labels.empty()) paths.emplace_back(namespace_labels);
    if (!secret_flags.secrets_dir.empty()) paths.emplace_back(secret_flags.secrets_dir);
    namespace_files = std::make_unique<feast::NamespaceFiles>(paths, namespaces);
    namespace_files->poll();
    hooks.periodic.push_back([&] { namespace_files->poll(); });
  }
  hooks.caches_ready = [&] { return sources->ready(); };
  hooks.version = FEAST_VERSION;
  hooks.commit = FEAST_COMMIT;
  hooks.metrics.secrets_synced = [&] { return secrets->synced(); };
  hooks.metrics.secret_objects = [&] { return secrets->size(); };
  hooks.metrics.namespaces_synced = [&] { return namespaces->synced(); };
  hooks.metrics.namespace_objects = [&] { return namespaces->size(); };
  hooks.metrics.secret_lists = [&] { return sources->secret_lists(); };
  feast::CacheSyncTracker secret_syncs("secrets");
  feast::CacheSyncTracker namespace_syncs("namespaces");
  auto poll_syncs = [&] {
    secret_syncs.poll(sources->secret_lists(), secrets->synced());
    namespace_syncs.poll(sources->namespace_lists(), namespaces->synced());
  };
  poll_syncs();  // the folder sources have scanned already
  hooks.periodic.push_back(poll_syncs);
  hooks.metrics.secrets_last_sync = [&] { return secret_syncs.last_sync(); };
  hooks.metrics.namespaces_last_sync = [&] { return namespace_syncs.last_sync(); };
  hooks.metrics.namespace_lists = [&] { return sources->namespace_lists(); };
  if (policy_reloader) {
    hooks.metrics.policy_reloads = [&] { return std::uint64_t{policy_reloader->reloads()}; };
    hooks.metrics.policy_reload_failures = [&] { return std::uint64_t{policy_reloader->failures()}; };
  }

  const int code = feast::run_server(options, state, std::move(hooks));
  sources->stop();
  feast::flush_deferred_logs();  // decision lines of the last event-loop turn
  return code;
}
