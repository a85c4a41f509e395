// One admission connection: TLS handshake, then HTTP/1.1 keep-alive requests answered by
// answer_admission(). Every read and write has a deadline, bodies over the limit are
// refused from the Content-Length header before they are read, and error answers that
// leave the stream in an unknown state close the connection.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "connection_socket.h"
#include "http_limits.h"

namespace boost::asio::ssl {
class context;
}

namespace feast {

class AdmissionState;
class ConnectionRegistry;
class Metrics;

struct HttpsSessionContext {
  const AdmissionState* state = nullptr;   // outlives every session
  ConnectionRegistry* registry = nullptr;  // outlives every session
  Metrics* metrics = nullptr;              // outlives every session
  const std::atomic<bool>* shutting_down = nullptr;  // no keep-alive once set
  HttpLimits limits;
};

// Starts a session on `socket` with the TLS context current at accept time; the session
// keeps that context for its whole life.
// With `refuse`, the session answers its first request 503 and closes: the server is at
// its connection limit, and a client should hear that rather than hang.
void start_https_session(ConnectionSocket socket,
                         std::shared_ptr<boost::asio::ssl::context> tls,
                         const HttpsSessionContext& context, bool refuse = false);

}  // namespace feast
