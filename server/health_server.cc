#include "health_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "certificate_reloader.h"
#include "metrics.h"

namespace feast {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kTimeout{5};

PlainAnswer text(unsigned status, std::string body) {
  PlainAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

class PlainSession : public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(ConnectionSocket&& socket, const PlainRoutes& routes)
      : stream_(std::move(socket)), routes_(routes) {}

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&PlainSession::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.header_limit(8 * 1024);
    parser_.body_limit(4 * 1024);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&PlainSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto& request = parser_.get();
    const beast::string_view target = request.target();
    const beast::string_view path = target.substr(0, target.find('?'));
    PlainAnswer answer = request.method() != http::verb::get && request.method() != http::verb::head
                             ? text(405, "method not allowed\n")
                             : routes_(std::string_view(path.data(), path.size()));
    response_.version(11);
    response_.result(answer.status);
    response_.set(http::field::content_type, answer.content_type);
    if (request.method() != http::verb::head) response_.body() = std::move(answer.body);
    response_.keep_alive(false);
    response_.prepare_payload();
    stream_.expires_after(kTimeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&PlainSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::basic_stream<tcp, ConnectionExecutor> stream_;
  const PlainRoutes& routes_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

bool HealthProbe::ready() const {
  return certificates->current() != nullptr && !stopping->load() && (!caches_ready || caches_ready());
}

bool HealthProbe::alive() const {
  if (heartbeats == nullptr) return true;
  for (const Heartbeat& heartbeat : *heartbeats) {
    if (heartbeat.age() > max_heartbeat_age) return false;
  }
  return true;
}

PlainRoutes health_routes(const HealthProbe& probe) {
  return [&probe](std::string_view path) {
    if (path == "/healthz") {
      return probe.alive() ? text(200, "ok\n") : text(503, "event loop stalled\n");
    }
    if (path == "/readyz") return probe.ready() ? text(200, "ok\n") : text(503, "not ready\n");
    return PlainAnswer{};
  };
}

PlainRoutes metrics_routes(const Metrics& metrics) {
  return [&metrics](std::string_view path) {
    if (path != "/metrics") return PlainAnswer{};
    PlainAnswer answer;
    answer.status = 200;
    answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer.body = metrics.render();
    return answer;
  };
}

void start_plain_session(ConnectionSocket socket, const PlainRoutes& routes) {
  std::make_shared<PlainSession>(std::move(socket), routes)->run();
}

}  // namespace feast
