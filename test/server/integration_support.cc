#include "integration_support.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace feast::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;

namespace {

// Runs one asynchronous operation to completion on `io` and returns its error code.
template <class Initiate>
beast::error_code run_op(net::io_context& io, Initiate&& initiate) {
  beast::error_code result = net::error::would_block;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

std::string serial_of(X509* cert) {
  if (cert == nullptr) return {};
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex;
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

template <class Message>
HttpReply to_reply(const Message& response) {
  HttpReply reply;
  reply.status = response.result_int();
  reply.body = response.body();
  reply.connection = std::string(response[http::field::connection]);
  reply.allow = std::string(response[http::field::allow]);
  return reply;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "feast-admission-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> chunk;
  std::size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) result.output.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string generate_certs(const std::filesystem::path& dir) {
  const CommandResult result =
      run_command("bash '" FEAST_GEN_CERTS "' '" + dir.string() + "' 2>/dev/null");
  if (result.exit_code != 0) return {};
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output.substr(output.rfind('\n') + 1);
}

std::string certificate_serial(const std::filesystem::path& file) {
  FILE* in = std::fopen(file.c_str(), "r");
  if (in == nullptr) return {};
  X509* cert = PEM_read_X509(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  std::string serial = serial_of(cert);
  X509_free(cert);
  return serial;
}

std::chrono::milliseconds silent_connection_lifetime(unsigned short port,
                                                     std::chrono::milliseconds limit) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(2s);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  if (run_op(io, [&](auto handler) { stream.async_connect(endpoint, handler); })) return 0ms;
  const auto started = std::chrono::steady_clock::now();
  stream.expires_after(limit);
  std::array<char, 256> scratch;
  run_op(io, [&](auto handler) { stream.async_read_some(net::buffer(scratch), handler); });
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started);
}

std::string admission_review(const ReviewSpec& spec) {
  json object = {{"apiVersion", "feast.dev/" + spec.version},
                 {"kind", "FeatureStore"},
                 {"metadata", {{"name", "sample"}, {"namespace", "team-a"}}},
                 {"spec", {{"feastProject", "sample"}}}};
  if (!spec.store_type.empty()) {
    object["spec"]["services"]["onlineStore"]["persistence"]["store"] = {
        {"type", spec.store_type}, {"secretRef", {{"name", "online-store"}}}};
  }
  json request = {{"uid", spec.uid},
                  {"kind", {{"group", "feast.dev"}, {"version", spec.version}, {"kind", "FeatureStore"}}},
                  {"resource", {{"group", "feast.dev"}, {"version", spec.version}, {"resource", "featurestores"}}},
                  {"requestKind", {{"group", "feast.dev"}, {"version", spec.version}, {"kind", "FeatureStore"}}},
                  {"name", "sample"},
                  {"namespace", "team-a"},
                  {"operation", spec.operation},
                  {"userInfo", {{"username", "kubernetes-admin"}, {"groups", {"system:masters"}}}},
                  {"dryRun", false},
                  {"object", spec.with_object ? object : json(nullptr)},
                  {"oldObject", spec.with_old_object ? object : json(nullptr)}};
  if (!spec.sub_resource.empty()) request["subResource"] = spec.sub_resource;
  return json{{"apiVersion", spec.api_version}, {"kind", "AdmissionReview"}, {"request", request}}
      .dump();
}

ServerProcess::ServerProcess(const std::filesystem::path& cert_dir,
                             std::vector<std::string> extra_args,
                             const std::filesystem::path& log_file)
    : log_file_(log_file) {
  std::vector<std::string> args = {FEAST_ADMISSION_BINARY, "serve",
                                   "--bind-address",       "127.0.0.1",
                                   "--port",               "0",
                                   "--health-port",        "0",
                                   "--metrics-port",       "0",
                                   "--cert-dir",           cert_dir.string(),
                                   "--threads",            "2",
                                   // Readiness off, then 0.2 s until the listener closes.
                                   "--shutdown-delay",     "0.2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // FEAST_SERVER_WRAPPER (e.g. "/usr/bin/valgrind --log-file=..."): the server runs under
  // it (test/valgrind/run); words split on spaces, the first an absolute path.
  std::chrono::milliseconds start_limit = 5s;
  if (const char* wrapper = std::getenv("FEAST_SERVER_WRAPPER"); wrapper != nullptr && *wrapper != '\0') {
    std::istringstream words(wrapper);
    std::vector<std::string> prefix{std::istream_iterator<std::string>(words), {}};
    args.insert(args.begin(), prefix.begin(), prefix.end());
    start_limit = 60s;
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Port 0: the server binds ephemeral ports and logs them in its "listening" line.
  const auto deadline = std::chrono::steady_clock::now() + start_limit;
  while (std::chrono::steady_clock::now() < deadline && running()) {
    std::istringstream lines(log());
    for (std::string line; std::getline(lines, line);) {
      const json entry = json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("msg", "") == "listening") {
        port_ = entry.at("port").get<unsigned short>();
        health_port_ = entry.at("healthPort").get<unsigned short>();
        return;
      }
    }
    std::this_thread::sleep_for(10ms);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool ServerProcess::running() {
  if (status_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = status;
    return false;
  }
  return done == 0;
}

bool ServerProcess::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && port_ != 0 && running()) {
    if (http_get(health_port_, "/readyz").status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

void ServerProcess::signal(int sig) { ::kill(pid_, sig); }

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (!status_ || !WIFEXITED(*status_)) return std::nullopt;
  return WEXITSTATUS(*status_);
}

std::string ServerProcess::log() const { return read_text(log_file_); }

bool ServerProcess::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (log().find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

HttpReply http_get(unsigned short port, const std::string& target) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(2s);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  if (run_op(io, [&](auto handler) { stream.async_connect(endpoint, handler); })) return {};
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  stream.expires_after(2s);
  if (run_op(io, [&](auto handler) { http::async_write(stream, request, handler); })) return {};
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  stream.expires_after(2s);
  if (run_op(io, [&](auto handler) { http::async_read(stream, buffer, response, handler); })) {
    return {};
  }
  return to_reply(response);
}

TlsClient::TlsClient(const std::filesystem::path& ca_file, std::chrono::milliseconds timeout)
    : tls_(ssl::context::tls_client), timeout_(timeout) {
  tls_.load_verify_file(ca_file.string());
  tls_.set_verify_mode(ssl::verify_peer);
}

TlsClient::~TlsClient() = default;

std::string TlsClient::connect(unsigned short port) {
  stream_.emplace(io_, tls_);
  buffer_.clear();
  SSL* native = stream_->native_handle();
  SSL_set_tlsext_host_name(native, "localhost");
  SSL_set1_host(native, "localhost");  // hostname verification
  auto& lowest = beast::get_lowest_layer(*stream_);
  lowest.expires_after(timeout_);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  if (auto ec = run_op(io_, [&](auto handler) { lowest.async_connect(endpoint, handler); })) {
    return "connect: " + ec.message();
  }
  lowest.expires_after(timeout_);
  if (auto ec = run_op(io_, [&](auto handler) {
        stream_->async_handshake(ssl::stream_base::client, handler);
      })) {
    return "handshake: " + ec.message();
  }
  return {};
}

std::string TlsClient::peer_serial() {
  X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
  std::string serial = serial_of(cert);
  X509_free(cert);
  return serial;
}

HttpReply TlsClient::request(const std::string& method, const std::string& target,
                             const std::string& body, const std::string& content_type) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "localhost");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = body;
  request.keep_alive(true);
  request.prepare_payload();
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  if (run_op(io_, [&](auto handler) { http::async_write(*stream_, request, handler); })) {
    return {};
  }
  return read_reply();
}

bool TlsClient::write_raw(const std::string& bytes) {
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  return !run_op(io_, [&](auto handler) { net::async_write(*stream_, net::buffer(bytes), handler); });
}

HttpReply TlsClient::read_reply() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  if (run_op(io_, [&](auto handler) { http::async_read(*stream_, buffer_, parser, handler); })) {
    return {};
  }
  return to_reply(parser.get());
}

bool TlsClient::wait_closed(std::chrono::milliseconds timeout) {
  beast::get_lowest_layer(*stream_).expires_after(timeout);
  std::array<char, 4096> scratch;
  for (;;) {
    const auto ec = run_op(io_, [&](auto handler) {
      stream_->async_read_some(net::buffer(scratch), handler);
    });
    if (!ec) continue;  // data: keep reading until the server closes
    return ec != beast::error::timeout;
  }
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void ServedTest::SetUp() {
  cert_dir_ = dir_.path() / "certs";
  ca_file_ = dir_.path() / "ca.crt";
  ASSERT_FALSE(generate_certs(cert_dir_).empty()) << "certs/gen-certs.sh failed";
  std::filesystem::copy_file(cert_dir_ / "ca.crt", ca_file_);
}

void ServedTest::TearDown() {
  if (!HasFailure() || !server_) return;
  const std::string log = server_->log();
  std::cerr << "--- server log (last 4000 bytes) ---\n" << (log.size() > 4000 ? log.substr(log.size() - 4000) : log);
}

ServerProcess& ServedTest::start(std::vector<std::string> extra, bool wait_ready) {
  server_.emplace(cert_dir_, std::move(extra), dir_.path() / "server.log");
  if (wait_ready) {
    EXPECT_TRUE(server_->wait_ready()) << server_->log();
  }
  return *server_;
}

}  // namespace feast::testing
