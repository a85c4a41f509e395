// KubeNamespaceSource: list+watch of `/api/v1/namespaces` into a NamespaceIndex, so that
// policy rules can match namespaces by label selector. Synced after the first list.
#pragma once

#include <memory>

#include "kube_config.h"
#include "list_watch.h"
#include "namespace_index.h"

namespace feast::kube {

class KubeNamespaceSource final : private WatchSink {
 public:
  KubeNamespaceSource(std::shared_ptr<const KubeConfig> config,
                      std::shared_ptr<NamespaceIndex> index, ListWatchOptions options = {});
  ~KubeNamespaceSource() override;  // stops
  void start() { watch_.start(); }
  void stop() { watch_.stop(); }
  bool synced() const { return index_->synced(); }
  std::uint64_t lists() const { return watch_.lists(); }

 private:
  void list_begin() override { staging_.clear(); }
  void list_item(nlohmann::json& object) override;
  void list_end() override;
  void applied(nlohmann::json& object) override;
  void deleted(nlohmann::json& object) override;

  std::shared_ptr<NamespaceIndex> index_;
  std::map<std::string, Labels> staging_;
  ListWatch watch_;  // last: its thread uses the members above
};

}  // namespace feast::kube
