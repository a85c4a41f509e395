#include "persistence_defaults.h"

#include <utility>

namespace feast {

const ComponentDefaults& PersistenceDefaults::of(Component c) const {
  switch (c) {
    case Component::Online: return online;
    case Component::Offline: return offline;
    case Component::Registry: return registry;
  }
  return online;
}

ComponentDefaults& PersistenceDefaults::of(Component c) {
  return const_cast<ComponentDefaults&>(std::as_const(*this).of(c));
}

PersistenceDefaults PersistenceDefaults::builtin(PersistenceMode mode) {
  PersistenceDefaults d;
  d.mode = mode;
  const std::vector<std::string> rwo{"ReadWriteOnce"};
  d.online = {"/feast-data/online_store.db", "online_store.db", "", "/data/online", "1Gi", rwo, std::nullopt};
  d.offline = {"", "", "dask", "/data/offline", "1Gi", rwo, std::nullopt};
  d.registry = {"/feast-data/registry.db", "registry.db", "", "/data/registry", "1Gi", rwo, std::nullopt};
  return d;
}

}  // namespace feast
