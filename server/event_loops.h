// The server's event loops: one io_context per I/O thread, each run by exactly that
// thread. Loop 0, run by the caller of run(), is the control loop: acceptors, timers,
// signals and the lifecycle live there. Accepted connections are spread over all loops
// round-robin and stay on theirs until they close, so a connection's handlers never run
// concurrently and need no strand.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

namespace feast {

class EventLoops {
 public:
  explicit EventLoops(unsigned count);
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;
  ~EventLoops();

  boost::asio::io_context& control() { return *loops_.front(); }
  boost::asio::io_context& at(std::size_t i) { return *loops_.at(i); }
  // The loop for the next accepted connection; safe from any thread.
  boost::asio::io_context& next();
  std::size_t size() const { return loops_.size(); }

  // Runs loop 0 on the calling thread and every other loop on a thread of its own. Returns
  // when loop 0 runs out of work (listeners closed, lifecycle finished); the other loops
  // then finish the connections they still hold, and run() joins their threads.
  void run();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<WorkGuard> idle_guards_;  // keep loops 1.. running while they have no connection
  std::atomic<std::size_t> next_{0};
};

}  // namespace feast
