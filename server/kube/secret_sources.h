// SecretSources: picks and runs the Secret source that `feast-admission serve` flags ask
// for (SPEC section 5), filling one SecretIndex:
//   --secrets-dir DIR          the embedded source (SecretDirSource), even in a cluster;
//   --kubeconfig FILE          the Kubernetes source against that cluster;
//   KUBERNETES_SERVICE_HOST    the Kubernetes source, in-cluster;
//   none of these              no source: the index never syncs, so DB stores are
//                              denied as "cannot be checked" (fail closed).
// --namespaces a,b limits the Kubernetes source to those namespaces. With the Kubernetes
// source, Namespace objects are watched too when a NamespaceIndex is given (labels for
// policy rules' namespaceSelector).
#pragma once

#include <memory>
#include <string>

#include "kube_namespace_source.h"
#include "kube_secret_source.h"
#include "secret_dir_source.h"

namespace feast {

struct SecretSourceFlags {
  std::string secrets_dir;
  std::string kubeconfig;
  std::string namespaces;  // comma-separated; empty: all
};

class SecretSources {
 public:
  // Builds and starts the source; the folder source scans once before returning. Throws
  // std::runtime_error (kube::KubeConfigError included) with a message for the user.
  static std::unique_ptr<SecretSources> start(const SecretSourceFlags& flags,
                                              std::shared_ptr<SecretIndex> index,
                                              std::shared_ptr<NamespaceIndex> namespaces = nullptr,
                                              kube::ListWatchOptions options = {});
  ~SecretSources();  // stops
  void stop();

  bool configured() const { return dir_ != nullptr || kube_ != nullptr; }
  bool watches_namespaces() const { return namespace_source_ != nullptr; }
  // For /readyz: ready once the indexes have synced, or at once when there is no source.
  bool ready() const {
    return !configured() ||
           (index_->synced() && (!namespace_source_ || namespace_source_->synced()));
  }
  // Completed lists (folder scans that changed the index, for the folder source); every
  // one after the first is a watch restart or rescan. For metrics.
  std::uint64_t secret_lists() const {
    return kube_ ? kube_->lists() : dir_ ? static_cast<std::uint64_t>(dir_->reloads()) : 0;
  }
  std::uint64_t namespace_lists() const { return namespace_source_ ? namespace_source_->lists() : 0; }
  // "secrets dir examples/secrets", "Kubernetes https://10.96.0.1:443 (in-cluster)", "none"
  const std::string& description() const { return description_; }

 private:
  std::shared_ptr<SecretIndex> index_;
  std::unique_ptr<SecretDirSource> dir_;
  std::unique_ptr<kube::KubeSecretSource> kube_;
  std::unique_ptr<kube::KubeNamespaceSource> namespace_source_;
  std::string description_ = "none";
};

}  // namespace feast
