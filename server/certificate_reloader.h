// The serving certificate, reloaded from <cert-dir>/tls.crt and tls.key when they change
// (cert-manager rotates them in place or by symlink swap). Each new connection takes the
// current TLS context; a connection keeps the context it started with, so a rotation
// never disturbs open connections. A pair that fails to load is refused and logged, and
// the previous context stays in service.
#pragma once

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

  // Loads the pair when either file changed (inode, size, mtime) since the last attempt.
  // True when a new context was installed. Called from one thread at a time.
  bool reload_if_changed();

  // The context for a new connection; null while no valid pair has been loaded.
  std::shared_ptr<boost::asio::ssl::context> current() const;

 private:
  std::filesystem::path cert_file_;
  std::filesystem::path key_file_;
  std::optional<std::pair<FileStamp, FileStamp>> last_seen_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace feast
