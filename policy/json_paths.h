// Member paths as a tree of keys, to cut a JSON object down to the parts that are read.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "json_patch.h"

namespace feast {

class PathTree {
 public:
  PathTree() = default;
  explicit PathTree(const std::vector<JsonTokens>& paths);

  // The tree below member `key`, or nullptr when no path goes through it.
  const PathTree* child(std::string_view key) const;
  // True where a path ends: the whole value there is kept.
  bool whole() const { return whole_; }

 private:
  void add(const JsonTokens& path, std::size_t from);

  std::vector<std::string> keys_;
  std::vector<PathTree> children_;  // children_[i] is below keys_[i]
  bool whole_ = false;
};

// A copy of `value` with only what lies along the paths of `tree`: where a path ends the
// whole value is copied, and an object on the way keeps only the members some path goes
// through (a value that is not an object is copied whole). A walk along any of the paths
// sees in the copy what it would see in `value`.
nlohmann::json copy_along(const nlohmann::json& value, const PathTree& tree);

}  // namespace feast
