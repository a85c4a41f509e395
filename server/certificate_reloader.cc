#include "certificate_reloader.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <cstdio>

#include <boost/asio/ssl/context.hpp>

#include "json_log.h"
#include "tls_context.h"

namespace feast {
namespace {

constexpr std::chrono::hours kExpiryWarningWindow{24 * 7};
constexpr std::chrono::hours kExpiryWarningInterval{24};

// notAfter of the context's leaf certificate, Unix seconds; 0 when unreadable.
std::int64_t not_after_of(boost::asio::ssl::context& context) {
  X509* leaf = SSL_CTX_get0_certificate(context.native_handle());
  if (leaf == nullptr) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

CertificateReloader::CertificateReloader(std::filesystem::path cert_dir)
    : cert_file_(cert_dir / "tls.crt"), key_file_(cert_dir / "tls.key") {}

// The private key should be readable by its owner (and group) only; Kubernetes Secret
// volumes are 0644 unless defaultMode says otherwise (manifests/base uses 0440).
void CertificateReloader::warn_if_key_world_readable() const {
  struct stat info {};
  if (::stat(key_file_.c_str(), &info) != 0 || (info.st_mode & S_IROTH) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
  log_event(LogLevel::Warn, "the private key is readable by every user: make it 0600 or 0440",
            {{"keyFile", key_file_.string()}, {"mode", mode}});
}

bool CertificateReloader::reload_if_changed() {
  const auto stamps = std::make_pair(stamp_of(cert_file_), stamp_of(key_file_));
  if (last_seen_ == stamps) return false;
  // A pair rewritten in place (`cp` of a chain, a writer in pieces) is read once both files
  // have gone unwritten for kFileSettleTime: half-written, it would be refused with a
  // spurious error or, cut after the leaf, served without its intermediates. Start-up
  // does not wait.
  if (last_seen_ && !(settled(stamps.first) && settled(stamps.second))) return false;
  last_seen_ = stamps;

  TlsContextLoad load = load_tls_context(cert_file_, key_file_);
  if (!load.context) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    const bool serving = current() != nullptr;
    log_event(LogLevel::Error,
              serving ? "certificate reload refused, keeping the current certificate"
                      : "no usable serving certificate",
              {{"certFile", cert_file_.string()},
               {"keyFile", key_file_.string()},
               {"error", load.error}});
    return false;
  }
  not_after_.store(not_after_of(*load.context), std::memory_order_relaxed);
  reloads_.fetch_add(1, std::memory_order_relaxed);
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
  last_expiry_warning_.reset();  // a new certificate is checked at once
  warn_if_expiring(std::chrono::system_clock::now());
  warn_if_key_world_readable();
  return true;
}

void CertificateReloader::warn_if_expiring(std::chrono::system_clock::time_point now) {
  const std::int64_t not_after = not_after_.load(std::memory_order_relaxed);
  if (not_after == 0) return;
  if (last_expiry_warning_ && now - *last_expiry_warning_ < kExpiryWarningInterval) return;
  const auto expiry = std::chrono::system_clock::time_point(std::chrono::seconds(not_after));
  if (expiry - now > kExpiryWarningWindow) return;
  last_expiry_warning_ = now;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(expiry - now);
  log_event(LogLevel::Warn,
            left.count() > 0 ? "serving certificate expires within 7 days"
                             : "serving certificate has expired",
            {{"certFile", cert_file_.string()},
             {"notAfterUnix", not_after},
             {"secondsLeft", left.count()}});
}

std::shared_ptr<boost::asio::ssl::context> CertificateReloader::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace feast
