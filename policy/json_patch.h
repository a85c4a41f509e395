// JsonPatch: the RFC 6902 patch the mutating webhook returns. Only "add" operations;
// the caller creates missing parents inside the added value, so one operation adds a
// whole absent subtree. Keys are escaped as JSON pointers (~0, ~1).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace feast {

using JsonTokens = std::vector<std::string>;

// "/spec/services/a~1b" from {"spec", "services", "a/b"}.
std::string json_pointer(const JsonTokens& tokens);

class JsonPatch {
 public:
  void add(const JsonTokens& tokens, nlohmann::json value);
  bool empty() const { return ops_.empty(); }
  std::size_t size() const { return ops_.size(); }
  const nlohmann::json& ops() const { return ops_; }
  nlohmann::json take() { return std::move(ops_); }

 private:
  nlohmann::json ops_ = nlohmann::json::array();
};

}  // namespace feast
