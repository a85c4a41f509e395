#include "validator.h"

#include <string>

#include "feature_store.h"
#include "quantity.h"
#include "store_types.h"

namespace feast {

using nlohmann::json;

namespace {

bool starts_with(const json* v, std::string_view prefix) {
  return v && v->is_string() && v->get_ref<const std::string&>().starts_with(prefix);
}

bool is_object_store_uri(const json* v) { return starts_with(v, "s3://") || starts_with(v, "gs://"); }

bool non_empty_string(const json* v) {
  return v && v->is_string() && !v->get_ref<const std::string&>().empty();
}

class StructureRules {
 public:
  StructureRules(std::string_view version, ErrorList& out) : version_(version), out_(out) {}

  // V3: exactly one of file/store, then the store or file rules.
  void persistence(Component c, const json& p, const FieldPath& path) {
    if (!p.is_object() || p.empty()) return;  // types are reported by schema_errors; {} is absent
    const json* file = member(&p, "file");
    const json* store = member(&p, "store");
    if (file && store) out_.push_back(forbidden(path, "exactly one of file or store may be set", "V3"));
    if (!file && !store) out_.push_back(required(path, "exactly one of file or store must be set", "V3"));
    if (store && store->is_object()) this->store(c, *store, path.child("store"));
    if (file && file->is_object()) this->file(c, *file, path.child("file"));
  }

 private:
  // V3 type and secretRef.name set, V1 type supported for the version.
  void store(Component c, const json& s, const FieldPath& path) {
    const json* type = member(&s, "type");
    if (!non_empty_string(type)) {
      if (!type || type->is_string()) out_.push_back(required(path.child("type"), "", "V3"));
    } else if (const auto& supported = db_store_types(version_, c); !contains(supported, type->get_ref<const std::string&>())) {
      out_.push_back(not_supported(path.child("type"), *type, supported, "V1"));
    }
    const json* name = find(&s, {"secretRef", "name"});
    if (!non_empty_string(name) && (!name || name->is_string()))
      out_.push_back(required(path.child("secretRef").child("name"), "", "V3"));
  }

  // V2 offline type and registry cache settings, V4 paths, then the pvc.
  void file(Component c, const json& f, const FieldPath& path) {
    const json* pvc = member(&f, "pvc");
    if (c == Component::Offline) {
      if (const json* type = member(&f, "type"); type && type->is_string() &&
                                                 !contains(offline_file_types(), type->get_ref<const std::string&>()))
        out_.push_back(not_supported(path.child("type"), *type, offline_file_types(), "V2"));
    } else {
      file_path(c, member(&f, "path"), pvc != nullptr, path.child("path"));
    }
    if (c == Component::Registry) registry_file(f, path);
    if (pvc && pvc->is_object()) this->pvc(*pvc, path.child("pvc"));
  }

  void file_path(Component c, const json* p, bool on_pvc, const FieldPath& path) {
    if (!p || !p->is_string()) return;
    const std::string& s = p->get_ref<const std::string&>();
    const bool remote = is_object_store_uri(p);
    if (c == Component::Online && remote) {
      out_.push_back(invalid(path, *p, "an online store path must not be an s3:// or gs:// URI", "V4"));
    } else if (on_pvc && remote) {
      out_.push_back(invalid(path, *p, "a path on a PVC must not be an s3:// or gs:// URI", "V4"));
    } else if (on_pvc && s.starts_with('/')) {
      out_.push_back(invalid(path, *p, "must be a file name relative to pvc.mountPath (no leading '/') when pvc is set", "V4"));
    } else if (!on_pvc && !remote && !s.starts_with('/')) {
      out_.push_back(invalid(path, *p,
                             c == Component::Registry ? "must be an absolute path or an s3:// or gs:// URI when no pvc is set"
                                                      : "must be an absolute path when no pvc is set",
                             "V4"));
    }
  }

  void registry_file(const json& f, const FieldPath& path) {
    if (member(&f, "s3_additional_kwargs") && !starts_with(member(&f, "path"), "s3://"))
      out_.push_back(forbidden(path.child("s3_additional_kwargs"), "may only be set with an s3:// path", "V4"));
    if (const json* ttl = member(&f, "cache_ttl_seconds"); ttl && ttl->is_number_integer()) {
      const bool negative = ttl->is_number_unsigned() ? false : ttl->get<long long>() < 0;
      const bool too_big = ttl->is_number_unsigned() ? ttl->get<unsigned long long>() > 2147483647ULL
                                                     : ttl->get<long long>() > 2147483647LL;
      if (negative || too_big)
        out_.push_back(invalid(path.child("cache_ttl_seconds"), *ttl, "must be between 0 and 2147483647, inclusive", "V2"));
    }
    if (const json* mode = member(&f, "cache_mode"); mode && mode->is_string() &&
                                                     !contains(registry_cache_modes(), mode->get_ref<const std::string&>()))
      out_.push_back(not_supported(path.child("cache_mode"), *mode, registry_cache_modes(), "V2"));
  }

  // V3 exactly one of ref/create, V4 mountPath and no object-store path, V6 the claim.
  void pvc(const json& pvc, const FieldPath& path) {
    const json* ref = member(&pvc, "ref");
    const json* create = member(&pvc, "create");
    if (ref && create) out_.push_back(forbidden(path, "exactly one of ref or create may be set", "V3"));
    if (!ref && !create) out_.push_back(required(path, "exactly one of ref or create must be set", "V3"));
    if (ref && ref->is_object()) {
      const json* name = member(ref, "name");
      if (!non_empty_string(name) && (!name || name->is_string()))
        out_.push_back(required(path.child("ref").child("name"), "", "V3"));
    }
    if (create && create->is_object()) this->create(*create, path.child("create"));
    const json* mount = member(&pvc, "mountPath");
    if (!mount) {
      out_.push_back(required(path.child("mountPath"), "", "V4"));
    } else if (mount->is_string() && !valid_mount_path(mount->get_ref<const std::string&>())) {
      out_.push_back(invalid(path.child("mountPath"), *mount, "must be an absolute path without ':' (^/[^:]*$)", "V4"));
    }
  }

  void create(const json& create, const FieldPath& path) {
    if (const json* modes = member(&create, "accessModes"); modes && modes->is_array()) {
      for (std::size_t i = 0; i < modes->size(); ++i) {
        const json& m = (*modes)[i];
        if (!m.is_string() || !contains(pvc_access_modes(), m.get_ref<const std::string&>()))
          out_.push_back(not_supported(path.child("accessModes").index(i), m, pvc_access_modes(), "V6"));
      }
    }
    const FieldPath storage_path = path.child("resources").child("requests").child("storage");
    if (const json* storage = find(&create, {"resources", "requests", "storage"})) {
      std::optional<long double> bytes;
      if (storage->is_string()) bytes = parse_quantity(storage->get_ref<const std::string&>());
      else if (storage->is_number()) bytes = storage->get<double>();
      if (!bytes) {
        if (storage->is_string())
          out_.push_back(invalid(storage_path, *storage,
                                 "quantities must match the regular expression "
                                 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                                 "V6"));
      } else if (*bytes <= 0) {
        out_.push_back(invalid(storage_path, *storage, "must be greater than zero", "V6"));
      }
    }
  }

  std::string_view version_;
  ErrorList& out_;
};

// V5: pvc.create is immutable on UPDATE.
void immutable_claims(const json& object, const json& old_object, ErrorList& out) {
  for (Component c : kComponents) {
    JsonTokens at = persistence_tokens(c);
    for (const char* t : {"file", "pvc", "create"}) at.emplace_back(t);
    const json* now = find(&object, at);
    const json* before = find(&old_object, at);
    if (now && before && *now != *before)
      out.push_back(invalid(to_field_path(at), *now, "field is immutable", "V5"));
  }
}

// V9: the operator's scaling rules (feast.dev/v1 only).
void scaling(const json& object, ErrorList& out) {
  const json* replicas = find(&object, {"spec", "replicas"});
  const bool scaled = (replicas && replicas->is_number_integer() && replicas->get<long long>() > 1) ||
                      find(&object, {"spec", "services", "scaling", "autoscaling"}) != nullptr;
  if (!scaled) return;
  const std::string why = "spec.replicas > 1 or services.scaling.autoscaling needs DB-backed persistence";
  const json* services = find(&object, {"spec", "services"});
  if (!find(services, {"onlineStore", "persistence", "store"}))
    out.push_back(required(persistence_path(Component::Online).child("store"),
                           why + " for the online store", "V9"));
  if (member(services, "offlineStore") && !find(services, {"offlineStore", "persistence", "store"}))
    out.push_back(required(persistence_path(Component::Offline).child("store"),
                           why + " for the offline store", "V9"));
  const json* registry = member(services, "registry");
  const bool registry_ok =
      registry && (member(registry, "remote") || find(registry, {"local", "persistence", "store"}) ||
                   is_object_store_uri(find(registry, {"local", "persistence", "file", "path"})));
  if (!registry_ok)
    out.push_back(required(persistence_path(Component::Registry).child("store"),
                           why + " for the registry: use a store, a remote registry or an s3:// or gs:// path",
                           "V9"));
}

}  // namespace

ErrorList validate_structure(const json& object, std::string_view version, const json* old_object) {
  ErrorList out = schema_errors(object);
  if (!object.is_object()) return out;
  StructureRules rules(version, out);
  for (Component c : kComponents) {
    if (const json* p = find(&object, persistence_tokens(c))) rules.persistence(c, *p, persistence_path(c));
  }
  if (old_object && old_object->is_object()) immutable_claims(object, *old_object, out);
  if (version == "v1") scaling(object, out);
  return out;
}

}  // namespace feast
