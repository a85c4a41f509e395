// The server's TLS settings in one place: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers
// for 1.2, server cipher preference, no renegotiation, no compression, and a certificate
// whose private key is checked to match it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace feast {

struct TlsContextLoad {
  std::shared_ptr<boost::asio::ssl::context> context;  // null when the pair was refused
  std::string error;                                   // why it was refused
  std::string serial;                                  // leaf certificate serial, hex
  std::string subject;
  std::string not_after;
};

// Builds a server context from a PEM certificate chain and a PEM private key.
TlsContextLoad load_tls_context(const std::filesystem::path& cert_file,
                                const std::filesystem::path& key_file);

}  // namespace feast
