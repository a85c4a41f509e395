#include "certificate_reloader.h"

#include "json_log.h"
#include "tls_context.h"

namespace feast {

CertificateReloader::CertificateReloader(std::filesystem::path cert_dir)
    : cert_file_(cert_dir / "tls.crt"), key_file_(cert_dir / "tls.key") {}

bool CertificateReloader::reload_if_changed() {
  const auto stamps = std::make_pair(stamp_of(cert_file_), stamp_of(key_file_));
  if (last_seen_ == stamps) return false;
  last_seen_ = stamps;

  TlsContextLoad load = load_tls_context(cert_file_, key_file_);
  if (!load.context) {
    const bool serving = current() != nullptr;
    log_event(LogLevel::Error,
              serving ? "certificate reload refused, keeping the current certificate"
                      : "no usable serving certificate",
              {{"certFile", cert_file_.string()},
               {"keyFile", key_file_.string()},
               {"error", load.error}});
    return false;
  }
  bool replaced = false;
  {
    std::lock_guard lock(mutex_);
    replaced = current_ != nullptr;
    current_ = std::move(load.context);
  }
  log_event(LogLevel::Info, replaced ? "certificate reloaded" : "certificate loaded",
            {{"certFile", cert_file_.string()},
             {"serial", load.serial},
             {"subject", load.subject},
             {"notAfter", load.not_after}});
  return true;
}

std::shared_ptr<boost::asio::ssl::context> CertificateReloader::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace feast
