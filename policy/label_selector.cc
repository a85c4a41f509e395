#include "label_selector.h"

#include <fnmatch.h>

#include <algorithm>
#include <regex>

namespace feast {

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& req : match_expressions) {
    auto it = labels.find(req.key);
    const bool has = it != labels.end();
    const bool listed = has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    switch (req.op) {
      case LabelRequirement::Op::In: if (!listed) return false; break;
      case LabelRequirement::Op::NotIn: if (listed) return false; break;
      case LabelRequirement::Op::Exists: if (!has) return false; break;
      case LabelRequirement::Op::DoesNotExist: if (has) return false; break;
    }
  }
  return true;
}

namespace {
const std::regex kName("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$");
const std::regex kPrefix("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
}  // namespace

bool valid_label_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return std::regex_match(key, kName);
  const std::string prefix = key.substr(0, slash);
  return prefix.size() <= 253 && std::regex_match(prefix, kPrefix) &&
         std::regex_match(key.substr(slash + 1), kName);
}

bool valid_label_value(const std::string& value) { return value.empty() || std::regex_match(value, kName); }

bool valid_glob(const std::string& glob) {
  static const std::regex chars("^[a-z0-9.*?\\[\\]!^-]+$");
  if (glob.empty() || !std::regex_match(glob, chars)) return false;
  bool in_class = false;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '[') {
      if (in_class) return false;
      in_class = true;
    } else if (glob[i] == ']') {
      if (!in_class) return false;
      in_class = false;
    }
  }
  return !in_class;
}

bool glob_matches(const std::string& glob, const std::string& name) {
  return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

}  // namespace feast
