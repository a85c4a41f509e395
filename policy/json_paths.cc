#include "json_paths.h"

namespace feast {

using nlohmann::json;

PathTree::PathTree(const std::vector<JsonTokens>& paths) {
  for (const JsonTokens& path : paths) add(path, 0);
}

void PathTree::add(const JsonTokens& path, std::size_t from) {
  if (from == path.size()) {
    whole_ = true;
    return;
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == path[from]) {
      children_[i].add(path, from + 1);
      return;
    }
  }
  keys_.push_back(path[from]);
  children_.emplace_back();
  children_.back().add(path, from + 1);
}

const PathTree* PathTree::child(std::string_view key) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &children_[i];
  }
  return nullptr;
}

json copy_along(const json& value, const PathTree& tree) {
  if (tree.whole() || !value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, item] : value.items()) {
    if (const PathTree* below = tree.child(key)) out[key] = copy_along(item, *below);
  }
  return out;
}

}  // namespace feast
