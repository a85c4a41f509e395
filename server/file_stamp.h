// FileStamp: what a poller compares to notice that a file changed, including an atomic
// rename or a Kubernetes ConfigMap/Secret symlink swap (inode and ctime change).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>

namespace feast {

struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  long long mtime_ns = 0;
  long long ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// Follows symlinks, as a reader of the path would.
FileStamp stamp_of(const std::filesystem::path& path);

// How long a changed file must go unwritten before a poller reads it, so a file caught
// mid-write (an editor or `cat > file` that writes in pieces) is not loaded truncated.
// The policy, namespace-label and certificate pollers apply it.
inline constexpr std::chrono::milliseconds kFileSettleTime{300};

// True when the file was last written at least kFileSettleTime before `now` (or is gone).
bool settled(const FileStamp& stamp,
             std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace feast
