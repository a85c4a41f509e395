#include "secret_sources.h"

#include <cstdlib>

namespace feast {

std::unique_ptr<SecretSources> SecretSources::start(const SecretSourceFlags& flags,
                                                    std::shared_ptr<SecretIndex> index,
                                                    std::shared_ptr<NamespaceIndex> namespaces,
                                                    kube::ListWatchOptions options) {
  auto out = std::unique_ptr<SecretSources>(new SecretSources());
  out->index_ = index;
  if (!flags.secrets_dir.empty()) {
    out->dir_ = std::make_unique<SecretDirSource>(flags.secrets_dir, index);
    out->dir_->start();
    out->description_ = "secrets dir " + flags.secrets_dir;
  } else {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    std::shared_ptr<const kube::KubeConfig> config;
    if (!flags.kubeconfig.empty()) {
      config = std::make_shared<const kube::KubeConfig>(kube::load_kubeconfig(flags.kubeconfig));
    } else if (host != nullptr && *host != '\0') {
      config = std::make_shared<const kube::KubeConfig>(kube::in_cluster_config());
    }
    if (config) {
      kube::KubeSecretSourceOptions o;
      o.namespaces = kube::split_namespaces(flags.namespaces);
      o.list_watch = options;
      out->kube_ = std::make_unique<kube::KubeSecretSource>(config, index, o);
      out->kube_->start();
      if (namespaces) {
        out->namespace_source_ =
            std::make_unique<kube::KubeNamespaceSource>(config, std::move(namespaces), options);
        out->namespace_source_->start();
      }
      out->description_ = "Kubernetes " + config->describe();
      if (!o.namespaces.empty()) out->description_ += " namespaces " + flags.namespaces;
    }
  }
  return out;
}

SecretSources::~SecretSources() { stop(); }

void SecretSources::stop() {
  if (dir_) dir_->stop();
  if (kube_) kube_->stop();
  if (namespace_source_) namespace_source_->stop();
}

}  // namespace feast
