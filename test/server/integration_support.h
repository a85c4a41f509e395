// Helpers for the integration tests: a temporary folder, the certs/ script, the real
// feast-admission binary as a child process, command-line clients, and a Beast TLS
// client whose every operation has a deadline so a misbehaving server fails a test
// instead of hanging it.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feast::testing {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` through /bin/sh.
CommandResult run_command(const std::string& command);

// The whole content of a file; empty when it cannot be read.
std::string read_text(const std::filesystem::path& file);

// How many times `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle);

// Runs certs/gen-certs.sh into `dir`; returns its stdout's last line (the caBundle).
std::string generate_certs(const std::filesystem::path& dir);

// Serial number of the PEM certificate in `file`, upper-case hex.
std::string certificate_serial(const std::filesystem::path& file);

// How long the server keeps a plain TCP connection that never sends a byte (up to `limit`).
std::chrono::milliseconds silent_connection_lifetime(unsigned short port,
                                                     std::chrono::milliseconds limit);

// An AdmissionReview request for a FeatureStore.
struct ReviewSpec {
  std::string api_version = "admission.k8s.io/v1";
  std::string uid = "uid-1";
  std::string operation = "CREATE";
  std::string version = "v1";
  std::string sub_resource;
  bool with_object = true;
  bool with_old_object = false;
  std::string store_type;  // when set, the online store uses `store` persistence of this type
};
std::string admission_review(const ReviewSpec& spec);

// The real binary, `serve` on loopback ports with the given extra flags.
class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& cert_dir, std::vector<std::string> extra_args,
                const std::filesystem::path& log_file);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }
  unsigned short health_port() const { return health_port_; }
  pid_t pid() const { return pid_; }

  // Polls /readyz until 200. False on timeout or if the process died.
  bool wait_ready(std::chrono::milliseconds timeout = 5s);
  void signal(int sig);
  // The exit status when the process exited normally within `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;
  // Polls the log until it holds `needle`: decision lines are written once per event-loop
  // turn, just after the answers of that turn, so a client may see its answer first.
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout = 5s) const;

 private:
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  unsigned short health_port_ = 0;
  std::filesystem::path log_file_;
  std::optional<int> status_;
};

struct HttpReply {
  unsigned status = 0;  // 0: no answer
  std::string body;
  std::string connection;  // the Connection header
  std::string allow;       // the Allow header
};

// Plain HTTP GET on 127.0.0.1, with a deadline.
HttpReply http_get(unsigned short port, const std::string& target);

// A TLS client on one connection to 127.0.0.1, verifying the server as "localhost"
// against `ca_file`. Every operation gives up after `timeout`.
class TlsClient {
 public:
  explicit TlsClient(const std::filesystem::path& ca_file, std::chrono::milliseconds timeout = 5s);
  ~TlsClient();

  // TCP connect and TLS handshake. Empty string on success, else the error.
  std::string connect(unsigned short port);
  // Serial of the certificate the server presented on this connection.
  std::string peer_serial();

  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body,
                    const std::string& content_type = "application/json");
  // Writes raw bytes (part of a request) through TLS.
  bool write_raw(const std::string& bytes);
  // Reads one HTTP response; status 0 when the connection failed or closed.
  HttpReply read_reply();
  // Waits until the server closes the connection (EOF or reset): true if it did.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

// A test of the real server: fresh dev certificates (certs/gen-certs.sh) in a temporary
// folder, the CA copied aside as the client trusts it at the start (a rotation keeps the
// CA), the server started on demand, and its log (the last 4,000 bytes) printed when the
// test failed.
class ServedTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  ServerProcess& start(std::vector<std::string> extra = {}, bool wait_ready = true);

  TempDir dir_;
  std::filesystem::path cert_dir_;
  std::filesystem::path ca_file_;
  std::optional<ServerProcess> server_;
};

}  // namespace feast::testing
