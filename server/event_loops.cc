#include "event_loops.h"

#include <algorithm>
#include <thread>

namespace feast {

EventLoops::EventLoops(unsigned count) {
  const unsigned n = std::max(1u, count);
  loops_.reserve(n);
  // Concurrency hint 1: each loop has one thread, which lets Asio's scheduler skip the
  // wake-ups of other threads; posting from other threads stays safe.
  for (unsigned i = 0; i < n; ++i) loops_.push_back(std::make_unique<boost::asio::io_context>(1));
  idle_guards_.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) idle_guards_.emplace_back(loops_[i]->get_executor());
}

EventLoops::~EventLoops() = default;

boost::asio::io_context& EventLoops::next() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

void EventLoops::run() {
  std::vector<std::thread> threads;
  threads.reserve(loops_.size() - 1);
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get()] { loop->run(); });
  }
  loops_.front()->run();
  for (WorkGuard& guard : idle_guards_) guard.reset();
  for (std::thread& thread : threads) thread.join();
}

}  // namespace feast
