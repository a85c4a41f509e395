// Base64 (RFC 4648, padded) for the `data` of Secrets that tests write, by OpenSSL: an
// encoder independent of the decoder under test.
#pragma once

#include <openssl/evp.h>

#include <string>

namespace feast::testing {

inline std::string b64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace feast::testing
