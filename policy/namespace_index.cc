#include "namespace_index.h"

#include <mutex>

namespace feast {

std::optional<Labels> NamespaceIndex::labels(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  auto it = namespaces_.find(ns);
  if (it == namespaces_.end()) return std::nullopt;
  return it->second;
}

void NamespaceIndex::upsert(const std::string& ns, Labels labels) {
  std::unique_lock lock(mutex_);
  namespaces_.insert_or_assign(ns, std::move(labels));
}

void NamespaceIndex::erase(const std::string& ns) {
  std::unique_lock lock(mutex_);
  auto it = namespaces_.find(ns);
  if (it != namespaces_.end()) namespaces_.erase(it);
}

void NamespaceIndex::replace_all(std::map<std::string, Labels> namespaces) {
  std::map<std::string, Labels, std::less<>> fresh(std::make_move_iterator(namespaces.begin()),
                                                   std::make_move_iterator(namespaces.end()));
  std::unique_lock lock(mutex_);
  namespaces_.swap(fresh);
}

std::size_t NamespaceIndex::size() const {
  std::shared_lock lock(mutex_);
  return namespaces_.size();
}

std::optional<std::pair<std::string, Labels>> namespace_from_object(const nlohmann::json& object) {
  if (!object.is_object() || object.value("kind", "") != "Namespace") return std::nullopt;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return std::nullopt;
  auto name = meta->find("name");
  if (name == meta->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return std::nullopt;
  Labels labels;
  if (auto l = meta->find("labels"); l != meta->end() && l->is_object())
    for (const auto& [k, v] : l->items())
      if (v.is_string()) labels[k] = v.get<std::string>();
  return std::make_pair(name->get<std::string>(), std::move(labels));
}

}  // namespace feast
