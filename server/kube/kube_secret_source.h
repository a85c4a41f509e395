// KubeSecretSource: the Kubernetes Secret source. List+watch of `/api/v1/secrets`, or of
// `/api/v1/namespaces/NS/secrets` for each namespace given, reducing every Secret to its
// SecretFacts the moment it arrives (values are wiped right after). The index is synced
// once every watched scope has completed its first list, and stays synced while the API
// server is away (the cache keeps answering, as an informer's does).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube_config.h"
#include "list_watch.h"
#include "secret_facts.h"

namespace feast::kube {

struct KubeSecretSourceOptions {
  std::vector<std::string> namespaces;  // empty: all namespaces
  ListWatchOptions list_watch;
};

class KubeSecretSource {
 public:
  KubeSecretSource(std::shared_ptr<const KubeConfig> config, std::shared_ptr<SecretIndex> index,
                   KubeSecretSourceOptions options = {});
  ~KubeSecretSource();  // stops
  KubeSecretSource(const KubeSecretSource&) = delete;
  KubeSecretSource& operator=(const KubeSecretSource&) = delete;

  void start();
  void stop();
  bool synced() const { return index_->synced(); }
  std::uint64_t lists() const;  // completed lists over all scopes, for tests and metrics

 private:
  class Scope;
  std::shared_ptr<SecretIndex> index_;
  std::vector<std::unique_ptr<Scope>> scopes_;
};

// "a,b , c" -> {"a", "b", "c"}; for --namespaces.
std::vector<std::string> split_namespaces(const std::string& list);

// The facts of a Secret object from the API (`data`, base64), wiping the values in the
// object. nullptr when the object has no metadata.name.
std::shared_ptr<const SecretFacts> secret_facts_of(nlohmann::json& secret);

}  // namespace feast::kube
