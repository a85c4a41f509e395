// A TCP acceptor that hands each accepted socket, bound to the event loop `place` picks,
// to a callback. Shared by the HTTPS admission port and the plain health and metrics ports.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "connection_socket.h"

namespace feast {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using OnAccept = std::function<void(ConnectionSocket)>;
  using Place = std::function<boost::asio::io_context&()>;

  // Binds and listens; null with `error` set when the port cannot be bound.
  static std::shared_ptr<Listener> open(boost::asio::io_context& io,
                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                        std::string name, Place place, OnAccept on_accept,
                                        std::string& error);

  // The acceptor runs on `io`; each accepted connection on the loop place() returns.
  Listener(boost::asio::io_context& io, std::string name, Place place, OnAccept on_accept);

  void run();
  // Stops accepting; safe from any thread. Accepted connections are not affected.
  void stop();
  unsigned short port() const { return port_; }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, ConnectionSocket socket);

  std::string name_;
  Place place_;
  OnAccept on_accept_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  unsigned short port_ = 0;
};

}  // namespace feast
