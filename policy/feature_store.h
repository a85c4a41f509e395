// FeatureStore view: where each component's persistence lives in the object, which
// components are deployed, and the JSON types of every field the rules read or write.
// Both the defaulter and the validator read the object only through these helpers,
// so a JSON null always means "absent", as the API server's pruning makes it.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>

#include "field_error.h"
#include "json_patch.h"
#include "json_paths.h"
#include "store_types.h"

namespace feast {

// The member `key` of `node`, or nullptr when node is not an object, the key is
// absent or its value is null.
const nlohmann::json* member(const nlohmann::json* node, std::string_view key);
const nlohmann::json* find(const nlohmann::json* root, std::initializer_list<std::string_view> path);
const nlohmann::json* find(const nlohmann::json* root, const JsonTokens& path);

// Absent, null or {}: SPEC section 3 item 7 counts an empty persistence block as absent.
bool is_absent_or_empty(const nlohmann::json* node);

// A boolean true (only a JSON true counts).
bool is_true(const nlohmann::json* node);

// Tokens of the component's parent (spec.services.onlineStore, ...offlineStore,
// ...registry.local) and of its persistence block.
const JsonTokens& component_tokens(Component c);
const JsonTokens& persistence_tokens(Component c);
FieldPath persistence_path(Component c);
FieldPath to_field_path(const JsonTokens& tokens);

// SPEC section 3: the online store is deployed unless disabled, the offline store when
// present, the local registry when services.registry is present without remote.
bool component_deployed(const nlohmann::json& object, Component c);

// pvc.mountPath as the CRD pattern ^/[^:]*$ has it: absolute, no ':'.
bool valid_mount_path(std::string_view path);

// Every member of a FeatureStore that the rules (decide(), default_persistence()) read, as
// paths from the object's root; below a path's end everything counts as read. The object
// cut down to these paths (copy_along) gets the same decision as the whole object, which
// lets the server convert only them (test/server/read_paths_test.cc checks it on every
// fixture). A rule that reads another member must add it here.
const PathTree& read_paths();

// Fields the rules read or write that hold the wrong JSON type, reported the way the
// API server's schema validation reports them (FieldValueInvalid).
ErrorList schema_errors(const nlohmann::json& object);

}  // namespace feast
