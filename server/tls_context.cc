#include "tls_context.h"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <sstream>

namespace feast {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: forward secret (ECDHE) and authenticated encryption (GCM, ChaCha20)
// only, the Mozilla "intermediate" list. TLS 1.3 suites are all AEAD already.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3: OpenSSL's default list, AES-128-GCM first (OpenSSL puts AES-256 first and the
// server's order wins): the cheaper AEAD with AES-NI, as Go's crypto/tls prefers.
constexpr const char* kTls13Ciphers =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr const char* kKeyMismatch = "private key does not match the certificate: ";
// ALPN wire form (RFC 7301): one length-prefixed name; the server speaks HTTP/1.1 only.
constexpr unsigned char kHttp11Alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = std::move(text).str();
  return true;
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

// The private key, decoded only as the certificate's key type (EC, RSA, ...). OpenSSL 3's
// generic PEM_read_bio_PrivateKey tries every decoder of every key type and was ~15 % of
// the instructions to readiness (callgrind); naming the type skips the others. Null when
// the PEM's first block is no key of that type (another type, a broken key, the "EC
// PARAMETERS" block `openssl ecparam -genkey` writes first): the caller then takes the
// generic path, which finds the key after such a block, or gives its error message.
EVP_PKEY* key_of_type(const std::string& pem, const char* key_type) {
  EVP_PKEY* key = nullptr;
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(
      &key, "PEM", nullptr, key_type, EVP_PKEY_KEYPAIR, nullptr, nullptr);
  if (decoder == nullptr) return nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t size = pem.size();
  if (OSSL_DECODER_from_data(decoder, &data, &size) != 1) key = nullptr;
  OSSL_DECODER_CTX_free(decoder);
  ERR_clear_error();
  return key;
}

TlsContextLoad refused(std::string error) {
  TlsContextLoad load;
  load.error = std::move(error);
  return load;
}

std::string serial_hex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string subject_text(X509* cert) {
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
  return buffer;
}

std::string time_text(const ASN1_TIME* time) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  ASN1_TIME_print(bio, time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

// A client that offers ALPN gets "http/1.1" when it is on its list, as Go's net/http
// answers it (without an answer h2load warns twice on every connection); one
// that offers only other protocols (h2 alone) gets the no_application_protocol alert RFC
// 7301 asks for instead of a fallback it did not offer. No ALPN offered: no ALPN answered.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_len,
                  const unsigned char* offered, unsigned int offered_len, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11Alpn, sizeof kHttp11Alpn, offered,
                            offered_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContextLoad load_tls_context(const std::filesystem::path& cert_file,
                                const std::filesystem::path& key_file) {
  std::string cert_pem;
  std::string key_pem;
  if (!read_file(cert_file, cert_pem)) return refused("cannot read " + cert_file.string());
  if (!read_file(key_file, key_pem)) return refused("cannot read " + key_file.string());

  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Ciphers) != 1 ||
      SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return refused("TLS settings rejected: " + openssl_error());
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  // No TLS 1.3 session tickets: the only caller, kube-apiserver, uses client-go's TLS
  // config, which has no session cache and never resumes, so a ticket per full handshake
  // (OpenSSL sends two by default) would be work for both sides that buys nothing: it is
  // ~9 % of the server's CPU per handshake here. TLS 1.2 session IDs still resume.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);

  // Both PEM forms of an encrypted key carry one of these markers. Refused here, such a
  // key never reaches OpenSSL, whose default would ask for a passphrase on the terminal.
  if (key_pem.find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos ||
      key_pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) {
    return refused(key_file.string() + ": the private key is encrypted; give it unencrypted");
  }

  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
  if (ec) return refused(cert_file.string() + ": not a PEM certificate chain: " + ec.message());
  const EVP_PKEY* cert_key = X509_get0_pubkey(SSL_CTX_get0_certificate(native));
  EVP_PKEY* key = cert_key != nullptr ? key_of_type(key_pem, EVP_PKEY_get0_type_name(cert_key))
                                      : nullptr;
  if (key != nullptr) {
    const int used = SSL_CTX_use_PrivateKey(native, key);
    EVP_PKEY_free(key);
    // Decoded as the certificate's type, so a refusal is OpenSSL's check that the two
    // halves belong together ("key values mismatch").
    if (used != 1) return refused(kKeyMismatch + openssl_error());
  } else {
    context->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
    if (ec) return refused(key_file.string() + ": not a PEM private key: " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return refused(kKeyMismatch + openssl_error());
  }

  TlsContextLoad load;
  X509* leaf = SSL_CTX_get0_certificate(native);
  load.serial = serial_hex(leaf);
  load.subject = subject_text(leaf);
  load.not_after = time_text(X509_get0_notAfter(leaf));
  load.context = std::move(context);
  return load;
}

}  // namespace feast
