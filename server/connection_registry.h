// The open admission connections, so that shutdown can drain them: idle keep-alive
// connections close at once, a connection with a request in flight finishes it first.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace feast {

class DrainableConnection {
 public:
  virtual ~DrainableConnection() = default;
  // Finish the request in flight, if any, then close. Safe to call from any thread.
  virtual void drain() = 0;
};

class ConnectionRegistry {
 public:
  void add(const std::shared_ptr<DrainableConnection>& connection);
  void remove(const DrainableConnection* connection);
  void drain_all();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const DrainableConnection*, std::weak_ptr<DrainableConnection>> open_;
};

}  // namespace feast
