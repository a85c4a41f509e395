#include "policy_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "feature_store.h"
#include "quantity.h"
#include "store_types.h"
#include "yaml_load.h"

namespace feast {
namespace {

struct SchemaError {
  std::string message;
};

// Walks the YAML with the key path and file name at hand, so every error can say
// exactly where it is.
class Reader {
 public:
  Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& problem) const {
    std::ostringstream out;
    out << file_;
    if (at.IsDefined() && at.Mark().line >= 0) out << ':' << at.Mark().line + 1 << ':' << at.Mark().column + 1;
    out << ": " << (path.empty() ? "(top level)" : path) << ": " << problem;
    throw SchemaError{out.str()};
  }

  void map(const YAML::Node& n, const std::string& path, const std::set<std::string>& known) const {
    if (!n.IsMap()) fail(n, path, "must be a mapping");
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (!known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(kv.first, join(path, key), "unknown key (known keys: " + list + ")");
      }
    }
  }

  std::string string(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, "must be a string");
    return n.Scalar();
  }

  std::string one_of(const YAML::Node& n, const std::string& path, const std::vector<std::string>& allowed) const {
    std::string s = string(n, path);
    if (!contains(allowed, s)) fail(n, path, quote(s) + " is not one of " + list(allowed));
    return s;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) fail(n, path, "must be a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(string(n[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }

  std::vector<std::string> strings_from(const YAML::Node& n, const std::string& path,
                                        const std::vector<std::string>& allowed) const {
    std::vector<std::string> out = strings(n, path);
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!contains(allowed, out[i])) fail(n[i], path + "[" + std::to_string(i) + "]", quote(out[i]) + " is not one of " + list(allowed));
    return out;
  }

  SizeBound quantity(const YAML::Node& n, const std::string& path) const {
    std::string s = string(n, path);
    auto bytes = parse_quantity(s);
    if (!bytes) fail(n, path, quote(s) + " is not a Kubernetes quantity (like 1Gi, 500M)");
    if (*bytes <= 0) fail(n, path, quote(s) + " must be greater than zero");
    return {s, *bytes};
  }

  static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
  static std::string quote(const std::string& s) { return "\"" + s + "\""; }
  static std::string list(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + quote(s);
    return out;
  }

 private:
  std::string file_;
};

const std::vector<std::string>& component_keys() {
  static const std::vector<std::string> keys{"onlineStore", "offlineStore", "registry"};
  return keys;
}

Component component_of(const std::string& key) {
  if (key == "onlineStore") return Component::Online;
  if (key == "offlineStore") return Component::Offline;
  return Component::Registry;
}

// All DB store types any FeatureStore version accepts for the component.
std::vector<std::string> any_version_store_types(Component c) {
  std::vector<std::string> out = db_store_types("v1", c);
  for (const auto& t : db_store_types("v1alpha1", c))
    if (!contains(out, t)) out.push_back(t);
  return out;
}

ComponentOverride read_component_defaults(const Reader& r, const YAML::Node& n, const std::string& path, Component c) {
  std::set<std::string> known{"mountPath", "storage", "accessModes", "storageClassName"};
  if (c == Component::Offline) known.insert("type");
  else known.insert({"path", "pvcPath"});
  r.map(n, path, known);
  ComponentOverride o;
  if (n["path"]) {
    o.ephemeral_path = r.string(n["path"], path + ".path");
    const bool remote = o.ephemeral_path->starts_with("s3://") || o.ephemeral_path->starts_with("gs://");
    if (!o.ephemeral_path->starts_with("/") && !(c == Component::Registry && remote))
      r.fail(n["path"], path + ".path", "must be an absolute path");
  }
  if (n["pvcPath"]) {
    o.pvc_path = r.string(n["pvcPath"], path + ".pvcPath");
    if (o.pvc_path->empty() || o.pvc_path->starts_with("/"))
      r.fail(n["pvcPath"], path + ".pvcPath", "must be a file name relative to the mount path");
  }
  if (n["type"]) o.file_type = r.one_of(n["type"], path + ".type", offline_file_types());
  if (n["mountPath"]) {
    o.mount_path = r.string(n["mountPath"], path + ".mountPath");
    if (!valid_mount_path(*o.mount_path)) r.fail(n["mountPath"], path + ".mountPath", "must match ^/[^:]*$");
  }
  if (n["storage"]) o.storage = r.quantity(n["storage"], path + ".storage").text;
  if (n["accessModes"]) {
    o.access_modes = r.strings_from(n["accessModes"], path + ".accessModes", pvc_access_modes());
    if (o.access_modes->empty()) r.fail(n["accessModes"], path + ".accessModes", "must not be empty");
  }
  if (n["storageClassName"]) {
    o.storage_class = r.string(n["storageClassName"], path + ".storageClassName");
    if (o.storage_class->empty()) r.fail(n["storageClassName"], path + ".storageClassName", "must not be empty");
  }
  return o;
}

DefaultsOverride read_defaults(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.map(n, path, {"mode", "onlineStore", "offlineStore", "registry"});
  DefaultsOverride d;
  if (n["mode"]) d.mode = r.one_of(n["mode"], path + ".mode", {"ephemeral", "pvc"}) == "pvc" ? PersistenceMode::Pvc : PersistenceMode::Ephemeral;
  for (const auto& key : component_keys())
    if (n[key]) d.components[component_of(key)] = read_component_defaults(r, n[key], path + "." + key, component_of(key));
  return d;
}

void read_secrets(const Reader& r, const YAML::Node& n, const std::string& path,
                  std::optional<bool>& deny_unresolved, std::optional<bool>& allow_unchecked) {
  r.map(n, path, {"unresolvedVars", "whenUnavailable"});
  if (n["unresolvedVars"]) deny_unresolved = r.one_of(n["unresolvedVars"], path + ".unresolvedVars", {"warn", "deny"}) == "deny";
  if (n["whenUnavailable"]) allow_unchecked = r.one_of(n["whenUnavailable"], path + ".whenUnavailable", {"deny", "allow"}) == "allow";
}

std::vector<Component> read_components(const Reader& r, const YAML::Node& n, const std::string& path) {
  std::vector<Component> out;
  for (const auto& key : r.strings_from(n, path, component_keys())) out.push_back(component_of(key));
  return out;
}

Requirements read_requirements(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.map(n, path, {"storeTypes", "offlineFileTypes", "forbidEphemeral", "requireStore", "pvcSize", "storageClasses"});
  Requirements q;
  if (const YAML::Node st = n["storeTypes"]) {
    r.map(st, path + ".storeTypes", {"onlineStore", "offlineStore", "registry"});
    for (const auto& key : component_keys())
      if (st[key]) {
        const Component c = component_of(key);
        q.store_types[c] = r.strings_from(st[key], path + ".storeTypes." + key, any_version_store_types(c));
      }
  }
  if (n["offlineFileTypes"]) q.offline_file_types = r.strings_from(n["offlineFileTypes"], path + ".offlineFileTypes", offline_file_types());
  if (n["forbidEphemeral"]) q.forbid_ephemeral = read_components(r, n["forbidEphemeral"], path + ".forbidEphemeral");
  if (n["requireStore"]) q.require_store = read_components(r, n["requireStore"], path + ".requireStore");
  if (const YAML::Node size = n["pvcSize"]) {
    r.map(size, path + ".pvcSize", {"min", "max"});
    if (size["min"]) q.min_pvc_size = r.quantity(size["min"], path + ".pvcSize.min");
    if (size["max"]) q.max_pvc_size = r.quantity(size["max"], path + ".pvcSize.max");
    if (q.min_pvc_size && q.max_pvc_size && q.min_pvc_size->bytes > q.max_pvc_size->bytes)
      r.fail(size, path + ".pvcSize", "min is larger than max");
  }
  if (n["storageClasses"]) q.storage_classes = r.strings(n["storageClasses"], path + ".storageClasses");
  return q;
}

LabelSelector read_label_selector(const Reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) r.fail(n, path, "must be a mapping");
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (key != "matchLabels" && key != "matchExpressions")
      r.fail(kv.first, path + "." + key, "unknown key (known keys: matchExpressions, matchLabels)");
  }
  LabelSelector s;
  if (const YAML::Node labels = n["matchLabels"]) {
    if (!labels.IsMap()) r.fail(labels, path + ".matchLabels", "must be a mapping of label keys to values");
    for (const auto& kv : labels) {
      const std::string key = kv.first.as<std::string>();
      const std::string at = path + ".matchLabels." + key;
      if (!valid_label_key(key)) r.fail(kv.first, at, "is not a valid label key");
      const std::string value = r.string(kv.second, at);
      if (!valid_label_value(value)) r.fail(kv.second, at, Reader::quote(value) + " is not a valid label value");
      s.match_labels[key] = value;
    }
  }
  if (const YAML::Node exprs = n["matchExpressions"]) {
    if (!exprs.IsSequence()) r.fail(exprs, path + ".matchExpressions", "must be a list");
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      const std::string at = path + ".matchExpressions[" + std::to_string(i) + "]";
      const YAML::Node e = exprs[i];
      r.map(e, at, {"key", "operator", "values"});
      if (!e["key"]) r.fail(e, at + ".key", "is required");
      if (!e["operator"]) r.fail(e, at + ".operator", "is required");
      LabelRequirement req;
      req.key = r.string(e["key"], at + ".key");
      if (!valid_label_key(req.key)) r.fail(e["key"], at + ".key", Reader::quote(req.key) + " is not a valid label key");
      const std::string op = r.one_of(e["operator"], at + ".operator", {"In", "NotIn", "Exists", "DoesNotExist"});
      req.op = op == "In" ? LabelRequirement::Op::In : op == "NotIn" ? LabelRequirement::Op::NotIn
             : op == "Exists" ? LabelRequirement::Op::Exists : LabelRequirement::Op::DoesNotExist;
      if (e["values"]) req.values = r.strings(e["values"], at + ".values");
      const bool set_op = req.op == LabelRequirement::Op::In || req.op == LabelRequirement::Op::NotIn;
      if (set_op && req.values.empty()) r.fail(e, at + ".values", "must be non-empty for " + op);
      if (!set_op && !req.values.empty()) r.fail(e["values"], at + ".values", "must be empty for " + op);
      s.match_expressions.push_back(std::move(req));
    }
  }
  return s;
}

PolicyRule read_rule(const Reader& r, const YAML::Node& n, const std::string& path, std::set<std::string>& names) {
  r.map(n, path, {"name", "namespaces", "namespaceSelector", "enforcement", "defaults", "secrets", "require"});
  PolicyRule rule;
  if (!n["name"]) r.fail(n, path + ".name", "is required");
  rule.name = r.string(n["name"], path + ".name");
  if (rule.name.empty()) r.fail(n["name"], path + ".name", "must not be empty");
  if (!names.insert(rule.name).second) r.fail(n["name"], path + ".name", "duplicate rule name " + Reader::quote(rule.name));
  if (n["namespaces"]) {
    rule.namespaces = r.strings(n["namespaces"], path + ".namespaces");
    for (std::size_t i = 0; i < rule.namespaces.size(); ++i)
      if (!valid_glob(rule.namespaces[i]))
        r.fail(n["namespaces"][i], path + ".namespaces[" + std::to_string(i) + "]",
               Reader::quote(rule.namespaces[i]) + " is not a valid namespace glob (lowercase name characters, *, ?, [...])");
  }
  if (n["namespaceSelector"]) rule.namespace_selector = read_label_selector(r, n["namespaceSelector"], path + ".namespaceSelector");
  if (n["enforcement"]) {
    const std::string e = r.one_of(n["enforcement"], path + ".enforcement", {"deny", "warn", "audit"});
    rule.enforcement = e == "warn" ? Enforcement::Warn : e == "audit" ? Enforcement::Audit : Enforcement::Deny;
  }
  if (n["defaults"]) rule.defaults = read_defaults(r, n["defaults"], path + ".defaults");
  if (n["secrets"]) read_secrets(r, n["secrets"], path + ".secrets", rule.deny_unresolved_vars, rule.allow_when_unchecked);
  if (n["require"]) rule.requirements = read_requirements(r, n["require"], path + ".require");
  return rule;
}

Policy read_policy(const Reader& r, const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) r.fail(root, "", "the file is empty");
  r.map(root, "", {"apiVersion", "kind", "defaults", "secrets", "rules"});
  if (!root["apiVersion"]) r.fail(root, "apiVersion", std::string("is required (") + kPolicyApiVersion + ")");
  r.one_of(root["apiVersion"], "apiVersion", {kPolicyApiVersion});
  if (!root["kind"]) r.fail(root, "kind", std::string("is required (") + kPolicyKind + ")");
  r.one_of(root["kind"], "kind", {kPolicyKind});
  PersistenceDefaults defaults = PersistenceDefaults::builtin();
  if (root["defaults"]) read_defaults(r, root["defaults"], "defaults").apply_to(defaults);
  SecretRuleSettings secrets;
  if (root["secrets"]) {
    std::optional<bool> deny, allow;
    read_secrets(r, root["secrets"], "secrets", deny, allow);
    secrets.deny_unresolved_vars = deny.value_or(false);
    secrets.allow_when_unchecked = allow.value_or(false);
  }
  std::vector<PolicyRule> rules;
  if (const YAML::Node list = root["rules"]) {
    if (!list.IsSequence()) r.fail(list, "rules", "must be a list");
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) rules.push_back(read_rule(r, list[i], "rules[" + std::to_string(i) + "]", names));
  }
  return Policy(std::move(defaults), secrets, std::move(rules));
}

}  // namespace

PolicyLoad load_policy_text(const std::string& text, const std::string& name) {
  PolicyLoad out;
  try {
    std::vector<YAML::Node> docs = load_all_yaml(text);
    if (docs.size() > 1) return {std::nullopt, name + ": a policy file holds one YAML document, found " + std::to_string(docs.size())};
    out.policy = read_policy(Reader(name), docs.empty() ? YAML::Node() : docs.front());
  } catch (const SchemaError& e) {
    out.error = e.message;
  } catch (const YAML::Exception& e) {
    out.error = name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg;
  }
  return out;
}

PolicyLoad load_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, path + ": cannot read the policy file"};
  std::ostringstream text;
  text << in.rdbuf();
  return load_policy_text(text.str(), path);
}

}  // namespace feast
