// PersistenceDefaults: the values SPEC section 3 fills in (mode, per-component paths,
// PVC size, access modes, storage class, mount paths). The built-in values reproduce
// the Feast operator's persistence guide; the policy file (section 6) can override them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store_types.h"

namespace feast {

enum class PersistenceMode { Ephemeral, Pvc };

struct ComponentDefaults {
  std::string ephemeral_path;  // file.path without a pvc (online, registry)
  std::string pvc_path;        // file.path beside a pvc (online, registry)
  std::string file_type;       // offline file.type
  std::string mount_path;      // pvc.mountPath
  std::string storage;         // pvc.create.resources.requests.storage
  std::vector<std::string> access_modes;     // pvc.create.accessModes
  std::optional<std::string> storage_class;  // pvc.create.storageClassName, only when named
};

struct PersistenceDefaults {
  PersistenceMode mode = PersistenceMode::Ephemeral;
  ComponentDefaults online;
  ComponentDefaults offline;
  ComponentDefaults registry;

  const ComponentDefaults& of(Component c) const;
  ComponentDefaults& of(Component c);

  // The operator guide's defaults: /feast-data/... paths, 1Gi ReadWriteOnce PVCs
  // mounted at /data/<component>, no storage class.
  static PersistenceDefaults builtin(PersistenceMode mode = PersistenceMode::Ephemeral);
};

}  // namespace feast
