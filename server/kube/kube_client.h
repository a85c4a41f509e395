// KubeClient: blocking HTTPS GETs against the Kubernetes API server, with a deadline on
// every step, for one thread. Each request opens its own connection (list pages and
// watches are long-lived or rare; keep-alive would save nothing that matters here). A
// watch response is read line by line: the API server streams newline-delimited
// WatchEvent JSON in a chunked body.
//
// interrupt() may be called from any thread: the call in progress, and every later one,
// fails at once. The bearer token is sent, never logged.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "kube_config.h"

namespace feast::kube {

struct HttpResult {
  int status = 0;     // 0: no HTTP response (connect, TLS, timeout, interrupted)
  std::string body;   // the whole body (get) or what was read of a failed stream
  std::string error;  // transport error, for logs
  bool ok() const { return status == 200; }
};

class KubeClient {
 public:
  explicit KubeClient(std::shared_ptr<const KubeConfig> config);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // GET base_path + target; the whole body, at most `body_limit` bytes.
  HttpResult get(const std::string& target, std::chrono::milliseconds timeout,
                 std::size_t body_limit = 256u << 20);

  // Opens a streaming GET. On 200 returns a result with status 200 and an empty body;
  // then call read_line() until it returns false. On another status the body (a
  // Kubernetes Status, at most 1 MiB) is in the result and the stream is closed.
  HttpResult open_stream(const std::string& target, std::chrono::milliseconds timeout);

  enum class LineResult { Line, End, Failed };
  // The next line of the open stream (without the newline). End: the server finished the
  // response cleanly. Failed: timeout with no data for `idle`, a broken connection, an
  // unterminated body (abrupt close) or interrupt(); `error` says which.
  LineResult read_line(std::string& line, std::chrono::milliseconds idle, std::string& error);

  void close();
  void interrupt();
  bool interrupted() const { return interrupted_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace feast::kube
