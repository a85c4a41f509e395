// AdmissionState: what the admission routes decide with. The policy in force is swapped
// whole when the policy file changes, so a request always sees one consistent policy;
// the Secret and Namespace caches are filled by their sources in the background.
#pragma once

#include <atomic>
#include <memory>

#include "decision.h"
#include "namespace_index.h"
#include "policy.h"
#include "secret_facts.h"

namespace feast {

class AdmissionState {
 public:
  AdmissionState(std::shared_ptr<const Policy> policy, std::shared_ptr<SecretIndex> secrets,
                 std::shared_ptr<NamespaceIndex> namespaces)
      : policy_(std::move(policy)), secrets_(std::move(secrets)), namespaces_(std::move(namespaces)) {}

  std::shared_ptr<const Policy> policy() const { return policy_.load(std::memory_order_acquire); }
  void set_policy(std::shared_ptr<const Policy> policy) { policy_.store(std::move(policy), std::memory_order_release); }

  // A context for one decision; `policy` must be a value returned by policy() that the
  // caller keeps alive for the decision.
  DecisionContext context(const Policy& policy) const {
    return DecisionContext{policy, namespaces_.get(), secrets_.get()};
  }

  const std::shared_ptr<SecretIndex>& secrets() const { return secrets_; }
  const std::shared_ptr<NamespaceIndex>& namespaces() const { return namespaces_; }

 private:
  std::atomic<std::shared_ptr<const Policy>> policy_;
  std::shared_ptr<SecretIndex> secrets_;
  std::shared_ptr<NamespaceIndex> namespaces_;
};

}  // namespace feast
