// load_tls_context on real key and certificate files written by the openssl command: every
// key type and PEM form a cluster's cert-manager or a hand-made Secret may hold (the
// certificate's type is decoded first, anything else takes OpenSSL's generic path), keys
// that do not belong to the certificate, an encrypted key and a broken one.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <string>

#include "integration_support.h"
#include "tls_context.h"

namespace {

namespace fs = std::filesystem;

class TlsContextFiles : public ::testing::Test {
 protected:
  // Runs openssl in the test's folder; fails the test when it fails.
  void openssl(const std::string& args) {
    const feast::testing::CommandResult result =
        feast::testing::run_command("cd '" + dir_.path().string() + "' && openssl " + args);
    ASSERT_EQ(result.exit_code, 0) << "openssl " << args << "\n" << result.output;
  }
  // A key of the given genpkey algorithm options and a self-signed certificate for it.
  void key_and_cert(const std::string& name, const std::string& algorithm) {
    openssl("genpkey " + algorithm + " -out " + name + ".key");
    openssl("req -x509 -new -key " + name + ".key -subj /CN=feast-admission -days 1 -out " +
            name + ".crt");
  }
  feast::TlsContextLoad load(const std::string& cert, const std::string& key) {
    return feast::load_tls_context(dir_.path() / cert, dir_.path() / key);
  }
  // The context's private key is the one whose public half is in its certificate.
  static bool key_matches_certificate(const feast::TlsContextLoad& load) {
    SSL_CTX* native = load.context->native_handle();
    const EVP_PKEY* key = SSL_CTX_get0_privatekey(native);
    const X509* cert = SSL_CTX_get0_certificate(native);
    return key != nullptr && cert != nullptr && EVP_PKEY_eq(key, X509_get0_pubkey(cert)) == 1;
  }

  feast::testing::TempDir dir_;
};

TEST_F(TlsContextFiles, EveryKeyTypeAndPemFormLoadsWithItsCertificate) {
  key_and_cert("ec", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  key_and_cert("rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
  key_and_cert("ed", "-algorithm ED25519");
  // `openssl ecparam -genkey`, as old guides have it: an "EC PARAMETERS" block first.
  openssl("ecparam -genkey -name prime256v1 -out ec-params.key");
  openssl("req -x509 -new -key ec-params.key -subj /CN=feast-admission -days 1 -out ec-params.crt");
  // The traditional forms: "BEGIN EC PRIVATE KEY" (SEC 1), "BEGIN RSA PRIVATE KEY" (PKCS#1).
  openssl("pkey -in ec.key -traditional -out ec-sec1.key");
  openssl("pkey -in rsa.key -traditional -out rsa-pkcs1.key");
  ASSERT_NE(feast::testing::read_text(dir_.path() / "ec-sec1.key").find("BEGIN EC PRIVATE KEY"),
            std::string::npos);
  ASSERT_NE(feast::testing::read_text(dir_.path() / "rsa-pkcs1.key").find("BEGIN RSA PRIVATE KEY"),
            std::string::npos);

  for (const auto& [cert, key] : {std::pair{"ec.crt", "ec.key"}, {"ec.crt", "ec-sec1.key"},
                                  {"rsa.crt", "rsa.key"}, {"rsa.crt", "rsa-pkcs1.key"},
                                  {"ed.crt", "ed.key"}, {"ec-params.crt", "ec-params.key"}}) {
    SCOPED_TRACE(std::string(cert) + " + " + key);
    const feast::TlsContextLoad loaded = load(cert, key);
    ASSERT_NE(loaded.context, nullptr) << loaded.error;
    EXPECT_EQ(loaded.error, "");
    EXPECT_EQ(loaded.subject, "/CN=feast-admission");
    EXPECT_TRUE(key_matches_certificate(loaded));
  }
}

TEST_F(TlsContextFiles, KeyOfAnotherCertificateIsRefusedWhateverItsType) {
  key_and_cert("ec", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other-ec.key");
  openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-rsa.key");

  const feast::TlsContextLoad same_type = load("ec.crt", "other-ec.key");
  EXPECT_EQ(same_type.context, nullptr);
  EXPECT_NE(same_type.error.find("private key does not match the certificate"),
            std::string::npos)
      << same_type.error;

  const feast::TlsContextLoad other_type = load("ec.crt", "other-rsa.key");
  EXPECT_EQ(other_type.context, nullptr);
  EXPECT_NE(other_type.error.find("private key does not match the certificate"),
            std::string::npos)
      << other_type.error;
}

TEST_F(TlsContextFiles, EncryptedKeyIsRefusedAsEncryptedAndBrokenKeyAsNoKey) {
  key_and_cert("ec", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  openssl("pkey -in ec.key -aes256 -passout pass:secret-pass -out encrypted.key");
  openssl("pkey -in ec.key -traditional -aes256 -passout pass:secret-pass -out encrypted-sec1.key");
  std::ofstream(dir_.path() / "broken.key")
      << "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";

  for (const char* key : {"encrypted.key", "encrypted-sec1.key"}) {
    SCOPED_TRACE(key);
    const feast::TlsContextLoad loaded = load("ec.crt", key);
    EXPECT_EQ(loaded.context, nullptr);
    EXPECT_NE(loaded.error.find("is encrypted"), std::string::npos) << loaded.error;
  }
  const feast::TlsContextLoad broken = load("ec.crt", "broken.key");
  EXPECT_EQ(broken.context, nullptr);
  EXPECT_NE(broken.error.find("broken.key: not a PEM private key"), std::string::npos)
      << broken.error;
}

}  // namespace
