#include "connection_registry.h"

#include <vector>

namespace feast {

void ConnectionRegistry::add(const std::shared_ptr<DrainableConnection>& connection) {
  std::lock_guard lock(mutex_);
  open_.emplace(connection.get(), connection);
}

void ConnectionRegistry::remove(const DrainableConnection* connection) {
  std::lock_guard lock(mutex_);
  open_.erase(connection);
}

void ConnectionRegistry::drain_all() {
  // Call drain() outside the lock: a connection may finish and remove itself meanwhile.
  std::vector<std::shared_ptr<DrainableConnection>> alive;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, weak] : open_) {
      if (auto connection = weak.lock()) alive.push_back(std::move(connection));
    }
  }
  for (auto& connection : alive) connection->drain();
}

std::size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace feast
