#include "requirements.h"

#include "feature_store.h"
#include "quantity.h"
#include "store_types.h"

namespace feast {

using nlohmann::json;

namespace {

bool has(const std::vector<Component>& list, Component c) {
  for (Component x : list)
    if (x == c) return true;
  return false;
}

std::string component_key(Component c) {
  switch (c) {
    case Component::Online: return "onlineStore";
    case Component::Offline: return "offlineStore";
    case Component::Registry: return "registry";
  }
  return "onlineStore";
}

// File persistence without a pvc keeps data in the pod's emptyDir, unless a registry
// path points at object storage. An absent block is defaulted to emptyDir.
bool is_ephemeral(Component c, const json* persistence) {
  if (is_absent_or_empty(persistence)) return true;
  const json* file = member(persistence, "file");
  if (file == nullptr || member(file, "pvc") != nullptr) return false;
  const json* path = member(file, "path");
  const bool object_store = path && path->is_string() &&
                            (path->get_ref<const std::string&>().starts_with("s3://") ||
                             path->get_ref<const std::string&>().starts_with("gs://"));
  return !(c == Component::Registry && object_store);
}

class RequirementCheck {
 public:
  RequirementCheck(const PolicyRule& rule, ErrorList& out) : rule_(rule), req_(rule.requirements), out_(out), id_("policy:" + rule.name) {}

  void component(const json& object, Component c) {
    const bool deployed = component_deployed(object, c);
    const json* persistence = find(&object, persistence_tokens(c));
    const FieldPath path = persistence_path(c);
    if (deployed && has(req_.forbid_ephemeral, c) && is_ephemeral(c, persistence))
      out_.push_back(forbidden(member(persistence, "file") ? path.child("file") : path,
                               "ephemeral (emptyDir) persistence is not allowed by policy rule " + quoted() +
                                   ": use a pvc or a store",
                               id_));
    const json* store = member(persistence, "store");
    if (deployed && has(req_.require_store, c) && store == nullptr)
      out_.push_back(required(path.child("store"), "policy rule " + quoted() + " requires DB store persistence for " + component_key(c), id_));
    if (const json* type = member(store, "type"); type && type->is_string()) {
      auto it = req_.store_types.find(c);
      if (it != req_.store_types.end() && !contains(it->second, type->get_ref<const std::string&>()))
        out_.push_back(not_supported(path.child("store").child("type"), *type, it->second, id_));
    }
    const json* file = member(persistence, "file");
    if (c == Component::Offline && req_.offline_file_types) {
      if (const json* type = member(file, "type"); type && type->is_string() && !contains(*req_.offline_file_types, type->get_ref<const std::string&>()))
        out_.push_back(not_supported(path.child("file").child("type"), *type, *req_.offline_file_types, id_));
    }
    if (const json* create = find(file, {"pvc", "create"}); create && create->is_object())
      claim(*create, path.child("file").child("pvc").child("create"));
  }

 private:
  void claim(const json& create, const FieldPath& path) {
    const json* storage = find(&create, {"resources", "requests", "storage"});
    std::optional<long double> bytes;
    if (storage && storage->is_string()) bytes = parse_quantity(storage->get_ref<const std::string&>());
    else if (storage && storage->is_number()) bytes = storage->get<double>();
    const FieldPath storage_path = path.child("resources").child("requests").child("storage");
    if (bytes && req_.min_pvc_size && *bytes < req_.min_pvc_size->bytes)
      out_.push_back(invalid(storage_path, *storage, "must be at least " + req_.min_pvc_size->text + " (policy rule " + quoted() + ")", id_));
    if (bytes && req_.max_pvc_size && *bytes > req_.max_pvc_size->bytes)
      out_.push_back(invalid(storage_path, *storage, "must be at most " + req_.max_pvc_size->text + " (policy rule " + quoted() + ")", id_));
    if (req_.storage_classes) {
      const json* cls = member(&create, "storageClassName");
      if (cls == nullptr)
        out_.push_back(required(path.child("storageClassName"), "policy rule " + quoted() + " allows only named storage classes", id_));
      else if (cls->is_string() && !contains(*req_.storage_classes, cls->get_ref<const std::string&>()))
        out_.push_back(not_supported(path.child("storageClassName"), *cls, *req_.storage_classes, id_));
    }
  }

  std::string quoted() const { return "\"" + rule_.name + "\""; }

  const PolicyRule& rule_;
  const Requirements& req_;
  ErrorList& out_;
  std::string id_;
};

}  // namespace

ErrorList check_requirements(const json& object, const PolicyRule& rule) {
  ErrorList out;
  if (!object.is_object()) return out;
  RequirementCheck check(rule, out);
  for (Component c : kComponents) check.component(object, c);
  return out;
}

}  // namespace feast
