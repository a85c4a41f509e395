#include "kube_namespace_source.h"

namespace feast::kube {

KubeNamespaceSource::KubeNamespaceSource(std::shared_ptr<const KubeConfig> config,
                                         std::shared_ptr<NamespaceIndex> index,
                                         ListWatchOptions options)
    : index_(std::move(index)), watch_(std::move(config), "/api/v1/namespaces", *this, options) {}

KubeNamespaceSource::~KubeNamespaceSource() { watch_.stop(); }

void KubeNamespaceSource::list_item(nlohmann::json& object) {
  // Items of a List come without kind/apiVersion (only watch events carry them).
  if (object.is_object() && !object.contains("kind")) object["kind"] = "Namespace";
  if (auto ns = namespace_from_object(object)) staging_[ns->first] = std::move(ns->second);
}

void KubeNamespaceSource::list_end() {
  index_->replace_all(std::move(staging_));
  staging_.clear();
  index_->mark_synced();
}

void KubeNamespaceSource::applied(nlohmann::json& object) {
  if (auto ns = namespace_from_object(object)) index_->upsert(ns->first, std::move(ns->second));
}

void KubeNamespaceSource::deleted(nlohmann::json& object) {
  if (auto ns = namespace_from_object(object)) index_->erase(ns->first);
}

}  // namespace feast::kube
