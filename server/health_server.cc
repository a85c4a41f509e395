#include "health_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "certificate_reloader.h"

namespace feast {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kTimeout{5};

class HealthSession : public std::enable_shared_from_this<HealthSession> {
 public:
  HealthSession(tcp::socket&& socket, const HealthProbe& probe)
      : stream_(std::move(socket)), probe_(probe) {}

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HealthSession::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.header_limit(8 * 1024);
    parser_.body_limit(4 * 1024);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&HealthSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto& request = parser_.get();
    const beast::string_view target = request.target();
    const beast::string_view path = target.substr(0, target.find('?'));
    unsigned status = 404;
    std::string body = "not found\n";
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      status = 405;
      body = "method not allowed\n";
    } else if (path == "/healthz") {
      status = 200;
      body = "ok\n";
    } else if (path == "/readyz") {
      const bool ready = probe_.ready();
      status = ready ? 200 : 503;
      body = ready ? "ok\n" : "not ready\n";
    }
    response_.version(11);
    response_.result(status);
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (request.method() != http::verb::head) response_.body() = std::move(body);
    response_.keep_alive(false);
    response_.prepare_payload();
    stream_.expires_after(kTimeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&HealthSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  const HealthProbe& probe_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

bool HealthProbe::ready() const {
  return certificates->current() != nullptr && !shutting_down->load() && (!caches_ready || caches_ready());
}

void start_health_session(tcp::socket socket, const HealthProbe& probe) {
  std::make_shared<HealthSession>(std::move(socket), probe)->run();
}

}  // namespace feast
