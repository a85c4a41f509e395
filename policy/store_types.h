// The data tables of SPEC section 2: which DB store types each FeatureStore version
// accepts per component, and the other closed value sets the rules check. They grow
// with every Feast release, so they live here as data and nowhere else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feast {

enum class Component { Online, Offline, Registry };

inline constexpr Component kComponents[] = {Component::Online, Component::Offline,
                                            Component::Registry};

// "online", "offline", "registry"
std::string_view component_name(Component c);

// FeatureStore API versions this webhook understands.
bool is_known_version(std::string_view version);

// DB store types accepted as persistence.store.type for a version ("v1", "v1alpha1").
// Unknown versions get the v1 table.
const std::vector<std::string>& db_store_types(std::string_view version, Component c);

const std::vector<std::string>& offline_file_types();   // file dask duckdb
const std::vector<std::string>& pvc_access_modes();     // ReadWriteOnce ...
const std::vector<std::string>& registry_cache_modes(); // none sync thread

bool contains(const std::vector<std::string>& list, std::string_view value);

}  // namespace feast
