// The JSON logger on stderr: deferred lines (the decision log) wait for a flush, keep their
// order, and leave before any other line. stderr is pointed at a real file for each test.
#include "json_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace feast {
namespace {

class JsonLog : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/feast-json-log-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    path_ = name;
    saved_ = dup(STDERR_FILENO);
    ASSERT_GE(dup2(fd, STDERR_FILENO), 0);
    close(fd);
  }
  void TearDown() override {
    flush_deferred_logs();
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    std::remove(path_.c_str());
  }

  // The "msg" of every line written so far; each line must be one JSON object.
  std::vector<std::string> messages() const {
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      const auto entry = nlohmann::json::parse(line);
      out.push_back(entry.at("msg").get<std::string>());
    }
    return out;
  }

  std::string path_;
  int saved_ = -1;
};

using Messages = std::vector<std::string>;

TEST_F(JsonLog, DeferredLinesWaitForTheFlushAndKeepTheirOrder) {
  ASSERT_TRUE(init_json_logging("info"));
  EXPECT_TRUE(log_members_deferred(LogLevel::Info, R"("msg":"d1")"));   // first: asks for a flush
  EXPECT_FALSE(log_members_deferred(LogLevel::Info, R"("msg":"d2")"));  // one is already asked for
  EXPECT_EQ(messages(), Messages{});
  flush_deferred_logs();
  EXPECT_EQ(messages(), (Messages{"d1", "d2"}));
  EXPECT_TRUE(log_members_deferred(LogLevel::Info, R"("msg":"d3")"));  // after a flush: asks again
  flush_deferred_logs();
  EXPECT_EQ(messages(), (Messages{"d1", "d2", "d3"}));
}

TEST_F(JsonLog, AnImmediateLineWritesTheWaitingOnesBeforeIt) {
  ASSERT_TRUE(init_json_logging("info"));
  EXPECT_TRUE(log_members_deferred(LogLevel::Info, R"("msg":"d1")"));
  log_event(LogLevel::Warn, "e1", {{"n", 1}});
  EXPECT_EQ(messages(), (Messages{"d1", "e1"}));
  flush_deferred_logs();
  EXPECT_EQ(messages(), (Messages{"d1", "e1"}));
}

TEST_F(JsonLog, ALineBelowTheLevelIsNeitherKeptNorFlushedFor) {
  ASSERT_TRUE(init_json_logging("warn"));
  EXPECT_FALSE(log_members_deferred(LogLevel::Info, R"("msg":"d1")"));
  flush_deferred_logs();
  EXPECT_EQ(messages(), Messages{});
}

TEST_F(JsonLog, AFloodWithinOneTurnIsWrittenBeforeTheFlush) {
  ASSERT_TRUE(init_json_logging("info"));
  const std::string padding(1000, 'x');
  for (int i = 0; i < 200; ++i) {
    (void)log_members_deferred(LogLevel::Info, R"("msg":"d","pad":")" + padding + "\"");
  }
  // 200 lines of ~1 KB: most are out already, bounded by the sink's 64 KiB.
  EXPECT_GE(messages().size(), 150u);
  flush_deferred_logs();
  EXPECT_EQ(messages().size(), 200u);
}

TEST_F(JsonLog, ReinitialisingWritesWhatTheOldLoggerHeld) {
  ASSERT_TRUE(init_json_logging("info"));
  EXPECT_TRUE(log_members_deferred(LogLevel::Info, R"("msg":"d1")"));
  ASSERT_TRUE(init_json_logging("info"));
  EXPECT_EQ(messages(), Messages{"d1"});
  EXPECT_TRUE(log_members_deferred(LogLevel::Info, R"("msg":"d2")"));
}

}  // namespace
}  // namespace feast
