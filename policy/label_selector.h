// LabelSelector: Kubernetes' matchLabels + matchExpressions (In, NotIn, Exists,
// DoesNotExist), evaluated against a Namespace's labels.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace feast {

using Labels = std::map<std::string, std::string>;

struct LabelRequirement {
  enum class Op { In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;

  // Every requirement holds (an empty selector matches everything).
  bool matches(const Labels& labels) const;
};

// Kubernetes label syntax: [prefix/]name, name <= 63 chars of [A-Za-z0-9._-] starting and
// ending alphanumeric; prefix a DNS subdomain. Values: empty or the same as a name.
bool valid_label_key(const std::string& key);
bool valid_label_value(const std::string& value);

// Namespace name globs: *, ? and [...] over namespace names (fnmatch semantics).
bool valid_glob(const std::string& glob);
bool glob_matches(const std::string& glob, const std::string& name);

}  // namespace feast
