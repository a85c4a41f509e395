#include "cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string>
#include <string_view>

namespace feast {
namespace {

namespace fs = std::filesystem;

// The first line of a small file; empty when it cannot be read.
std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::optional<long long> to_number(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// quota / period when both are numbers and positive; a quota of "max" or -1 is no limit.
std::optional<double> ratio(std::string_view quota, std::string_view period) {
  const auto q = to_number(quota);
  const auto p = to_number(period);
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

// cgroup v2: cpu.max holds "QUOTA PERIOD" or "max PERIOD".
std::optional<double> v2_limit(const fs::path& dir) {
  const std::string line = first_line(dir / "cpu.max");
  const auto space = line.find(' ');
  if (space == std::string::npos) return std::nullopt;
  return ratio(std::string_view(line).substr(0, space), std::string_view(line).substr(space + 1));
}

// cgroup v1: cpu.cfs_quota_us (-1: none) and cpu.cfs_period_us.
std::optional<double> v1_limit(const fs::path& dir) {
  return ratio(first_line(dir / "cpu.cfs_quota_us"), first_line(dir / "cpu.cfs_period_us"));
}

// The lowest limit of the cgroup at `path` below `mount` and of its ancestors; when the
// cgroup's own folder is not there, the mount's root stands for it.
template <typename Read>
std::optional<double> lowest_on_the_way_up(const fs::path& mount, std::string_view path, Read read) {
  std::error_code error;
  if (!fs::is_directory(mount, error)) return std::nullopt;
  fs::path relative = fs::path(path).relative_path();
  // A path outside the cgroup namespace ("/../..") names nothing below the mount.
  const bool outside = std::any_of(relative.begin(), relative.end(), [](const fs::path& p) { return p == ".."; });
  if (outside || !fs::is_directory(mount / relative, error)) relative.clear();
  std::optional<double> lowest;
  for (;;) {
    if (const auto limit = read(mount / relative); limit && (!lowest || *limit < *lowest)) lowest = limit;
    if (relative.empty()) break;
    relative = relative.parent_path();
  }
  return lowest;
}

std::optional<double> lower(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

unsigned affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
}

std::optional<double> cgroup_cpu_limit(const fs::path& root) {
  const fs::path cgroups = root / "sys/fs/cgroup";
  std::ifstream in(root / "proc/self/cgroup");
  std::optional<double> limit;
  // Lines of "ID:CONTROLLERS:PATH"; ID 0 with no controllers is the v2 hierarchy.
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = std::string_view(line).substr(second + 1);
    if (controllers.empty()) {
      limit = lower(limit, lowest_on_the_way_up(cgroups, path, v2_limit));
      continue;
    }
    if (("," + controllers + ",").find(",cpu,") == std::string::npos) continue;
    // v1 mounts the controller as "cpu", or as "cpu,cpuacct" with "cpu" a link to it.
    limit = lower(limit, lowest_on_the_way_up(cgroups / controllers, path, v1_limit));
    if (controllers != "cpu") limit = lower(limit, lowest_on_the_way_up(cgroups / "cpu", path, v1_limit));
  }
  return limit;
}

unsigned default_threads(unsigned cpus, std::optional<double> limit) {
  unsigned threads = std::max(1u, cpus);
  if (limit && std::isfinite(*limit) && *limit < threads) {
    threads = std::max(1u, static_cast<unsigned>(std::floor(*limit)));
  }
  return threads;
}

}  // namespace feast
