// Captures everything spdlog writes during a test run, so tests can assert that no Secret
// value ever reaches a log line. Install once per binary with a gtest Environment.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

namespace feast::testing {

// The distinctive password that tests put into Secret values.
inline constexpr const char* kPassword = "Zq7-pa55w0rd-LEAK-PROBE-91x";

class LogCapture {
 public:
  static LogCapture& get() {
    static LogCapture capture;
    return capture;
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  LogCapture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  std::mutex mutex_;
  std::ostringstream out_;
};

// Fails the run if the password shows up in any log line.
class NoLeakEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { LogCapture::get(); }
  void TearDown() override {
    std::string logs = LogCapture::get().text();
    if (std::getenv("FEAST_TEST_SHOW_LOGS") != nullptr) std::fputs(logs.c_str(), stderr);
    EXPECT_EQ(logs.find(kPassword), std::string::npos) << "a Secret value reached the logs";
  }
};

}  // namespace feast::testing
