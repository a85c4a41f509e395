// KubeConfig: where the Kubernetes API server is and how to authenticate to it, either
// in-cluster (KUBERNETES_SERVICE_HOST/PORT, the mounted service-account token and CA) or
// from a kubeconfig file (current-context's cluster and user: server,
// certificate-authority(-data), insecure-skip-tls-verify, token, tokenFile,
// client-certificate(-data), client-key(-data)). exec and auth-provider plugins are not
// supported. A token file is re-read whenever it changes (bound tokens rotate hourly).
#pragma once

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>

namespace feast::kube {

class KubeConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bearer token, static or read from a file that is re-read when its mtime or size
// changes. Thread-safe.
class TokenSource {
 public:
  TokenSource() = default;
  static TokenSource fixed(std::string token);
  static TokenSource file(std::filesystem::path path);
  TokenSource(const TokenSource& other);
  TokenSource& operator=(const TokenSource& other);

  // The current token; empty when there is none (or the file cannot be read).
  std::string current() const;
  bool empty() const { return token_.empty() && path_.empty(); }

 private:
  std::string token_;
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  mutable std::filesystem::file_time_type mtime_{};
  mutable std::uintmax_t size_ = 0;
  mutable std::string cached_;
};

struct KubeConfig {
  std::string host;       // DNS name or IP literal (no brackets)
  std::string port = "443";
  std::string base_path;  // a path prefix of the server URL, usually empty
  std::string ca_pem;     // empty: the system's trust store
  bool insecure_skip_tls_verify = false;
  TokenSource token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string origin;  // "in-cluster" or the kubeconfig path, for logs

  // "https://host:port (origin)": safe to log, no credentials.
  std::string describe() const;
};

// In-cluster config. `service_account_dir` holds token and ca.crt. Throws KubeConfigError
// when KUBERNETES_SERVICE_HOST is unset or the files are missing.
KubeConfig in_cluster_config(
    const std::filesystem::path& service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// From a kubeconfig file; `context` empty means current-context. Relative file paths are
// relative to the kubeconfig's folder. Throws KubeConfigError naming file and field.
KubeConfig load_kubeconfig(const std::filesystem::path& path, const std::string& context = "");

// Splits "https://host:port/prefix" into the config's host, port and base_path.
void parse_server_url(const std::string& url, KubeConfig& config);

}  // namespace feast::kube
