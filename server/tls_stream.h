// TLS on an accepted connection, with OpenSSL reading and writing the socket itself.
//
// Asio's ssl::stream passes every byte through a BIO pair: the socket is read into one
// buffer, copied into the pair, copied again by SSL_read; and each connection carries four
// 17 KiB buffers for it. Here OpenSSL's record layer receives straight from the socket
// (read-ahead: a whole record, often several, per recv) and sends straight to it, and the
// event loop is asked only to wait until the socket is readable or writable.
// test/bench/README.md has the profile that led here.
//
// The asynchronous operations follow Asio's rules: a handler never runs inside the call
// that started it, an operation that finds its data already buffered completes through the
// event loop. A write starts only after the handlers already queued on the loop have run:
// the answers to the requests that arrived together then leave together, and the peer's
// thread, woken by the first, is still awake for the rest (test/bench/README.md). One read
// and one write may be outstanding at a time, on the connection's loop
// (connection_socket.h). Errors are those of Asio's ssl::stream: net::error::eof after
// the peer's close_notify, ssl::error::stream_truncated when the connection ends without
// one, OpenSSL's errors in Asio's ssl category, and beast::error::timeout after expire().
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <type_traits>

#include "connection_socket.h"

struct ssl_st;
struct ssl_ctx_st;

namespace feast {

class TlsStream {
 public:
  using executor_type = ConnectionExecutor;
  using error_code = boost::system::error_code;

  // A server-side TLS connection over `socket` (made non-blocking) with `context`'s
  // settings; the context must outlive the stream. Throws std::runtime_error when OpenSSL
  // cannot allocate the connection.
  TlsStream(ConnectionSocket&& socket, ssl_ctx_st* context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  ConnectionSocket& socket() { return socket_; }

  // The deadline passed: operations waiting on the socket end with beast::error::timeout,
  // and so does every later one.
  void expire();

  template <typename Token>
  auto async_handshake(Token&& token) {
    return start<void(error_code)>(std::forward<Token>(token),
                                   [this](std::size_t&, error_code& ec) { return handshake(ec); });
  }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    const boost::asio::mutable_buffer into = first_non_empty(buffers);
    return start<void(error_code, std::size_t)>(
        std::forward<Token>(token),
        [this, into](std::size_t& n, error_code& ec) { return read(into, n, ec); });
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    const boost::asio::const_buffer from = gather(buffers);
    return start<void(error_code, std::size_t), /*deferred=*/true>(
        std::forward<Token>(token),
        [this, from](std::size_t& n, error_code& ec) { return write(from, n, ec); });
  }

  // Sends close_notify, then reads until the peer's close_notify or the end of the
  // connection, so that the answer just written is not lost to a reset.
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return start<void(error_code)>(std::forward<Token>(token),
                                   [this](std::size_t&, error_code& ec) { return shutdown(ec); });
  }

 private:
  // What an OpenSSL call needs before it can be retried.
  enum class Want { Nothing, Readable, Writable };

  // One OpenSSL call each; Nothing when the operation is over (ec tells how).
  Want handshake(error_code& ec);
  Want read(boost::asio::mutable_buffer into, std::size_t& n, error_code& ec);
  Want write(boost::asio::const_buffer from, std::size_t& n, error_code& ec);
  Want shutdown(error_code& ec);
  Want outcome(int result, error_code& ec);
  // A wait that ended with `ec`, or an operation started after expire().
  error_code wait_failed(const error_code& ec) const;

  template <typename Buffers>
  static boost::asio::mutable_buffer first_non_empty(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer b(*it); b.size() > 0) return b;
    }
    return {};
  }

  // A write takes one buffer: several small ones (Beast's header fields and body) are
  // copied into one, up to a TLS record, so that they leave in one record.
  template <typename Buffers>
  boost::asio::const_buffer gather(const Buffers& buffers) {
    constexpr std::size_t kRecordBytes = 16 * 1024;
    auto it = boost::asio::buffer_sequence_begin(buffers);
    const auto end = boost::asio::buffer_sequence_end(buffers);
    while (it != end && boost::asio::const_buffer(*it).size() == 0) ++it;
    if (it == end) return {};
    const boost::asio::const_buffer first(*it);
    if (first.size() >= kRecordBytes || std::next(it) == end) return first;
    const std::size_t total = std::min(boost::asio::buffer_size(buffers), kRecordBytes);
    gathered_.resize(total);
    boost::asio::buffer_copy(boost::asio::buffer(gathered_), buffers);
    return boost::asio::buffer(gathered_);
  }

  // Runs `step` until it is over, waiting on the socket in between; completes through the
  // event loop when the first step already finishes. A deferred operation takes its first
  // step from the event loop, after the handlers queued before it.
  template <typename Signature, bool Deferred, typename Step>
  struct Operation {
    TlsStream& stream;
    Step step;
    enum { Starting, Waiting, Posted } state = Starting;
    error_code result{};
    std::size_t bytes = 0;

    template <typename Self>
    void operator()(Self& self, error_code ec = {}) {
      if (state == Posted) return finish(self);
      if constexpr (Deferred) {
        if (state == Starting) {
          state = Waiting;  // the first step then runs on the loop: no second post to complete
          return boost::asio::post(stream.get_executor(), std::move(self));
        }
      }
      Want want = Want::Nothing;
      if (ec || stream.expired_) {
        result = stream.wait_failed(ec);
      } else {
        want = step(bytes, result);
      }
      if (want != Want::Nothing) {
        state = Waiting;
        return stream.socket_.async_wait(want == Want::Readable ? ConnectionSocket::wait_read
                                                                : ConnectionSocket::wait_write,
                                         std::move(self));
      }
      if (state == Starting) {
        state = Posted;
        return boost::asio::post(stream.get_executor(), std::move(self));
      }
      finish(self);
    }

    template <typename Self>
    void finish(Self& self) {
      if constexpr (std::is_same_v<Signature, void(error_code)>) {
        self.complete(result);
      } else {
        self.complete(result, bytes);
      }
    }
  };

  template <typename Signature, bool Deferred = false, typename Token, typename Step>
  auto start(Token&& token, Step step) {
    return boost::asio::async_compose<Token, Signature>(
        Operation<Signature, Deferred, Step>{*this, std::move(step)}, token, socket_);
  }

  ConnectionSocket socket_;
  ssl_st* ssl_ = nullptr;
  std::string gathered_;
  bool expired_ = false;

  friend struct TlsSocketIo;
  int last_errno_ = 0;  // of the socket call that failed, for SSL_ERROR_SYSCALL
  bool drained_ = false;  // the last recv took all the socket had
};

}  // namespace feast
