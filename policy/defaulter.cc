#include "defaulter.h"

#include "feature_store.h"
#include "json_patch.h"
#include "json_paths.h"

namespace feast {

using nlohmann::json;

namespace {

std::string dotted(const JsonTokens& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out += '.';
    out += t;
  }
  return out;
}

// Applies additions to a working copy of the object and records each as one patch
// operation. A missing parent chain is created inside the added value.
class Writer {
 public:
  Writer(json& root, JsonPatch& patch, std::vector<std::string>& fields)
      : root_(root), patch_(patch), fields_(fields) {}

  // Adds value at tokens unless something is already there.
  void add_if_absent(const JsonTokens& tokens, json value) {
    json* node = &root_;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (!node->is_object()) return;  // left to validation
      auto it = node->find(tokens[i]);
      if (it == node->end() || it->is_null()) {
        for (std::size_t j = tokens.size() - 1; j > i; --j) value = json{{tokens[j], std::move(value)}};
        (*node)[tokens[i]] = value;
        record(JsonTokens(tokens.begin(), tokens.begin() + static_cast<long>(i) + 1), std::move(value), tokens);
        return;
      }
      node = &*it;
    }
  }

  // Adds value at tokens, replacing what is there (used for {} and "" that count as absent).
  void replace(const JsonTokens& tokens, json value) {
    json* node = &root_;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) node = &(*node)[tokens[i]];
    (*node)[tokens.back()] = value;
    record(tokens, std::move(value), tokens);
  }

 private:
  void record(const JsonTokens& at, json value, const JsonTokens& field) {
    patch_.add(at, std::move(value));
    fields_.push_back(dotted(field));
  }

  json& root_;
  JsonPatch& patch_;
  std::vector<std::string>& fields_;
};

JsonTokens join(JsonTokens base, std::initializer_list<std::string_view> more) {
  for (auto m : more) base.emplace_back(m);
  return base;
}

json default_create(const ComponentDefaults& d) {
  json create = {{"accessModes", d.access_modes}, {"resources", {{"requests", {{"storage", d.storage}}}}}};
  if (d.storage_class) create["storageClassName"] = *d.storage_class;
  return create;
}

json default_persistence_block(Component c, const PersistenceDefaults& defaults) {
  const ComponentDefaults& d = defaults.of(c);
  const bool pvc = defaults.mode == PersistenceMode::Pvc;
  json file = json::object();
  if (c == Component::Offline) {
    file["type"] = d.file_type;
  } else {
    file["path"] = pvc ? d.pvc_path : d.ephemeral_path;
  }
  if (pvc) file["pvc"] = {{"create", default_create(d)}, {"mountPath", d.mount_path}};
  return {{"file", std::move(file)}};
}

// Copies every field of old_create that `create` lacks, at any depth (SPEC 3 item 6:
// pvc.create is immutable, so its absent fields come from the stored object).
void carry_over_create(Writer& w, const JsonTokens& at, const json& create, const json& old_create) {
  for (const auto& [key, old_value] : old_create.items()) {
    const json* now = member(&create, key);
    const JsonTokens child = join(at, {key});
    if (now == nullptr) {
      w.add_if_absent(child, old_value);
    } else if (now->is_object() && old_value.is_object()) {
      carry_over_create(w, child, *now, old_value);
    }
  }
}

// Fills a `file` block the user wrote (SPEC 3 item 4) at tokens `at`.
void fill_file(Writer& w, Component c, const JsonTokens& at, const json& file,
               const json* old_pvc, const ComponentDefaults& d) {
  const json* pvc = member(&file, "pvc");
  if (c == Component::Offline) {
    w.add_if_absent(join(at, {"type"}), d.file_type);
  } else {
    w.add_if_absent(join(at, {"path"}), pvc ? d.pvc_path : d.ephemeral_path);
  }
  if (pvc == nullptr) return;
  const JsonTokens pvc_at = join(at, {"pvc"});
  const json* create = member(pvc, "create");
  const json* old_create = member(old_pvc, "create");
  if (create == nullptr && member(pvc, "ref") == nullptr) {
    // Keep an existing claim: the old create, else the old ref, else a new default claim.
    if (old_create && old_create->is_object()) {
      w.add_if_absent(join(pvc_at, {"create"}), *old_create);
    } else if (const json* old_ref = member(old_pvc, "ref"); old_ref && old_ref->is_object()) {
      w.add_if_absent(join(pvc_at, {"ref"}), *old_ref);
    } else {
      w.add_if_absent(join(pvc_at, {"create"}), default_create(d));
    }
  } else if (create != nullptr) {
    const JsonTokens create_at = join(pvc_at, {"create"});
    if (old_create && old_create->is_object()) {
      carry_over_create(w, create_at, *create, *old_create);
    } else {
      w.add_if_absent(join(create_at, {"accessModes"}), d.access_modes);
      w.add_if_absent(join(create_at, {"resources", "requests", "storage"}), d.storage);
      if (d.storage_class) w.add_if_absent(join(create_at, {"storageClassName"}), *d.storage_class);
    }
  }
  w.add_if_absent(join(pvc_at, {"mountPath"}), d.mount_path);
}

void default_component(Writer& w, json& work, Component c, const json* old_object,
                       const PersistenceDefaults& defaults) {
  const JsonTokens& at = persistence_tokens(c);
  const json* persistence = find(&work, at);
  const json* old_persistence = old_object ? find(old_object, at) : nullptr;
  if (is_absent_or_empty(old_persistence) || !old_persistence->is_object()) old_persistence = nullptr;

  if (is_absent_or_empty(persistence)) {
    json block = old_persistence ? *old_persistence : default_persistence_block(c, defaults);
    // A copied block is completed in place, so the patch stays one operation and the
    // output is a fixed point.
    if (const json* file = member(&block, "file"); file && member(&block, "store") == nullptr) {
      json scratch = block;
      JsonPatch ignored;
      std::vector<std::string> ignored_fields;
      Writer inner(scratch, ignored, ignored_fields);
      fill_file(inner, c, {"file"}, *file, find(old_persistence, {"file", "pvc"}), defaults.of(c));
      block = std::move(scratch);
    }
    if (persistence == nullptr) w.add_if_absent(at, std::move(block));
    else w.replace(at, std::move(block));
    return;
  }
  const json* file = member(persistence, "file");
  if (file == nullptr || member(persistence, "store") != nullptr) return;
  fill_file(w, c, join(at, {"file"}), json(*file), find(old_persistence, {"file", "pvc"}), defaults.of(c));
}

// What defaulting reads and writes: each component's persistence, whether it is deployed
// (component_deployed) and the remote registry (feastRef). A subset of read_paths(); not
// read_paths() itself, whose env lists and metadata cost ~20k instructions per mutate
// request to copy.
const PathTree& worked_paths() {
  static const PathTree tree = [] {
    std::vector<JsonTokens> paths{{"spec", "services", "onlineStore", "disabled"},
                                  {"spec", "services", "registry", "remote"}};
    for (Component c : kComponents) paths.push_back(persistence_tokens(c));
    return PathTree(paths);
  }();
  return tree;
}

}  // namespace

Defaulting default_persistence(const json& object, const json* old_object, std::string_view ns,
                               const PersistenceDefaults& defaults) {
  Defaulting out;
  if (!schema_errors(object).empty()) return out;
  if (old_object && (!old_object->is_object() || !schema_errors(*old_object).empty())) old_object = nullptr;

  // Work on a copy of the parts of spec that defaulting reads and writes, not of all of it.
  json work = copy_along(object, worked_paths());
  JsonPatch patch;
  Writer w(work, patch, out.fields);

  for (Component c : kComponents) {
    if (component_deployed(work, c)) default_component(w, work, c, old_object, defaults);
  }
  // SPEC 3 item 5: a remote registry's feastRef defaults to the request's namespace.
  const json* feast_ref = find(&work, {"spec", "services", "registry", "remote", "feastRef"});
  if (feast_ref && !ns.empty()) {
    const json* current = member(feast_ref, "namespace");
    const JsonTokens at{"spec", "services", "registry", "remote", "feastRef", "namespace"};
    if (current == nullptr) w.add_if_absent(at, std::string(ns));
    else if (current->is_string() && current->get_ref<const std::string&>().empty()) w.replace(at, std::string(ns));
  }
  out.patch = patch.take();
  return out;
}

}  // namespace feast
