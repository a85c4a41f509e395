#include "label_selector.h"

#include <fnmatch.h>

#include <algorithm>
#include <string_view>

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

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A label name: 1-63 of [A-Za-z0-9._-], alphanumeric at both ends.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// A DNS subdomain: dot-separated labels of [a-z0-9-], alphanumeric at both ends.
bool valid_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
    for (char c : label)
      if (!lower_alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

bool valid_label_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return valid_name(key);
  return valid_subdomain(std::string_view(key).substr(0, slash)) && valid_name(std::string_view(key).substr(slash + 1));
}

bool valid_label_value(const std::string& value) { return value.empty() || valid_name(value); }

bool valid_glob(const std::string& glob) {
  if (glob.empty() || glob.size() > 253) return false;
  for (char c : glob)
    if (!lower_alnum(c) && std::string_view(".*?[]!^-").find(c) == std::string_view::npos) return false;
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
