// NamespaceIndex: Namespace name -> labels, the data policy rules' namespaceSelector
// reads. Filled from watched Namespace objects, Namespace manifests or a labels file;
// safe for concurrent readers and writers.
#pragma once

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>

#include "policy.h"

namespace feast {

class NamespaceIndex final : public NamespaceLookup {
 public:
  std::optional<Labels> labels(std::string_view ns) const override;

  void upsert(const std::string& ns, Labels labels);
  void erase(const std::string& ns);
  void replace_all(std::map<std::string, Labels> namespaces);
  void mark_synced(bool synced = true) { synced_.store(synced, std::memory_order_release); }
  bool synced() const { return synced_.load(std::memory_order_acquire); }
  std::size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, Labels, std::less<>> namespaces_;
  std::atomic<bool> synced_{false};
};

// A Namespace object (kind: Namespace) as name and labels; nullopt for anything else.
// Label values that are not strings are skipped.
std::optional<std::pair<std::string, Labels>> namespace_from_object(const nlohmann::json& object);

}  // namespace feast
