#include "kube_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace feast::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {
constexpr std::size_t kMaxLine = 64u << 20;         // one WatchEvent; Secrets are <= 1 MiB
constexpr std::size_t kMaxErrorBody = 1u << 20;     // a Status
}  // namespace

struct KubeClient::Impl {
  std::shared_ptr<const KubeConfig> config;
  const std::atomic<bool>& interrupted;
  asio::io_context ioc;  // run by one thread; stop() comes from another (interrupt)
  ssl::context ctx{ssl::context::tls_client};
  std::string ctx_error;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::string pending;  // streamed body not yet split into lines

  Impl(std::shared_ptr<const KubeConfig> c, const std::atomic<bool>& flag)
      : config(std::move(c)), interrupted(flag) {
    try {
      ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      if (config->insecure_skip_tls_verify) {
        ctx.set_verify_mode(ssl::verify_none);
      } else {
        ctx.set_verify_mode(ssl::verify_peer);
        if (!config->ca_pem.empty()) {
          ctx.add_certificate_authority(asio::buffer(config->ca_pem));
        } else {
          ctx.set_default_verify_paths();
        }
      }
      if (!config->client_cert_pem.empty()) {
        ctx.use_certificate_chain(asio::buffer(config->client_cert_pem));
        ctx.use_private_key(asio::buffer(config->client_key_pem), ssl::context::pem);
      }
    } catch (const boost::system::system_error& e) {
      ctx_error = std::string("TLS setup: ") + e.code().message();
    }
  }

  // Runs one async operation on this thread's io_context with a deadline on the socket.
  // Always waits for the handler (it refers to this frame), closing the socket first when
  // interrupted.
  template <class Start>
  beast::error_code run(Start&& start, milliseconds timeout) {
    bool done = false;
    beast::error_code result;
    beast::get_lowest_layer(*stream).expires_after(timeout);
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done && !interrupted.load()) {
      if (ioc.run_one() == 0) break;
    }
    if (!done) {
      beast::error_code ignored;
      beast::get_lowest_layer(*stream).socket().close(ignored);
      while (!done) {
        ioc.restart();
        ioc.run_one();
      }
      return asio::error::operation_aborted;
    }
    return result;
  }

  void close() {
    parser.reset();
    pending.clear();
    buffer.clear();
    if (stream) {
      beast::error_code ignored;
      beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*stream).close();
      ioc.restart();
      ioc.poll();  // let the stream's timer handlers finish
      stream.reset();
    }
  }

  std::string host_header() const {
    bool v6 = config->host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + config->host + "]" : config->host;
    return config->port == "443" ? h : h + ":" + config->port;
  }

  // Connects, handshakes and sends the GET. Returns an error text, empty on success.
  std::string send(const std::string& target, milliseconds timeout) {
    close();
    if (!ctx_error.empty()) return ctx_error;
    if (interrupted.load()) return "interrupted";
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(config->host, config->port, ec);
    if (ec) return "resolve " + config->host + ": " + ec.message();

    stream.emplace(ioc, ctx);
    SSL* native = stream->native_handle();
    asio::ip::make_address(config->host, ec);
    bool is_ip = !ec;
    if (!is_ip) SSL_set_tlsext_host_name(native, config->host.c_str());
    if (!config->insecure_skip_tls_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, config->host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, config->host.c_str(), 0);
      }
    }

    ec = run([&](auto handler) { beast::get_lowest_layer(*stream).async_connect(endpoints, handler); },
             timeout);
    if (ec) return "connect: " + ec.message();
    // A watch may sit idle for minutes: let TCP keepalive notice a peer that vanished
    // (NAT or node gone) within about a minute instead of at the watch's own timeout.
    int fd = beast::get_lowest_layer(*stream).socket().native_handle();
    int on = 1, idle = 30, interval = 10, count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    ec = run([&](auto handler) { stream->async_handshake(ssl::stream_base::client, handler); },
             timeout);
    if (ec) return "TLS handshake: " + ec.message();

    http::request<http::empty_body> req{http::verb::get, config->base_path + target, 11};
    req.set(http::field::host, host_header());
    req.set(http::field::accept, "application/json");
    req.set(http::field::user_agent, "feast-admission");
    req.set(http::field::connection, "close");
    if (std::string token = config->token.current(); !token.empty()) {
      req.set(http::field::authorization, "Bearer " + token);
    }
    ec = run([&](auto handler) { http::async_write(*stream, req, handler); }, timeout);
    if (ec) return "write: " + ec.message();
    return {};
  }

  // Reads whatever body data arrives next into `pending`.
  beast::error_code read_some(milliseconds timeout) {
    char chunk[16384];
    parser->get().body().data = chunk;
    parser->get().body().size = sizeof chunk;
    beast::error_code ec =
        run([&](auto handler) { http::async_read_some(*stream, buffer, *parser, handler); },
            timeout);
    if (ec == http::error::need_buffer) ec = {};
    pending.append(chunk, sizeof chunk - parser->get().body().size);
    return ec;
  }
};

KubeClient::KubeClient(std::shared_ptr<const KubeConfig> config)
    : impl_(std::make_unique<Impl>(std::move(config), interrupted_)) {}

KubeClient::~KubeClient() { impl_->close(); }

HttpResult KubeClient::get(const std::string& target, milliseconds timeout,
                           std::size_t body_limit) {
  HttpResult out;
  out.error = impl_->send(target, timeout);
  if (!out.error.empty()) {
    impl_->close();
    return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  beast::error_code ec = impl_->run(
      [&](auto handler) { http::async_read(*impl_->stream, impl_->buffer, parser, handler); },
      timeout);
  if (ec) {
    out.error = "read: " + ec.message();
  } else {
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
  }
  impl_->close();
  return out;
}

HttpResult KubeClient::open_stream(const std::string& target, milliseconds timeout) {
  HttpResult out;
  out.error = impl_->send(target, timeout);
  if (!out.error.empty()) {
    impl_->close();
    return out;
  }
  impl_->parser.emplace();
  impl_->parser->body_limit(boost::none);
  beast::error_code ec = impl_->run(
      [&](auto handler) {
        http::async_read_header(*impl_->stream, impl_->buffer, *impl_->parser, handler);
      },
      timeout);
  if (ec) {
    out.error = "read: " + ec.message();
    impl_->close();
    return out;
  }
  out.status = static_cast<int>(impl_->parser->get().result_int());
  if (out.status != 200) {
    while (!impl_->parser->is_done() && impl_->pending.size() < kMaxErrorBody) {
      if (impl_->read_some(timeout)) break;
    }
    out.body = std::move(impl_->pending);
    impl_->close();
  }
  return out;
}

KubeClient::LineResult KubeClient::read_line(std::string& line, milliseconds idle,
                                             std::string& error) {
  Impl& s = *impl_;
  if (!s.parser) {
    error = "no open stream";
    return LineResult::Failed;
  }
  for (;;) {
    std::size_t nl = s.pending.find('\n');
    if (nl != std::string::npos) {
      line.assign(s.pending, 0, nl);
      s.pending.erase(0, nl + 1);
      return LineResult::Line;
    }
    if (s.parser->is_done()) {
      if (!s.pending.empty()) {
        line = std::move(s.pending);
        s.pending.clear();
        return LineResult::Line;
      }
      return LineResult::End;
    }
    if (s.pending.size() > kMaxLine) {
      error = "watch event larger than 64 MiB";
      return LineResult::Failed;
    }
    if (beast::error_code ec = s.read_some(idle)) {
      error = ec == beast::error::timeout ? "no data for " + std::to_string(idle.count()) + " ms"
                                          : ec.message();
      return LineResult::Failed;
    }
  }
}

void KubeClient::close() { impl_->close(); }

void KubeClient::interrupt() {
  interrupted_.store(true);
  impl_->ioc.stop();
}

}  // namespace feast::kube
