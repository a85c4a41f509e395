#include "tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <limits>
#include <stdexcept>

namespace feast {

namespace net = boost::asio;

namespace {

// The thread's error queue must be empty before each TLS I/O call, or SSL_get_error()
// reads a stale error as this call's. It nearly always is empty already, and peeking at
// it costs less than ERR_clear_error(), which rewrites every slot.
void clear_error_queue() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

// The BIO under the TLS connection: recv and send on the socket, never blocking (a call
// that would block sets the retry flag, and OpenSSL answers WANT_READ or WANT_WRITE), and
// MSG_NOSIGNAL, so a peer that went away is an error rather than a SIGPIPE.
struct TlsSocketIo {
  static TlsStream& stream(BIO* bio) { return *static_cast<TlsStream*>(BIO_get_data(bio)); }

  // A recv or send that failed: the retry flag when it would have blocked, else errno
  // kept for SSL_ERROR_SYSCALL.
  static int failed(BIO* bio, TlsStream& s, bool reading) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      s.last_errno_ = errno;
    } else if (reading) {
      BIO_set_retry_read(bio);
    } else {
      BIO_set_retry_write(bio);
    }
    return 0;
  }

  // A recv that returned less than it asked for emptied the socket; the next read then
  // waits for it to become readable instead of trying a recv that would fail with EAGAIN.
  // (The wait re-arms the socket in epoll, which reports data that came in meanwhile.)
  static int read(BIO* bio, char* data, std::size_t size, std::size_t* done) {
    BIO_clear_retry_flags(bio);
    TlsStream& s = stream(bio);
    if (s.drained_) {
      s.drained_ = false;
      *done = 0;
      BIO_set_retry_read(bio);
      return 0;
    }
    for (;;) {
      const ssize_t n = ::recv(s.socket_.native_handle(), data, size, 0);
      if (n > 0) {
        *done = static_cast<std::size_t>(n);
        s.drained_ = *done < size;
        return 1;
      }
      *done = 0;
      if (n == 0) {
        BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
        return 0;
      }
      if (errno == EINTR) continue;
      return failed(bio, s, /*reading=*/true);
    }
  }

  static int write(BIO* bio, const char* data, std::size_t size, std::size_t* done) {
    BIO_clear_retry_flags(bio);
    TlsStream& s = stream(bio);
    for (;;) {
      const ssize_t n = ::send(s.socket_.native_handle(), data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        *done = static_cast<std::size_t>(n);
        return 1;
      }
      *done = 0;
      if (errno == EINTR) continue;
      return failed(bio, s, /*reading=*/false);
    }
  }

  static long control(BIO* bio, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH: return 1;  // nothing is held back
      case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0;
      default: return 0;
    }
  }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static BIO_METHOD* method() {
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "feast socket");
      if (m == nullptr || BIO_meth_set_read_ex(m, read) != 1 || BIO_meth_set_write_ex(m, write) != 1 ||
          BIO_meth_set_ctrl(m, control) != 1 || BIO_meth_set_create(m, create) != 1) {
        throw std::runtime_error("cannot create the TLS socket BIO");
      }
      return m;
    }();
    return kMethod;
  }
};

TlsStream::TlsStream(ConnectionSocket&& socket, ssl_ctx_st* context) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  ssl_ = SSL_new(context);
  BIO* bio = ssl_ ? BIO_new(TlsSocketIo::method()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::runtime_error("cannot allocate a TLS connection");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO; the socket stays ours
  SSL_set_accept_state(ssl_);
  // Read as much as the socket has, up to a record buffer, per recv; partial writes as
  // Asio's stream allows them (a retry may pass the same bytes from another address).
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

void TlsStream::expire() {
  expired_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

TlsStream::error_code TlsStream::wait_failed(const error_code& ec) const {
  return expired_ ? error_code(boost::beast::error::timeout) : ec;
}

TlsStream::Want TlsStream::outcome(int result, error_code& ec) {
  const int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_NONE: ec = {}; return Want::Nothing;
    case SSL_ERROR_WANT_READ: return Want::Readable;
    case SSL_ERROR_WANT_WRITE: return Want::Writable;
    case SSL_ERROR_ZERO_RETURN: ec = net::error::eof; return Want::Nothing;
    default: break;
  }
  const unsigned long queued = ERR_get_error();
  if (queued != 0 && ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ec = net::ssl::error::stream_truncated;
  } else if (queued != 0) {
    ec = error_code(static_cast<int>(queued), net::error::get_ssl_category());
  } else if (error == SSL_ERROR_SYSCALL && last_errno_ != 0) {
    ec = error_code(last_errno_, boost::system::system_category());
  } else {
    ec = net::ssl::error::stream_truncated;  // the connection ended without close_notify
  }
  last_errno_ = 0;  // it was this call's
  return Want::Nothing;
}

TlsStream::Want TlsStream::handshake(error_code& ec) {
  clear_error_queue();
  return outcome(SSL_do_handshake(ssl_), ec);
}

TlsStream::Want TlsStream::read(net::mutable_buffer into, std::size_t& n, error_code& ec) {
  n = 0;
  if (into.size() == 0) {
    ec = {};
    return Want::Nothing;
  }
  clear_error_queue();
  const int result = SSL_read_ex(ssl_, into.data(), into.size(), &n);
  return outcome(result, ec);
}

TlsStream::Want TlsStream::write(net::const_buffer from, std::size_t& n, error_code& ec) {
  n = 0;
  if (from.size() == 0) {
    ec = {};
    return Want::Nothing;
  }
  clear_error_queue();
  const int result = SSL_write_ex(ssl_, from.data(), from.size(), &n);
  return outcome(result, ec);
}

TlsStream::Want TlsStream::shutdown(error_code& ec) {
  clear_error_queue();
  int result = SSL_shutdown(ssl_);
  if (result == 0) result = SSL_shutdown(ssl_);  // close_notify sent: now await the peer's
  if (result == 1) {
    ec = {};
    return Want::Nothing;
  }
  return outcome(result, ec);
}

}  // namespace feast
