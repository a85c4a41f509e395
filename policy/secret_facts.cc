#include "secret_facts.h"

#include <yaml-cpp/yaml.h>

#include "yaml_load.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

namespace feast {

std::string_view shape_words(SecretValueShape shape) {
  switch (shape) {
    case SecretValueShape::Mapping: return "a mapping";
    case SecretValueShape::Sequence: return "a YAML list";
    case SecretValueShape::Scalar: return "a scalar";
    case SecretValueShape::Invalid: return "not valid YAML";
  }
  return "not valid YAML";
}

SecretFacts::SecretFacts(std::vector<std::pair<std::string, SecretKeyFacts>> keys) {
  // Stable sort keeps the input order among equal names, so "last one wins" below holds.
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& k : keys) {
    if (!keys_.empty() && keys_.back().first == k.first) {
      keys_.back() = std::move(k);
    } else {
      keys_.push_back(std::move(k));
    }
  }
  keys_.shrink_to_fit();
}

const SecretKeyFacts* SecretFacts::find(std::string_view key) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it == keys_.end() || it->first != key) return nullptr;
  return &it->second;
}

std::vector<std::string> SecretFacts::key_names() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const auto& k : keys_) out.push_back(k.first);
  return out;
}

namespace {

// Plain scalars that the YAML 1.2 core schema resolves to something other than a string.
bool plain_scalar_is_string(const std::string& s) {
  static const char* const kNonStrings[] = {"",     "~",     "null", "Null",  "NULL",  "true",
                                            "True", "TRUE",  "false", "False", "FALSE", ".inf",
                                            "-.inf", "+.inf", ".Inf", "-.Inf", "+.Inf", ".INF",
                                            "-.INF", "+.INF", ".nan", ".NaN",  ".NAN"};
  for (const char* w : kNonStrings) {
    if (s == w) return false;
  }
  auto digits = [](std::string_view t, auto pred) {
    return !t.empty() && std::all_of(t.begin(), t.end(), pred);
  };
  auto is_dec = [](char c) { return c >= '0' && c <= '9'; };
  std::string_view t = s;
  if (t.size() > 2 && t[0] == '0' && t[1] == 'o') return !digits(t.substr(2), [](char c) { return c >= '0' && c <= '7'; });
  if (t.size() > 2 && t[0] == '0' && t[1] == 'x') return !digits(t.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (digits(t, is_dec)) return false;  // integer
  // float: (\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && is_dec(t[i])) ++i, ++int_digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_dec(t[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return true;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < t.size() && is_dec(t[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return true;
  }
  return i != t.size();
}

bool scalar_is_string(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return true;  // quoted or !!str
  if (tag == "?" || tag.empty()) return plain_scalar_is_string(node.Scalar());
  return false;  // another explicit tag (!!int, ...)
}

void collect_variables(std::string_view s, std::vector<std::string>& out) {
  for (std::size_t pos = s.find("${"); pos != std::string_view::npos; pos = s.find("${", pos + 2)) {
    std::size_t i = pos + 2;
    auto first = [](char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    auto rest = [&](char c) { return first(c) || (c >= '0' && c <= '9'); };
    if (i >= s.size() || !first(s[i])) continue;
    std::size_t j = i + 1;
    while (j < s.size() && rest(s[j])) ++j;
    if (j < s.size() && s[j] == '}') out.emplace_back(s.substr(i, j - i));
  }
}

// Aliases can make a small document expand enormously ("billion laughs"): bound the walk.
struct Walk {
  std::vector<std::string>& variables;
  std::size_t budget = 200000;

  void visit(const YAML::Node& node, int depth) {
    if (budget == 0 || depth > 256) return;
    --budget;
    switch (node.Type()) {
      case YAML::NodeType::Scalar: collect_variables(node.Scalar(), variables); break;
      case YAML::NodeType::Sequence:
        for (const auto& item : node) visit(item, depth + 1);
        break;
      case YAML::NodeType::Map:
        for (const auto& kv : node) {
          visit(kv.first, depth + 1);
          visit(kv.second, depth + 1);
        }
        break;
      default: break;
    }
  }
};

SecretTypeField type_field(const YAML::Node& map, const char* name) {
  SecretTypeField out;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar() || kv.first.Scalar() != name) continue;
    out.present = true;
    out.is_string = kv.second.IsScalar() && scalar_is_string(kv.second);
    out.value = out.is_string ? kv.second.Scalar() : std::string();
  }
  return out;
}

}  // namespace

SecretKeyFacts reduce_secret_value(std::string_view value) {
  SecretKeyFacts facts;
  try {
    std::vector<YAML::Node> docs = load_all_yaml(std::string(value));
    if (docs.empty()) return facts;  // empty or comments only: an empty mapping
    if (docs.size() > 1) {
      facts.shape = SecretValueShape::Invalid;
      return facts;
    }
    const YAML::Node& root = docs.front();
    switch (root.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined: return facts;
      case YAML::NodeType::Sequence: facts.shape = SecretValueShape::Sequence; break;
      case YAML::NodeType::Scalar:
        // "~" and "null" are null nodes already; a quoted '' or "" is a string.
        facts.shape = SecretValueShape::Scalar;
        break;
      case YAML::NodeType::Map:
        facts.type = type_field(root, "type");
        facts.registry_type = type_field(root, "registry_type");
        break;
    }
    Walk walk{facts.variables};
    walk.visit(root, 0);
  } catch (const YAML::Exception& e) {
    facts = SecretKeyFacts{};
    facts.shape = SecretValueShape::Invalid;
    facts.error_line = e.mark.is_null() ? 0 : e.mark.line + 1;
  } catch (...) {
    facts = SecretKeyFacts{};
    facts.shape = SecretValueShape::Invalid;
  }
  std::sort(facts.variables.begin(), facts.variables.end());
  facts.variables.erase(std::unique(facts.variables.begin(), facts.variables.end()),
                        facts.variables.end());
  facts.variables.shrink_to_fit();
  return facts;
}

void wipe(std::string& s) {
  if (!s.empty()) {
    volatile char* p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  }
  s.clear();
  s.shrink_to_fit();
}

SecretFacts reduce_secret(std::map<std::string, std::string>& values) {
  std::vector<std::pair<std::string, SecretKeyFacts>> keys;
  keys.reserve(values.size());
  for (auto& [key, value] : values) {
    keys.emplace_back(key, reduce_secret_value(value));
    wipe(value);
  }
  values.clear();
  return SecretFacts(std::move(keys));
}

// --- SecretIndex ---

SecretIndex::Facts SecretIndex::find(std::string_view ns, std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto n = secrets_.find(ns);
  if (n == secrets_.end()) return nullptr;
  auto s = n->second.find(name);
  return s == n->second.end() ? nullptr : s->second;
}

void SecretIndex::upsert(std::string_view ns, std::string_view name, Facts facts) {
  std::unique_lock lock(mutex_);
  auto n = secrets_.find(ns);
  if (n == secrets_.end()) n = secrets_.emplace(std::string(ns), Namespace{}).first;
  auto s = n->second.find(name);
  if (s == n->second.end()) {
    n->second.emplace(std::string(name), std::move(facts));
  } else {
    s->second.swap(facts);  // the old facts are freed after the lock is released
    lock.unlock();
  }
}

void SecretIndex::erase(std::string_view ns, std::string_view name) {
  Facts old;
  std::unique_lock lock(mutex_);
  auto n = secrets_.find(ns);
  if (n == secrets_.end()) return;
  auto s = n->second.find(name);
  if (s == n->second.end()) return;
  old = std::move(s->second);
  n->second.erase(s);
  if (n->second.empty()) secrets_.erase(n);
}

void SecretIndex::replace_all(Snapshot secrets) {
  std::unique_lock lock(mutex_);
  secrets_.swap(secrets);
  lock.unlock();  // the previous snapshot is freed outside the lock
}

void SecretIndex::replace_namespace(std::string_view ns, Namespace secrets) {
  std::unique_lock lock(mutex_);
  auto n = secrets_.find(ns);
  if (secrets.empty()) {
    if (n == secrets_.end()) return;
    secrets.swap(n->second);
    secrets_.erase(n);
  } else if (n == secrets_.end()) {
    secrets_.emplace(std::string(ns), std::move(secrets));
  } else {
    n->second.swap(secrets);
  }
  lock.unlock();
}

std::size_t SecretIndex::size() const {
  std::shared_lock lock(mutex_);
  std::size_t total = 0;
  for (const auto& [ns, names] : secrets_) total += names.size();
  return total;
}

}  // namespace feast
