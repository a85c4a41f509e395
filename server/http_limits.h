// Limits and deadlines of the admission HTTPS connections (flags of `serve`).
#pragma once

#include <chrono>
#include <cstddef>

namespace feast {

struct HttpLimits {
  std::size_t max_body_bytes = 8 * 1024 * 1024;     // larger bodies get 413
  std::size_t max_header_bytes = 64 * 1024;         // larger headers get 431
  std::chrono::milliseconds read_timeout{10'000};   // handshake, each read, each write
  std::chrono::milliseconds idle_timeout{120'000};  // between keep-alive requests
  std::size_t max_connections = 1000;               // past it, new connections get 503
};

}  // namespace feast
