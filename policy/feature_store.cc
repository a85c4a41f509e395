#include "feature_store.h"

#include <string>
#include <vector>

namespace feast {

using nlohmann::json;

const json* member(const json* node, std::string_view key) {
  if (node == nullptr || !node->is_object()) return nullptr;
  auto it = node->find(key);
  if (it == node->end() || it->is_null()) return nullptr;
  return &*it;
}

const json* find(const json* root, std::initializer_list<std::string_view> path) {
  for (auto key : path) root = member(root, key);
  return root;
}

const json* find(const json* root, const JsonTokens& path) {
  for (const auto& key : path) root = member(root, key);
  return root;
}

bool is_absent_or_empty(const json* node) {
  return node == nullptr || (node->is_object() && node->empty());
}

bool is_true(const json* node) { return node != nullptr && node->is_boolean() && node->get<bool>(); }

const JsonTokens& component_tokens(Component c) {
  static const JsonTokens online{"spec", "services", "onlineStore"};
  static const JsonTokens offline{"spec", "services", "offlineStore"};
  static const JsonTokens registry{"spec", "services", "registry", "local"};
  switch (c) {
    case Component::Online: return online;
    case Component::Offline: return offline;
    case Component::Registry: return registry;
  }
  return online;
}

const JsonTokens& persistence_tokens(Component c) {
  static const JsonTokens online = [] { auto t = component_tokens(Component::Online); t.push_back("persistence"); return t; }();
  static const JsonTokens offline = [] { auto t = component_tokens(Component::Offline); t.push_back("persistence"); return t; }();
  static const JsonTokens registry = [] { auto t = component_tokens(Component::Registry); t.push_back("persistence"); return t; }();
  switch (c) {
    case Component::Online: return online;
    case Component::Offline: return offline;
    case Component::Registry: return registry;
  }
  return online;
}

FieldPath to_field_path(const JsonTokens& tokens) {
  FieldPath p;
  for (const auto& t : tokens) p = std::move(p).child(t);
  return p;
}

FieldPath persistence_path(Component c) { return to_field_path(persistence_tokens(c)); }

bool component_deployed(const json& object, Component c) {
  const json* services = find(&object, {"spec", "services"});
  switch (c) {
    case Component::Online:
      return !is_true(find(services, {"onlineStore", "disabled"}));
    case Component::Offline:
      return member(services, "offlineStore") != nullptr;
    case Component::Registry: {
      const json* registry = member(services, "registry");
      return registry != nullptr && member(registry, "remote") == nullptr;
    }
  }
  return false;
}

const PathTree& read_paths() {
  static const PathTree tree = [] {
    std::vector<JsonTokens> paths{{"metadata", "name"},
                                  {"metadata", "namespace"},
                                  {"metadata", "deletionTimestamp"},
                                  {"spec", "replicas"},
                                  {"spec", "services", "scaling"},
                                  {"spec", "services", "onlineStore", "disabled"},
                                  {"spec", "services", "registry", "remote"}};
    for (Component c : kComponents) {
      paths.push_back(persistence_tokens(c));
      for (const char* list : {"env", "envFrom"}) {
        JsonTokens at = component_tokens(c);
        at.insert(at.end(), {"server", list});
        paths.push_back(std::move(at));
      }
    }
    // The ui container's env sits on services.ui itself; the schema also types ui.server.
    for (const char* key : {"env", "envFrom", "server"}) paths.push_back({"spec", "services", "ui", key});
    return PathTree(paths);
  }();
  return tree;
}

bool valid_mount_path(std::string_view path) {
  return path.starts_with('/') && path.find(':') == std::string_view::npos;
}

namespace {

enum class Kind { Object, Array, String, Integer, Boolean, Quantity };

struct SchemaNode {
  std::string_view key;
  Kind kind;
  std::vector<SchemaNode> children;
};

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Object: return "object";
    case Kind::Array: return "array";
    case Kind::String: return "string";
    case Kind::Integer: return "integer";
    case Kind::Boolean: return "boolean";
    case Kind::Quantity: return "string";
  }
  return "object";
}

bool has_kind(const json& v, Kind k) {
  switch (k) {
    case Kind::Object: return v.is_object();
    case Kind::Array: return v.is_array();
    case Kind::String: return v.is_string();
    case Kind::Integer: return v.is_number_integer();
    case Kind::Boolean: return v.is_boolean();
    case Kind::Quantity: return v.is_string() || v.is_number();  // int-or-string, as resource.Quantity
  }
  return false;
}

SchemaNode persistence_schema(bool offline, bool registry) {
  SchemaNode pvc{"pvc", Kind::Object,
                 {{"ref", Kind::Object, {{"name", Kind::String, {}}}},
                  {"create", Kind::Object,
                   {{"accessModes", Kind::Array, {}},
                    {"storageClassName", Kind::String, {}},
                    {"resources", Kind::Object, {{"requests", Kind::Object, {{"storage", Kind::Quantity, {}}}}}}}},
                  {"mountPath", Kind::String, {}}}};
  SchemaNode file{"file", Kind::Object, {pvc}};
  if (offline) {
    file.children.push_back({"type", Kind::String, {}});
  } else {
    file.children.push_back({"path", Kind::String, {}});
  }
  if (registry) {
    file.children.push_back({"s3_additional_kwargs", Kind::Object, {}});
    file.children.push_back({"cache_ttl_seconds", Kind::Integer, {}});
    file.children.push_back({"cache_mode", Kind::String, {}});
  }
  SchemaNode store{"store", Kind::Object,
                   {{"type", Kind::String, {}},
                    {"secretRef", Kind::Object, {{"name", Kind::String, {}}}},
                    {"secretKeyName", Kind::String, {}}}};
  return {"persistence", Kind::Object, {file, store}};
}

SchemaNode server_schema() {
  return {"server", Kind::Object, {{"env", Kind::Array, {}}, {"envFrom", Kind::Array, {}}}};
}

const SchemaNode& object_schema() {
  static const SchemaNode root{
      "", Kind::Object,
      {{"metadata", Kind::Object, {{"name", Kind::String, {}}, {"namespace", Kind::String, {}}}},
       {"spec", Kind::Object,
        {{"replicas", Kind::Integer, {}},
         {"services", Kind::Object,
          {{"scaling", Kind::Object, {{"autoscaling", Kind::Object, {}}}},
           {"onlineStore", Kind::Object,
            {{"disabled", Kind::Boolean, {}}, persistence_schema(false, false), server_schema()}},
           {"offlineStore", Kind::Object, {persistence_schema(true, false), server_schema()}},
           {"registry", Kind::Object,
            {{"local", Kind::Object, {persistence_schema(false, true), server_schema()}},
             {"remote", Kind::Object,
              {{"hostname", Kind::String, {}},
               {"feastRef", Kind::Object, {{"name", Kind::String, {}}, {"namespace", Kind::String, {}}}}}}}},
           {"ui", Kind::Object, {server_schema()}}}}}}}};
  return root;
}

// The path of the node being checked, as links to its parents: the FieldPath text is only
// built for a node that fails (most requests have none), not for every node visited.
struct PathLink {
  const PathLink* parent;
  std::string_view key;
};

FieldPath field_path(const PathLink& link) {
  if (link.parent == nullptr) return FieldPath(link.key);
  return field_path(*link.parent).child(link.key);
}

void check(const json& value, const SchemaNode& node, const PathLink& link, ErrorList& out) {
  if (!has_kind(value, node.kind)) {
    const FieldPath path = field_path(link);
    const std::string type(json_type_name(value));
    out.push_back(invalid(path, type,
                          path.str() + " in body must be of type " + std::string(kind_name(node.kind)) +
                              ": \"" + type + "\"",
                          "schema"));
    return;
  }
  for (const auto& child : node.children) {
    const json* v = member(&value, child.key);
    if (v != nullptr) check(*v, child, PathLink{&link, child.key}, out);
  }
}

}  // namespace

ErrorList schema_errors(const json& object) {
  ErrorList out;
  const SchemaNode& root = object_schema();
  if (!object.is_object()) {
    out.push_back(invalid(FieldPath(), std::string(json_type_name(object)), "the object must be a JSON object", "schema"));
    return out;
  }
  for (const auto& child : root.children) {
    const json* v = member(&object, child.key);
    if (v != nullptr) check(*v, child, PathLink{nullptr, child.key}, out);
  }
  return out;
}

}  // namespace feast
