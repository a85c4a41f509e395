// The serving certificate, reloaded from <cert-dir>/tls.crt and tls.key when they change
// (cert-manager rotates them in place or by symlink swap). Each new connection takes the
// current TLS context; a connection keeps the context it started with, so a rotation
// never disturbs open connections. A pair that fails to load is refused and logged, and
// the previous context stays in service.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "file_stamp.h"

namespace boost::asio::ssl {
class context;
}

namespace feast {

class CertificateReloader {
 public:
  explicit CertificateReloader(std::filesystem::path cert_dir);

  // Loads the pair when either file changed (inode, size, mtime) since the last attempt
  // and both have settled (kFileSettleTime: not caught mid-write); the first call loads
  // at once. True when a new context was installed. Called from one thread at a time.
  bool reload_if_changed();
  void warn_if_key_world_readable() const;

  // The context for a new connection; null while no valid pair has been loaded.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  // Logs a warning when the serving certificate expires within 7 days; at most once a
  // day (a load always checks). Called from the thread that calls reload_if_changed().
  void warn_if_expiring(std::chrono::system_clock::time_point now);

  // For metrics; safe from any thread.
  std::uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  // notAfter of the serving certificate in Unix seconds; 0 while none is loaded.
  std::int64_t not_after() const { return not_after_.load(std::memory_order_relaxed); }

 private:
  std::filesystem::path cert_file_;
  std::filesystem::path key_file_;
  std::optional<std::pair<FileStamp, FileStamp>> last_seen_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
  std::atomic<std::uint64_t> reloads_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::int64_t> not_after_{0};
  std::optional<std::chrono::system_clock::time_point> last_expiry_warning_;
};

}  // namespace feast
