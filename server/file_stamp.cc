#include "file_stamp.h"

#include <sys/stat.h>

namespace feast {

FileStamp stamp_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return FileStamp{};
  return FileStamp{true,
                   info.st_dev,
                   info.st_ino,
                   info.st_size,
                   info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
                   info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
}

bool settled(const FileStamp& stamp, std::chrono::system_clock::time_point now) {
  if (!stamp.exists) return true;
  const auto written = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(stamp.mtime_ns)));
  return now - written >= kFileSettleTime;
}

}  // namespace feast
