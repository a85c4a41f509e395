// How many CPUs this process may use, for the default number of I/O threads: the CPUs of
// its affinity mask (taskset, a cpuset), and no more than its cgroup's CPU limit (a
// container's resources.limits.cpu). std::thread::hardware_concurrency() counts every CPU
// of the machine and sees neither.
#pragma once

#include <filesystem>
#include <optional>

namespace feast {

// CPUs in this process's affinity mask; at least 1.
unsigned affinity_cpus();

// The CPU bandwidth limit of this process's cgroup, in CPUs (quota / period), the lowest
// one on the way from its cgroup up to the hierarchy's root; nullopt when there is none.
// Reads `root`/proc/self/cgroup and the cgroup files below `root`/sys/fs/cgroup: cpu.max
// (cgroup v2) and cpu.cfs_quota_us / cpu.cfs_period_us (v1). A cgroup path that is not
// there (a container without its own cgroup namespace sees the host's path, with its own
// cgroup mounted at the root) is looked for at the mount's root. Files that are missing or
// unreadable count as no limit.
std::optional<double> cgroup_cpu_limit(const std::filesystem::path& root = "/");

// The default number of I/O threads: one per CPU of the affinity mask, capped by the
// cgroup limit rounded down, at least 1. Rounded down so the I/O threads alone never use
// the whole quota: a throttled cgroup stalls every request in flight until the next
// period (100 ms by default).
unsigned default_threads(unsigned cpus, std::optional<double> limit);

}  // namespace feast
