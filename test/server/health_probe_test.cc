// /healthz over several event loops: alive only while every loop's heartbeat is fresh.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "health_server.h"

namespace feast {
namespace {

TEST(HealthProbe, AliveOnlyWhileEveryLoopHasBeatenRecently) {
  std::vector<Heartbeat> heartbeats(3);
  HealthProbe probe;
  probe.heartbeats = &heartbeats;
  probe.max_heartbeat_age = std::chrono::milliseconds(200);
  const PlainRoutes routes = health_routes(probe);
  EXPECT_TRUE(probe.alive());
  EXPECT_EQ(routes("/healthz").status, 200u);

  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  heartbeats[0].beat();  // the control loop ticks; loops 1 and 2 are stuck
  heartbeats[2].beat();
  EXPECT_FALSE(probe.alive());
  const PlainAnswer stalled = routes("/healthz");
  EXPECT_EQ(stalled.status, 503u);
  EXPECT_EQ(stalled.body, "event loop stalled\n");

  heartbeats[1].beat();  // loop 1 gets to its post
  EXPECT_TRUE(probe.alive());
  EXPECT_EQ(routes("/healthz").status, 200u);
}

}  // namespace
}  // namespace feast
