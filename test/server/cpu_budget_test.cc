// The default number of I/O threads: the cgroup CPU limit read from real files laid out as
// under / (v2 cpu.max, v1 cpu.cfs_quota_us), and the real binary started under taskset.
#include "cpu_budget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "integration_support.h"

namespace feast {
namespace {

namespace fs = std::filesystem;
using feast::testing::TempDir;

// A root folder with proc/self/cgroup and cgroup files below sys/fs/cgroup.
class CgroupRoot : public ::testing::Test {
 protected:
  void write(const fs::path& relative, const std::string& text) {
    const fs::path file = dir.path() / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  void self_cgroup(const std::string& text) { write("proc/self/cgroup", text); }
  std::optional<double> limit() const { return cgroup_cpu_limit(dir.path()); }

  TempDir dir;
};

TEST_F(CgroupRoot, V2QuotaOverPeriodOfTheProcessCgroup) {
  self_cgroup("0::/kubepods.slice/pod-a/cri-1\n");
  write("sys/fs/cgroup/kubepods.slice/pod-a/cri-1/cpu.max", "150000 100000\n");
  ASSERT_TRUE(limit().has_value());
  EXPECT_DOUBLE_EQ(*limit(), 1.5);
}

TEST_F(CgroupRoot, V2MaxIsNoLimit) {
  self_cgroup("0::/kubepods.slice/pod-a/cri-1\n");
  write("sys/fs/cgroup/kubepods.slice/pod-a/cri-1/cpu.max", "max 100000\n");
  EXPECT_FALSE(limit().has_value());
}

TEST_F(CgroupRoot, V2AnAncestorsLowerLimitApplies) {
  self_cgroup("0::/kubepods.slice/pod-a/cri-1\n");
  write("sys/fs/cgroup/kubepods.slice/pod-a/cri-1/cpu.max", "max 100000\n");
  write("sys/fs/cgroup/kubepods.slice/pod-a/cpu.max", "50000 100000\n");
  write("sys/fs/cgroup/kubepods.slice/cpu.max", "400000 100000\n");
  ASSERT_TRUE(limit().has_value());
  EXPECT_DOUBLE_EQ(*limit(), 0.5);
}

TEST_F(CgroupRoot, V2CgroupNamespaceRootIsTheMount) {
  // With its own cgroup namespace a container sees its cgroup as "/".
  self_cgroup("0::/\n");
  write("sys/fs/cgroup/cpu.max", "200000 100000\n");
  ASSERT_TRUE(limit().has_value());
  EXPECT_DOUBLE_EQ(*limit(), 2.0);
}

TEST_F(CgroupRoot, V1HostPathNotMountedFallsBackToTheMountRoot) {
  // cgroup v1 without a cgroup namespace: the host's path, the container's own cgroup at
  // the mount's root.
  self_cgroup(
      "12:memory:/kubepods/burstable/pod-b/c2\n"
      "4:cpu,cpuacct:/kubepods/burstable/pod-b/c2\n"
      "1:name=systemd:/kubepods/burstable/pod-b/c2\n");
  write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "250000\n");
  write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  ASSERT_TRUE(limit().has_value());
  EXPECT_DOUBLE_EQ(*limit(), 2.5);
}

TEST_F(CgroupRoot, APathOutsideTheNamespaceIsReadAtTheMountRoot) {
  // A process in a cgroup above the reader's namespace shows as "/../..": nothing outside
  // sys/fs/cgroup is read.
  self_cgroup("0::/../../elsewhere\n");
  write("sys/elsewhere/cpu.max", "10000 100000\n");
  write("sys/fs/cgroup/cpu.max", "300000 100000\n");
  ASSERT_TRUE(limit().has_value());
  EXPECT_DOUBLE_EQ(*limit(), 3.0);
}

TEST_F(CgroupRoot, V1QuotaMinusOneIsNoLimit) {
  self_cgroup("3:cpu:/user.slice\n");
  write("sys/fs/cgroup/cpu/user.slice/cpu.cfs_quota_us", "-1\n");
  write("sys/fs/cgroup/cpu/user.slice/cpu.cfs_period_us", "100000\n");
  EXPECT_FALSE(limit().has_value());
}

TEST_F(CgroupRoot, V1OnlyTheCpuControllerCounts) {
  // "cpuset" and "cpuacct" contain "cpu" but are other controllers.
  self_cgroup("5:cpuset:/\n2:cpuacct:/\n");
  for (const char* mount : {"cpuset", "cpuacct"}) {
    write(fs::path("sys/fs/cgroup") / mount / "cpu.cfs_quota_us", "50000\n");
    write(fs::path("sys/fs/cgroup") / mount / "cpu.cfs_period_us", "100000\n");
  }
  EXPECT_FALSE(limit().has_value());
}

TEST_F(CgroupRoot, NoCgroupFilesOrGarbageIsNoLimit) {
  EXPECT_FALSE(limit().has_value());  // no proc/self/cgroup at all
  self_cgroup("not a cgroup line\n0::/a\n");
  write("sys/fs/cgroup/a/cpu.max", "lots 100000\n");
  EXPECT_FALSE(limit().has_value());
  write("sys/fs/cgroup/a/cpu.max", "100000 0\n");
  EXPECT_FALSE(limit().has_value());
  write("sys/fs/cgroup/a/cpu.max", "100000\n");
  EXPECT_FALSE(limit().has_value());
}

TEST(DefaultThreads, OnePerCpuCappedByTheLimitRoundedDown) {
  EXPECT_EQ(default_threads(8, std::nullopt), 8u);
  EXPECT_EQ(default_threads(8, 2.5), 2u);
  EXPECT_EQ(default_threads(8, 0.5), 1u);
  EXPECT_EQ(default_threads(2, 16.0), 2u);
  EXPECT_EQ(default_threads(0, std::nullopt), 1u);
}

// The real binary's log lines up to "listening", by message, when started by `prefix`
// (e.g. taskset) with `args`; the server is stopped once it has logged that line.
std::map<std::string, nlohmann::json> start_lines(const std::string& prefix, const std::string& args) {
  TempDir dir;
  feast::testing::generate_certs(dir.path());
  const fs::path log = dir.path() / "server.log";
  const fs::path script = dir.path() / "start.sh";
  std::ofstream(script) << prefix << " " << FEAST_ADMISSION_BINARY
                        << " serve --bind-address 127.0.0.1 --port 0 --health-port 0 --metrics-port 0"
                        << " --shutdown-delay 0 --cert-dir " << dir.path() << " " << args << " >" << log
                        << " 2>&1 &\npid=$!\ni=0\nwhile ! grep -q '\"listening\"' " << log
                        << " && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done\nkill $pid\nwait $pid\n";
  feast::testing::run_command("timeout -s KILL 30 sh " + script.string());
  std::map<std::string, nlohmann::json> by_message;
  std::istringstream lines(feast::testing::read_text(log));
  for (std::string line; std::getline(lines, line);) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object()) by_message.emplace(entry.value("msg", ""), entry);
  }
  for (const char* msg : {"starting", "listening"}) {
    if (by_message.count(msg) == 0) {
      ADD_FAILURE() << "no " << msg << " line in: " << feast::testing::read_text(log);
      by_message[msg] = nlohmann::json::object();
    }
  }
  return by_message;
}

TEST(ServerThreads, DefaultIsTheCpusOfTheAffinityMask) {
  auto lines = start_lines("taskset -c 0", "");
  EXPECT_EQ(lines["listening"].value("threads", 0u), 1u);
  // The start line says what the default came from. taskset leaves the cgroup alone, so
  // the server's limit is this process's.
  EXPECT_EQ(lines["starting"].value("cpus", 0u), 1u);
  ASSERT_TRUE(lines["starting"].contains("cpuLimit"));
  const nlohmann::json& limit = lines["starting"]["cpuLimit"];
  if (const auto expected = cgroup_cpu_limit()) {
    ASSERT_TRUE(limit.is_number()) << limit;
    EXPECT_DOUBLE_EQ(limit.get<double>(), *expected);
  } else {
    EXPECT_TRUE(limit.is_null()) << limit;
  }
}

TEST(ServerThreads, AnExplicitFlagWins) {
  EXPECT_EQ(start_lines("taskset -c 0", "--threads 3")["listening"].value("threads", 0u), 3u);
}

TEST(ServerThreads, WithoutTasksetTheDefaultFollowsNprocAndTheCgroupLimit) {
  const auto nproc = feast::testing::run_command("nproc");
  ASSERT_EQ(nproc.exit_code, 0);
  const unsigned cpus = static_cast<unsigned>(std::stoul(nproc.output));
  auto lines = start_lines("", "");
  EXPECT_EQ(lines["starting"].value("cpus", 0u), cpus);
  EXPECT_EQ(lines["listening"].value("threads", 0u), default_threads(cpus, cgroup_cpu_limit()));
}

}  // namespace
}  // namespace feast
