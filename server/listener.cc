#include "listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <chrono>

#include "json_log.h"

namespace feast {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::shared_ptr<Listener> Listener::open(net::io_context& io, const tcp::endpoint& endpoint,
                                         std::string name, Place place, OnAccept on_accept,
                                         std::string& error) {
  auto listener =
      std::make_shared<Listener>(io, std::move(name), std::move(place), std::move(on_accept));
  boost::system::error_code ec;
  tcp::acceptor& acceptor = listener->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + endpoint.address().to_string() + ":" +
            std::to_string(endpoint.port()) + ": " + ec.message();
    return nullptr;
  }
  listener->port_ = acceptor.local_endpoint().port();
  return listener;
}

Listener::Listener(net::io_context& io, std::string name, Place place, OnAccept on_accept)
    : name_(std::move(name)),
      place_(std::move(place)),
      on_accept_(std::move(on_accept)),
      acceptor_(net::make_strand(io)),
      backoff_(acceptor_.get_executor()) {}

void Listener::run() {
  net::dispatch(acceptor_.get_executor(),
                boost::beast::bind_front_handler(&Listener::do_accept, shared_from_this()));
}

void Listener::stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_.cancel();
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(place_().get_executor(),
                         boost::beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, ConnectionSocket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    // Typically out of file descriptors: back off instead of spinning.
    log_event(LogLevel::Error, "accept failed", {{"listener", name_}, {"error", ec.message()}});
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  on_accept_(std::move(socket));
  do_accept();
}

}  // namespace feast
