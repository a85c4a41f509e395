/* LD_PRELOAD shim for h2load: every TLS connection does a full handshake.
 *
 * h2load keeps the TLS session of a connection and offers it again when it reconnects,
 * so with "Connection: close" it measures resumed handshakes. This shim drops the
 * session before each handshake starts (h2load calls SSL_set_connect_state once per
 * connection), so the client never offers a session ID, ticket or PSK. test/bench/run
 * checks the effect against nginx, whose access log records $ssl_session_reused.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>

void SSL_set_connect_state(SSL *ssl) {
  static void (*real)(SSL *) = 0;
  if (!real) real = (void (*)(SSL *))dlsym(RTLD_NEXT, "SSL_set_connect_state");
  SSL_set_session(ssl, NULL);
  real(ssl);
}
