#include "secret_rules.h"

#include <algorithm>
#include <optional>
#include <set>

#include "store_types.h"

namespace feast {
namespace {

using nlohmann::json;

constexpr std::string_view kOnline[] = {"onlineStore"};
constexpr std::string_view kOffline[] = {"offlineStore"};
constexpr std::string_view kRegistryLocal[] = {"registry", "local"};

// Where each component's block lives under spec.services, and how messages name it.
struct Site {
  Component component;
  std::string_view words;
  const std::string_view* block;
  std::size_t depth;
};

constexpr Site kStoreSites[] = {
    {Component::Online, "online store", kOnline, 1},
    {Component::Offline, "offline store", kOffline, 1},
    {Component::Registry, "registry", kRegistryLocal, 2},
};

// The server containers that load feature_store.yaml (SPEC V8), relative to spec.services.
constexpr std::string_view kOnlineServer[] = {"onlineStore", "server"};
constexpr std::string_view kOfflineServer[] = {"offlineStore", "server"};
constexpr std::string_view kRegistryServer[] = {"registry", "local", "server"};
constexpr std::string_view kUi[] = {"ui"};

struct ContainerSite {
  const std::string_view* path;
  std::size_t depth;
};

constexpr ContainerSite kContainers[] = {
    {kOnlineServer, 2}, {kOfflineServer, 2}, {kRegistryServer, 3}, {kUi, 1}};

const json* member(const json* j, std::string_view key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  return it == j->end() ? nullptr : &*it;
}

const json* walk(const json* j, const std::string_view* path, std::size_t depth) {
  for (std::size_t i = 0; i < depth && j != nullptr; ++i) j = member(j, path[i]);
  return j;
}

std::string string_at(const json* j, std::string_view key) {
  const json* v = member(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

bool online_disabled(const json* services) {
  const json* d = member(member(services, "onlineStore"), "disabled");
  return d != nullptr && d->is_boolean() && d->get<bool>();
}

std::string quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += quote(n);
  }
  return out;
}

// The names that the server containers of a FeatureStore get through env / envFrom.
class EnvProviders {
 public:
  EnvProviders(const json* services, std::string_view ns, const SecretLookup& secrets) {
    for (const auto& site : kContainers) {
      if (site.path[0] == "onlineStore" && online_disabled(services)) continue;
      const json* container = walk(services, site.path, site.depth);
      if (container == nullptr || !container->is_object()) continue;
      add_env(member(container, "env"));
      add_env_from(member(container, "envFrom"), ns, secrets);
    }
  }

  bool provides(std::string_view name) const {
    if (names_.count(std::string(name)) != 0) return true;
    return std::any_of(prefixes_.begin(), prefixes_.end(),
                       [&](const std::string& p) { return name.substr(0, p.size()) == p; });
  }

 private:
  void add_env(const json* env) {
    if (env == nullptr || !env->is_array()) return;
    for (const auto& e : *env) {
      std::string name = string_at(&e, "name");
      if (!name.empty()) names_.insert(std::move(name));
    }
  }

  void add_env_from(const json* env_from, std::string_view ns, const SecretLookup& secrets) {
    if (env_from == nullptr || !env_from->is_array()) return;
    for (const auto& source : *env_from) {
      std::string prefix = string_at(&source, "prefix");
      if (const json* cm = member(&source, "configMapRef"); cm != nullptr && cm->is_object()) {
        prefixes_.push_back(prefix);  // ConfigMaps are not watched: trust every name
      }
      if (const json* ref = member(&source, "secretRef"); ref != nullptr && ref->is_object()) {
        std::string name = string_at(ref, "name");
        if (name.empty()) continue;
        // A missing Secret provides nothing, optional or not (without `optional` the pod
        // would not even start).
        if (auto facts = secrets.find(ns, name)) {
          for (const auto& k : facts->keys()) names_.insert(prefix + k.first);
        }
      }
    }
  }

  std::set<std::string> names_;
  std::vector<std::string> prefixes_;
};

struct StoreRef {
  const Site* site;
  FieldPath path;  // ...persistence.store
  std::string type;
  std::string secret;
  std::string key_name;  // secretKeyName, may be empty
  std::string identity;
};

std::vector<StoreRef> checked_stores(const json& object, std::string_view version) {
  std::vector<StoreRef> out;
  const json* services = member(member(&object, "spec"), "services");
  for (const auto& site : kStoreSites) {
    if (site.component == Component::Online && online_disabled(services)) continue;
    const json* block = walk(services, site.block, site.depth);
    const json* store = member(member(block, "persistence"), "store");
    if (store == nullptr || !store->is_object()) continue;
    StoreRef ref{&site, FieldPath("spec").child("services"), string_at(store, "type"),
                 string_at(member(store, "secretRef"), "name"), string_at(store, "secretKeyName"),
                 {}};
    if (ref.type.empty() || ref.secret.empty()) continue;               // V3
    if (!contains(db_store_types(version, site.component), ref.type)) continue;  // V1
    for (std::size_t i = 0; i < site.depth; ++i) ref.path = std::move(ref.path).child(site.block[i]);
    ref.path = std::move(ref.path).child("persistence").child("store");
    ref.identity = ref.path.str() + "|" + ref.type + "|" + ref.secret + "|" + ref.key_name;
    out.push_back(std::move(ref));
  }
  return out;
}

// V7 for one store; returns the key's facts when the store passed.
const SecretKeyFacts* check_v7(const StoreRef& s, std::string_view ns, const SecretFacts* facts,
                               std::vector<SecretFinding>& errors) {
  auto add = [&](FieldError e) { errors.push_back({std::move(e), s.identity}); };
  // Field paths and wording are built only for a finding: most stores pass.
  auto secret_field = [&] { return s.path.child("secretRef").child("name"); };
  if (facts == nullptr) {
    add(not_found(secret_field(), s.secret,
                  "Secret " + quote(s.secret) + " not found in namespace " + quote(ns), "V7"));
    return nullptr;
  }
  const std::string& key = s.key_name.empty() ? s.type : s.key_name;
  // The key field and its value: secretKeyName when set, else secretRef.name.
  auto key_field = [&] { return s.key_name.empty() ? secret_field() : s.path.child("secretKeyName"); };
  const std::string& key_field_value = s.key_name.empty() ? s.secret : s.key_name;
  auto where = [&] { return "key " + quote(key) + " of Secret " + quote(s.secret); };

  const SecretKeyFacts* k = facts->find(key);
  if (k == nullptr) {
    std::vector<std::string> names = facts->key_names();
    std::string detail = "Secret " + quote(s.secret) + " has no key " + quote(key);
    if (s.key_name.empty()) detail += " (the store type)";
    detail += names.empty() ? "; it has no keys" : "; it has keys " + quoted_list(names);
    add(invalid(key_field(), key_field_value, std::move(detail), "V7"));
    return nullptr;
  }
  if (!k->is_mapping()) {
    std::string detail = where() + " must hold YAML for the " + std::string(s.site->words) +
                         " settings (a mapping), but it is " + std::string(shape_words(k->shape));
    if (k->shape == SecretValueShape::Invalid && k->error_line > 0) {
      detail += " (error at line " + std::to_string(k->error_line) + ")";
    }
    add(invalid(key_field(), key_field_value, std::move(detail), "V7"));
    return nullptr;
  }
  bool ok = true;
  for (auto [name, field] : {std::pair<const char*, const SecretTypeField*>{"type", &k->type},
                             {"registry_type", &k->registry_type}}) {
    if (!field->present) continue;
    if (!field->is_string) {
      add(invalid(s.path.child("type"), s.type,
                  "the " + std::string(name) + " field in " + where() + " is not a string", "V7"));
      ok = false;
    } else if (field->value != s.type) {
      add(invalid(s.path.child("type"), s.type,
                  "the " + std::string(name) + " field in " + where() +
                      " does not match the store type",
                  "V7"));
      ok = false;
    }
  }
  return ok ? k : nullptr;
}

}  // namespace

ErrorList SecretCheck::error_list() const {
  ErrorList out;
  for (const auto& f : errors) out.push_back(f.error);
  return out;
}

ErrorList SecretCheck::warning_list() const {
  ErrorList out;
  for (const auto& f : warnings) out.push_back(f.error);
  for (const auto& f : ratcheted) out.push_back(f.error);
  return out;
}

SecretCheck check_secrets(const json& object, std::string_view ns, std::string_view version,
                          const SecretLookup& secrets, const SecretRuleSettings& settings) {
  SecretCheck out;
  std::vector<StoreRef> stores = checked_stores(object, version);
  if (stores.empty()) return out;
  if (!secrets.synced()) {
    out.unchecked = true;
    out.unchecked_message = "Secrets cannot be checked: the Secret cache has not synced (source "
                            "unreachable or still loading); not verified: ";
    for (std::size_t i = 0; i < stores.size(); ++i) {
      if (i) out.unchecked_message += ", ";
      out.unchecked_message += stores[i].path.str() + " (Secret " + quote(stores[i].secret) + ")";
    }
    return out;
  }
  const json* services = member(member(&object, "spec"), "services");
  std::optional<EnvProviders> providers;
  for (const auto& s : stores) {
    auto facts = secrets.find(ns, s.secret);
    const SecretKeyFacts* key = check_v7(s, ns, facts.get(), out.errors);
    if (key == nullptr || key->variables.empty()) continue;
    if (!providers) providers.emplace(services, ns, secrets);
    const std::string& key_name = s.key_name.empty() ? s.type : s.key_name;
    for (const auto& var : key->variables) {
      if (providers->provides(var)) continue;
      std::string detail = "${" + var + "} in key " + quote(key_name) + " of Secret " +
                           quote(s.secret) + " (" + std::string(s.site->words) +
                           ") is not set by the env or envFrom of any server container of "
                           "this FeatureStore";
      SecretFinding f{not_found(s.path, var, std::move(detail), "V8"), s.identity};
      (settings.deny_unresolved_vars ? out.errors : out.warnings).push_back(std::move(f));
    }
  }
  return out;
}

bool same_secret_violation(const SecretFinding& a, const SecretFinding& b) {
  return a.store == b.store && a.error.same_violation(b.error);
}

void ratchet(SecretCheck& now, const SecretCheck& before) {
  std::vector<SecretFinding> fresh;
  for (auto& e : now.errors) {
    bool old = std::any_of(before.errors.begin(), before.errors.end(),
                           [&](const SecretFinding& b) { return same_secret_violation(e, b); });
    (old ? now.ratcheted : fresh).push_back(std::move(e));
  }
  now.errors = std::move(fresh);
}

}  // namespace feast
