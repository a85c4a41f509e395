// FileStamp: what a poller compares to notice that a file changed, including an atomic
// rename or a Kubernetes ConfigMap/Secret symlink swap (inode and ctime change).
#pragma once

#include <sys/types.h>

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

}  // namespace feast
