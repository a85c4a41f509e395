// SecretFacts: what rules V7 and V8 need to know about a Secret, and nothing more.
// A Secret is reduced to these facts the moment it arrives (from a folder or from the
// Kubernetes API); the raw values are dropped right after, so no Secret value is ever
// held by the index, logged or quoted in an error.
//
// SecretLookup is the read side the rules query; SecretIndex is the thread-safe store the
// sources fill. Readers take a shared lock for one map lookup and get a shared_ptr to an
// immutable SecretFacts, so a writer never blocks the request path for long.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feast {

// One `type` / `registry_type` field of a key's YAML mapping. The value is kept only to
// compare it with the store type; it is never printed.
struct SecretTypeField {
  bool present = false;
  bool is_string = false;
  std::string value;  // when is_string

  bool operator==(const SecretTypeField&) const = default;
};

// What a key's value is, once parsed as YAML.
enum class SecretValueShape : std::uint8_t {
  Mapping,   // a mapping, or empty / null / ~ / comments only (the operator reads {} then)
  Sequence,  // a YAML list
  Scalar,    // a string, number, ...
  Invalid,   // not YAML at all (or several documents)
};

// "a mapping", "a YAML list", "a scalar", "not valid YAML": for messages.
std::string_view shape_words(SecretValueShape shape);

struct SecretKeyFacts {
  SecretValueShape shape = SecretValueShape::Mapping;
  int error_line = 0;  // 1-based line of the YAML parse error when Invalid (0: unknown)
  SecretTypeField type;
  SecretTypeField registry_type;
  // ${NAME} references in the string scalars (keys and values, at any depth; never in
  // comments), sorted and unique.
  std::vector<std::string> variables;

  bool is_mapping() const { return shape == SecretValueShape::Mapping; }
  bool operator==(const SecretKeyFacts&) const = default;
};

// A Secret: its key names and the facts per key. Immutable once built.
class SecretFacts {
 public:
  SecretFacts() = default;
  // Keys need not be sorted or unique (the last one wins).
  explicit SecretFacts(std::vector<std::pair<std::string, SecretKeyFacts>> keys);

  const SecretKeyFacts* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::vector<std::string> key_names() const;  // sorted
  std::size_t size() const { return keys_.size(); }
  const std::vector<std::pair<std::string, SecretKeyFacts>>& keys() const { return keys_; }

 private:
  std::vector<std::pair<std::string, SecretKeyFacts>> keys_;  // sorted by key name
};

// Reduce one key's raw value (the decoded bytes) to its facts. Never throws.
SecretKeyFacts reduce_secret_value(std::string_view value);

// Reduce a Secret's decoded key->value map to facts. The values are overwritten with
// zeros and cleared before returning: the caller hands them over for good.
SecretFacts reduce_secret(std::map<std::string, std::string>& values);

// Overwrite a string holding a Secret value before it is freed.
void wipe(std::string& s);

// The read side of the Secret cache, as the rules see it.
class SecretLookup {
 public:
  virtual ~SecretLookup() = default;
  // False until the source has loaded everything once (first folder scan, first list).
  virtual bool synced() const = 0;
  // nullptr: no such Secret in the namespace.
  virtual std::shared_ptr<const SecretFacts> find(std::string_view ns,
                                                  std::string_view name) const = 0;
};

// The Secret cache: namespace -> name -> facts. Safe for concurrent readers and writers.
class SecretIndex final : public SecretLookup {
 public:
  using Facts = std::shared_ptr<const SecretFacts>;
  using Namespace = std::map<std::string, Facts, std::less<>>;
  using Snapshot = std::map<std::string, Namespace, std::less<>>;

  bool synced() const override { return synced_.load(std::memory_order_acquire); }
  Facts find(std::string_view ns, std::string_view name) const override;

  void upsert(std::string_view ns, std::string_view name, Facts facts);
  void erase(std::string_view ns, std::string_view name);
  // Replace everything (a cluster-wide relist, a folder rescan).
  void replace_all(Snapshot secrets);
  // Replace one namespace (a relist of a namespace-scoped watch).
  void replace_namespace(std::string_view ns, Namespace secrets);
  void mark_synced(bool synced = true) { synced_.store(synced, std::memory_order_release); }

  std::size_t size() const;  // number of Secrets

 private:
  mutable std::shared_mutex mutex_;
  Snapshot secrets_;
  std::atomic<bool> synced_{false};
};

}  // namespace feast
