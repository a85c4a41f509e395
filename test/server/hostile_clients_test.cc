// Hostile clients and TLS policy (issue 7, items 3 and 4), against the real feast-admission
// binary on loopback ports: idle and slow connections, HTTP framing attacks, stalled TLS
// handshakes, pathological JSON, and the TLS versions and suites it must refuse.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "integration_support.h"

namespace feast::testing {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The server's memory bound under pathological input. ASan's shadow memory and quarantine,
// and valgrind's own memory (the server under FEAST_SERVER_WRAPPER, test/valgrind/run),
// multiply the footprint, so they get a looser (still finite) bound.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
long rss_bound_kib() {
  const char* wrapper = std::getenv("FEAST_SERVER_WRAPPER");
  const bool wrapped = wrapper != nullptr && *wrapper != '\0';
  return kSanitized || wrapped ? 1024 * 1024 : 200 * 1024;
}

constexpr const char* kValidateV1 = "/validate-feast-dev-v1-featurestore";
constexpr const char* kMutateV1 = "/mutate-feast-dev-v1-featurestore";

json parse(const std::string& body) { return json::parse(body, nullptr, false); }

std::chrono::milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), -1 when unreadable.
long proc_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// The soft "Max open files" of a process, 0 when unreadable.
unsigned long fd_soft_limit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(std::string("Max open files").size()));
      unsigned long soft = 0;
      fields >> soft;
      return soft;
    }
  }
  return 0;
}

// A plain TCP socket to 127.0.0.1:port (blocking), -1 on failure.
int tcp_connect(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes (EOF or reset) or `limit` passes; returns what was read and
// whether the peer closed.
struct ReadUntilClose {
  std::string bytes;
  bool closed = false;
};
ReadUntilClose read_until_close(int fd, std::chrono::milliseconds limit) {
  ReadUntilClose result;
  const auto deadline = Clock::now() + limit;
  char scratch[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count())));
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd, scratch, sizeof scratch, 0);
    if (n <= 0) {
      result.closed = true;
      return result;
    }
    result.bytes.append(scratch, static_cast<std::size_t>(n));
  }
  return result;
}

// The first flight of a real TLS client (its ClientHello record), made with memory BIOs.
std::string real_client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* tls = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(tls, in, out);
  SSL_set_tlsext_host_name(tls, "localhost");
  SSL_connect(tls);  // wants to read: the ClientHello is in `out`
  std::string hello;
  char chunk[4096];
  int n;
  while ((n = BIO_read(out, chunk, sizeof chunk)) > 0) hello.append(chunk, static_cast<std::size_t>(n));
  SSL_free(tls);
  SSL_CTX_free(ctx);
  return hello;
}

// A hand-made ClientHello offering only `version` (0x0300 SSLv3, 0x0301 TLS 1.0), no
// extensions, so that it does not depend on what the local openssl client still supports.
std::string legacy_client_hello(unsigned version) {
  std::string body;
  body += static_cast<char>(version >> 8);
  body += static_cast<char>(version & 0xff);
  for (int i = 0; i < 32; ++i) body += static_cast<char>(i * 7 + 1);  // random
  body += '\0';                                                         // session id
  const unsigned char suites[] = {0x00, 0x08, 0x00, 0x2f, 0x00, 0x35, 0xc0, 0x0a, 0xc0, 0x14};
  body.append(reinterpret_cast<const char*>(suites), sizeof suites);
  body += '\x01';
  body += '\0';  // null compression
  std::string handshake;
  handshake += '\x01';  // ClientHello
  handshake += '\0';
  handshake += static_cast<char>(body.size() >> 8);
  handshake += static_cast<char>(body.size() & 0xff);
  handshake += body;
  std::string record;
  record += '\x16';
  record += static_cast<char>(version >> 8);
  record += static_cast<char>(version & 0xff);
  record += static_cast<char>(handshake.size() >> 8);
  record += static_cast<char>(handshake.size() & 0xff);
  return record + handshake;
}

std::string request_head(const std::string& extra_headers) {
  return std::string("POST ") + kValidateV1 +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + extra_headers +
         "\r\n";
}

class HostileClients : public ServedTest {
 protected:
  // A new connection gets a correct answer: the AdmissionReview uid echoed.
  void expect_served(const std::string& uid) {
    TlsClient client(ca_file_);
    ASSERT_EQ(client.connect(server_->port()), "");
    ReviewSpec spec;
    spec.uid = uid;
    const HttpReply reply = client.request("POST", kValidateV1, admission_review(spec));
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(parse(reply.body)["response"]["uid"], uid);
  }

  // Sends `bytes` on a new TLS connection; expects `status` (any of them), then the close.
  void expect_refused_and_closed(const std::string& what, const std::string& bytes,
                                 std::vector<unsigned> statuses) {
    SCOPED_TRACE(what);
    TlsClient client(ca_file_, 3s);
    ASSERT_EQ(client.connect(server_->port()), "");
    const auto started = Clock::now();
    // The server may answer and close before all of an oversized request is written: a
    // failed write is fine, as long as the answer still arrives.
    const bool written = client.write_raw(bytes);
    const HttpReply reply = client.read_reply();
    if (!written) std::cerr << "[ info ] " << what << ": write cut short by the server\n";
    EXPECT_NE(std::find(statuses.begin(), statuses.end(), reply.status), statuses.end())
        << "status " << reply.status << ": " << reply.body;
    EXPECT_EQ(reply.connection, "close");
    EXPECT_TRUE(client.wait_closed(2s)) << "connection left open";
    EXPECT_LT(elapsed_since(started), 2500ms);
    expect_served("after-" + what);
  }

  std::string s_client_command(const std::string& flags) {
    return "openssl s_client -connect 127.0.0.1:" + std::to_string(server_->port()) +
           " -servername localhost -CAfile '" + ca_file_.string() + "' " + flags;
  }
  CommandResult s_client(const std::string& flags) {
    return run_command("timeout 10 " + s_client_command(flags) + " </dev/null");
  }

};

// Many TLS connections opened at once on one io_context (handshake done, then left idle).
class IdleConnections {
 public:
  explicit IdleConnections(const std::filesystem::path& ca_file) : tls_(ssl::context::tls_client) {
    tls_.load_verify_file(ca_file.string());
    tls_.set_verify_mode(ssl::verify_peer);
  }

  // Opens `count` connections, `batch` handshakes at a time; returns how many succeeded.
  std::size_t open(unsigned short port, std::size_t count, std::size_t batch = 100) {
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    std::size_t ok = 0;
    while (streams_.size() < count) {
      const std::size_t first = streams_.size();
      const std::size_t end = std::min(count, first + batch);
      std::vector<int> done(end - first, 0);
      for (std::size_t i = first; i < end; ++i) {
        streams_.push_back(std::make_unique<Stream>(io_, tls_));
        Stream& stream = *streams_.back();
        SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
        beast::get_lowest_layer(stream).expires_after(20s);
        beast::get_lowest_layer(stream).async_connect(
            endpoint, [&stream, &done, index = i - first](beast::error_code ec) {
              if (ec) return;
              stream.async_handshake(ssl::stream_base::client,
                                     [&stream, &done, index](beast::error_code ec2) {
                                       beast::get_lowest_layer(stream).expires_never();
                                       if (!ec2) done[index] = 1;
                                     });
            });
      }
      io_.restart();
      io_.run();
      for (int d : done) ok += static_cast<std::size_t>(d);
    }
    return ok;
  }

  std::size_t size() const { return streams_.size(); }

 private:
  using Stream = beast::ssl_stream<beast::tcp_stream>;
  net::io_context io_;
  ssl::context tls_;
  std::vector<std::unique_ptr<Stream>> streams_;
};

void raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  ASSERT_GE(limit.rlim_cur, wanted) << "hard RLIMIT_NOFILE too low for this test";
}

// ---------------------------------------------------------------------------------------
// Item 3: hostile clients.

TEST_F(HostileClients, ThousandIdleTlsConnectionsAndSlowHeadersDoNotSlowANormalClient) {
  raise_fd_limit(4096);  // the server inherits it
  // The read deadline covers a connection that has not sent its first request yet: make it
  // longer than the test so that the idle connections really stay open throughout.
  start({"--read-timeout", "30", "--max-connections", "2000"});  // the limit has its own test
  const unsigned long server_fd_limit = fd_soft_limit(server_->pid());
  const std::size_t fds_before = open_fds(server_->pid());

  IdleConnections idle(ca_file_);
  const auto opening = Clock::now();
  const std::size_t opened = idle.open(server_->port(), 1000);
  std::cerr << "[ info ] 1000 TLS handshakes took " << elapsed_since(opening).count() << " ms\n";
  EXPECT_EQ(opened, 1000u) << "the server refused or dropped some of the 1000 handshakes";

  std::vector<std::unique_ptr<TlsClient>> slow;
  for (int i = 0; i < 5; ++i) {
    slow.push_back(std::make_unique<TlsClient>(ca_file_));
    ASSERT_EQ(slow.back()->connect(server_->port()), "");
    ASSERT_TRUE(slow.back()->write_raw(std::string("POST ") + kValidateV1 +
                                       " HTTP/1.1\r\nHost: localh"));
  }

  // The server holds them all: one descriptor per connection.
  const std::size_t fds_during = open_fds(server_->pid());
  std::cerr << "[ info ] server fds: " << fds_before << " before, " << fds_during
            << " with 1005 hostile connections; soft limit " << server_fd_limit << "\n";
  EXPECT_GE(fds_during, fds_before + 1000);
  EXPECT_LT(fds_during + 64, server_fd_limit) << "the server is close to its fd limit";

  // A normal client: a fresh connection and 20 requests, each well within normal latency.
  const auto connecting = Clock::now();
  TlsClient normal(ca_file_);
  ASSERT_EQ(normal.connect(server_->port()), "");
  EXPECT_LT(elapsed_since(connecting), 500ms) << "connect + handshake";
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 20; ++i) {
    ReviewSpec spec;
    spec.uid = "normal-" + std::to_string(i);
    const auto sent = Clock::now();
    const HttpReply reply = normal.request("POST", kMutateV1, admission_review(spec));
    worst = std::max(worst, elapsed_since(sent));
    ASSERT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(parse(reply.body)["response"]["uid"], spec.uid);
  }
  std::cerr << "[ info ] worst normal-client latency: " << worst.count() << " ms\n";
  EXPECT_LT(worst, 500ms);

  // The slow-header clients were neither answered nor cut (their deadline is 30 s).
  EXPECT_FALSE(slow.front()->wait_closed(100ms));
  EXPECT_TRUE(server_->running());
  EXPECT_EQ(http_get(server_->health_port(), "/healthz").status, 200u);
}

// Past --max-connections a new connection gets a clear refusal (503 with Connection:
// close), not a silent hang.
TEST_F(HostileClients, ConnectionPastTheLimitGetsAClearRefusal) {
  raise_fd_limit(4096);
  start({"--read-timeout", "30", "--max-connections", "1000"});
  IdleConnections idle(ca_file_);
  ASSERT_EQ(idle.open(server_->port(), 1000), 1000u);
  TlsClient extra(ca_file_, 3s);
  const std::string connected = extra.connect(server_->port());
  if (connected.empty()) {
    const HttpReply reply = extra.request("POST", kValidateV1, admission_review({}));
    EXPECT_EQ(reply.status, 503u) << reply.body;
    EXPECT_EQ(reply.connection, "close");
    EXPECT_TRUE(extra.wait_closed(2s));
  } else {
    ADD_FAILURE() << "refused without an answer: " << connected;
  }
}

TEST_F(HostileClients, OversizedHeadersGet431AndTheConnectionCloses) {
  start();  // default header limit: 64 KiB
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  expect_refused_and_closed("many-headers", request_head(many), {431});
  expect_refused_and_closed(
      "long-target",
      std::string("POST ") + kValidateV1 + "?" + std::string(80 * 1024, 'q') +
          " HTTP/1.1\r\nHost: localhost\r\n\r\n",
      {431, 414, 400});
}

TEST_F(HostileClients, DeclaredHugeBodyGets413AtOnceWithoutReadingIt) {
  start();
  TlsClient client(ca_file_, 3s);
  ASSERT_EQ(client.connect(server_->port()), "");
  const auto started = Clock::now();
  ASSERT_TRUE(client.write_raw(request_head("Content-Length: 104857600\r\n") + "{\"apiVe"));
  const HttpReply reply = client.read_reply();
  const auto answered_in = elapsed_since(started);
  EXPECT_EQ(reply.status, 413u) << reply.body;
  EXPECT_EQ(reply.connection, "close");
  EXPECT_LT(answered_in, 500ms) << "the 413 waited for the body";
  EXPECT_TRUE(client.wait_closed(2s));
  expect_served("after-413");
}

// Clients that send a request with a large answer (a 4 MiB uid is echoed) and close at
// once, without reading it: the server's sends then fail (EPIPE, ECONNRESET). That must
// end only those connections - a socket write without MSG_NOSIGNAL would kill the server
// with SIGPIPE - and the next client is served.
TEST_F(HostileClients, ClientsVanishingBeforeALargeAnswerLeaveTheServerServing) {
  start();
  ReviewSpec spec;
  spec.uid = "v" + std::string(4 * 1024 * 1024, 'v');
  const std::string review = admission_review(spec);
  const std::string request =
      request_head("Content-Length: " + std::to_string(review.size()) + "\r\n") + review;
  for (int i = 0; i < 4; ++i) {
    TlsClient client(ca_file_, 5s);
    ASSERT_EQ(client.connect(server_->port()), "");
    ASSERT_TRUE(client.write_raw(request));
  }  // each client closes here, its answer unread
  std::this_thread::sleep_for(300ms);  // the answers are being written into closed sockets
  EXPECT_TRUE(server_->running());
  expect_served("after-vanished-clients");
  EXPECT_TRUE(server_->running());
}

TEST_F(HostileClients, AmbiguousFramingGets400AndTheConnectionCloses) {
  start();
  const std::string body = admission_review({});
  const std::string length = std::to_string(body.size());
  // Request smuggling: Content-Length and chunked together, in both orders.
  expect_refused_and_closed("cl-then-te",
                            request_head("Content-Length: " + length +
                                         "\r\nTransfer-Encoding: chunked\r\n") +
                                "5\r\nhello\r\n0\r\n\r\n",
                            {400});
  expect_refused_and_closed("te-then-cl",
                            request_head("Transfer-Encoding: chunked\r\nContent-Length: " +
                                         length + "\r\n") +
                                "5\r\nhello\r\n0\r\n\r\n",
                            {400});
  expect_refused_and_closed("duplicate-content-length",
                            request_head("Content-Length: " + length + "\r\nContent-Length: 5\r\n") +
                                body,
                            {400});
  expect_refused_and_closed("comma-content-length",
                            request_head("Content-Length: 5, " + length + "\r\n") + body, {400});
  // RFC 9112 6.1: a Transfer-Encoding whose final coding is not chunked leaves the body
  // length undeterminable in a request: 400 and close (501 for a coding it does not know).
  expect_refused_and_closed("chunked-not-final",
                            request_head("Transfer-Encoding: gzip, chunked, identity\r\n") +
                                "5\r\nhello\r\n0\r\n\r\n",
                            {400, 501});
  expect_refused_and_closed("unsupported-transfer-coding",
                            request_head("Transfer-Encoding: gzip\r\n") + "5\r\nhello\r\n0\r\n\r\n",
                            {400, 501});
}

TEST_F(HostileClients, BodyOfAnUndeterminableLengthIsNotServedAsASecondRequest) {
  start();
  // The "body" of a request with `Transfer-Encoding: gzip` is a whole admission request. A
  // server that ignores the coding reads no body, then serves the smuggled request.
  ReviewSpec spec;
  spec.uid = "smuggled";
  const std::string smuggled_body = admission_review(spec);
  const std::string smuggled = request_head("Content-Length: " +
                                            std::to_string(smuggled_body.size()) + "\r\n") +
                               smuggled_body;
  TlsClient client(ca_file_, 3s);
  ASSERT_EQ(client.connect(server_->port()), "");
  ASSERT_TRUE(client.write_raw(request_head("Transfer-Encoding: gzip\r\n") + smuggled));
  const HttpReply first = client.read_reply();
  EXPECT_TRUE(first.status == 400u || first.status == 501u) << first.status << ": " << first.body;
  EXPECT_EQ(first.connection, "close");
  const HttpReply second = client.read_reply();
  EXPECT_EQ(second.status, 0u) << "the smuggled request was served: " << second.body;
  // A later request's decision line is written with any line waiting before it.
  expect_served("after-smuggled");
  ASSERT_TRUE(server_->wait_for_log("\"uid\":\"after-smuggled\"")) << server_->log();
  EXPECT_EQ(server_->log().find("\"uid\":\"smuggled\""), std::string::npos);
}

TEST_F(HostileClients, BadChunkSizesGet400Or413AndTheConnectionCloses) {
  start();  // default body limit: 8 MiB
  expect_refused_and_closed("chunk-size-zz",
                            request_head("Transfer-Encoding: chunked\r\n") + "zz\r\nhello\r\n0\r\n\r\n",
                            {400});
  expect_refused_and_closed("chunk-size-overflow",
                            request_head("Transfer-Encoding: chunked\r\n") +
                                "fffffffffffffffffffff\r\nhello\r\n",
                            {400, 413});
  // 0x1000000 = 16 MiB declared by the chunk header, only a few bytes sent.
  expect_refused_and_closed("chunk-size-over-limit",
                            request_head("Transfer-Encoding: chunked\r\n") + "1000000\r\nhello",
                            {413, 400});
  expect_refused_and_closed("negative-chunk-size",
                            request_head("Transfer-Encoding: chunked\r\n") + "-5\r\nhello\r\n0\r\n\r\n",
                            {400});
}

TEST_F(HostileClients, StalledTlsHandshakesAreCutAfterTheReadDeadline) {
  start({"--read-timeout", "1"});
  const std::string hello = real_client_hello();
  ASSERT_GT(hello.size(), 100u);

  struct Case {
    std::string name;
    std::string bytes;  // sent at once, then nothing
  };
  const std::vector<Case> cases = {{"nothing", ""},
                                   {"half-client-hello", hello.substr(0, hello.size() / 2)},
                                   {"record-header-only", hello.substr(0, 5)}};
  std::vector<int> fds;
  for (const Case& c : cases) {
    const int fd = tcp_connect(server_->port());
    ASSERT_GE(fd, 0) << c.name;
    ASSERT_TRUE(c.bytes.empty() || send_all(fd, c.bytes)) << c.name;
    fds.push_back(fd);
  }
  const auto started = Clock::now();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const ReadUntilClose read = read_until_close(fds[i], 4s);
    EXPECT_TRUE(read.closed) << "stalled handshake still open after 4 s";
    EXPECT_TRUE(read.bytes.empty() || read.bytes[0] == '\x15')
        << "the server answered a partial ClientHello with something other than an alert";
    ::close(fds[i]);
  }
  const auto all_cut = elapsed_since(started);
  EXPECT_LT(all_cut, 3s);

  // The deadline covers the whole handshake, not each read: trickling a byte every 250 ms
  // (the full ClientHello would take over a minute) is cut too.
  const int trickle = tcp_connect(server_->port());
  ASSERT_GE(trickle, 0);
  const auto trickle_started = Clock::now();
  bool cut = false;
  for (std::size_t i = 0; i < hello.size() && elapsed_since(trickle_started) < 5s; ++i) {
    if (!send_all(trickle, hello.substr(i, 1))) {
      cut = true;
      break;
    }
    const ReadUntilClose read = read_until_close(trickle, 250ms);
    if (read.closed) {
      cut = true;
      break;
    }
  }
  const auto trickle_lifetime = elapsed_since(trickle_started);
  ::close(trickle);
  EXPECT_TRUE(cut) << "trickled handshake not cut";
  EXPECT_GE(trickle_lifetime, 800ms);
  EXPECT_LT(trickle_lifetime, 3s);

  expect_served("after-stalled-handshakes");
}

class PathologicalJson : public HostileClients {
 protected:
  // A valid AdmissionReview whose request.object.spec gets `extra` as an added member.
  static std::string review_with_spec_member(const std::string& uid, const std::string& extra) {
    ReviewSpec spec;
    spec.uid = uid;
    std::string body = admission_review(spec);
    const std::string marker = R"("spec":{"feastProject":"sample")";
    const auto at = body.find(marker);
    if (at == std::string::npos) return {};
    body.insert(at + marker.size(), "," + extra);
    return body;
  }

  // Sends `body`; the server must answer (400, or 200 with the uid echoed) and stay alive.
  // Both webhooks: the mutating one also walks the object to build its patch.
  void expect_answered(const std::string& what, const std::string& body, const std::string& uid) {
    for (const char* target : {kValidateV1, kMutateV1}) expect_answered(what, body, uid, target);
  }
  void expect_answered(const std::string& what, const std::string& body, const std::string& uid,
                       const std::string& target) {
    SCOPED_TRACE(what + " on " + target);
    ASSERT_FALSE(body.empty());
    TlsClient client(ca_file_, 10s);
    ASSERT_EQ(client.connect(server_->port()), "");
    const auto started = Clock::now();
    const HttpReply reply = client.request("POST", target, body);
    std::cerr << "[ info ] " << what << " " << target << ": status " << reply.status << " in "
              << elapsed_since(started).count() << " ms, server VmHWM "
              << proc_status_kib(server_->pid(), "VmHWM") << " KiB\n";
    EXPECT_TRUE(server_->running()) << what << " crashed the server";
    ASSERT_TRUE(reply.status == 400u || reply.status == 200u)
        << "status " << reply.status << ": " << reply.body.substr(0, 500);
    if (reply.status == 200u) {
      const json answer = parse(reply.body);
      EXPECT_EQ(answer["kind"], "AdmissionReview");
      EXPECT_EQ(answer["response"]["uid"], uid);
    }
    expect_served("after-" + what);
  }
};

TEST_F(PathologicalJson, DeepNestingIsAnsweredWithoutCrashing) {
  start();
  constexpr std::size_t kDepth = 100'000;
  expect_answered("nested-arrays",
                  review_with_spec_member("deep", "\"deep\":" + std::string(kDepth, '[') +
                                                      std::string(kDepth, ']')),
                  "deep");
  expect_answered("nested-objects",
                  review_with_spec_member("deep-obj", [] {
                    std::string s = "\"deep\":";
                    for (std::size_t i = 0; i < kDepth; ++i) s += "{\"a\":";
                    s += "1";
                    s += std::string(kDepth, '}');
                    return s;
                  }()),
                  "deep-obj");
  expect_answered("unclosed-arrays",
                  review_with_spec_member("unclosed", "\"deep\":" + std::string(kDepth, '[')),
                  "unclosed");
  EXPECT_TRUE(server_->running());
  const long peak = proc_status_kib(server_->pid(), "VmHWM");
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, rss_bound_kib()) << "peak RSS " << peak << " KiB";
}

TEST_F(PathologicalJson, HugeStringsAreAnsweredWithBoundedMemory) {
  start();  // default body limit: 8 MiB
  const std::string blob(7 * 1024 * 1024, 'x');
  expect_answered("huge-spec-string",
                  review_with_spec_member("huge", "\"blob\":\"" + blob + "\""), "huge");
  // A huge uid is echoed in the response and in the decision log line.
  {
    ReviewSpec spec;
    spec.uid = "u" + std::string(7 * 1024 * 1024 - 1, 'u');
    expect_answered("huge-uid", admission_review(spec), spec.uid);
  }
  // A huge string of escapes: 7 MiB of \u0000 sequences.
  std::string escapes;
  escapes.reserve(7 * 1024 * 1024);
  while (escapes.size() + 6 <= 7 * 1024 * 1024) escapes += "\\u0000";
  expect_answered("huge-escaped-string",
                  review_with_spec_member("escaped", "\"blob\":\"" + escapes + "\""), "escaped");
  EXPECT_TRUE(server_->running());
  const long rss = proc_status_kib(server_->pid(), "VmRSS");
  const long peak = proc_status_kib(server_->pid(), "VmHWM");
  std::cerr << "[ info ] server VmRSS " << rss << " KiB, VmHWM " << peak << " KiB\n";
  EXPECT_LT(peak, rss_bound_kib()) << "peak RSS " << peak << " KiB";
  EXPECT_LT(rss, rss_bound_kib());
}

// ---------------------------------------------------------------------------------------
// Item 4: TLS policy (TLS 1.1, TLS 1.2 AEAD-only and the ECDHE-ECDSA CBC suite are covered
// by OnlyTls12And13WithAeadCiphersAreAccepted in https_integration_test.cc).

TEST_F(HostileClients, LegacyProtocolVersionsAreRefused) {
  start();
  // SSLv3 and TLS 1.0 ClientHellos made by hand: the answer must be an alert, not a
  // ServerHello (0x16), whatever the local openssl client can still offer.
  for (const unsigned version : {0x0300u, 0x0301u}) {
    SCOPED_TRACE(version);
    const int fd = tcp_connect(server_->port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, legacy_client_hello(version)));
    const ReadUntilClose read = read_until_close(fd, 3s);
    ::close(fd);
    EXPECT_TRUE(read.closed);
    ASSERT_FALSE(read.bytes.empty()) << "closed without an alert";
    EXPECT_EQ(read.bytes[0], '\x15') << "not an alert record";
    if (read.bytes.size() >= 7) {
      EXPECT_EQ(static_cast<unsigned char>(read.bytes[5]), 2u) << "alert not fatal";
      // protocol_version (70); OpenSSL answers an SSLv3 hello with handshake_failure (40).
      const unsigned description = static_cast<unsigned char>(read.bytes[6]);
      EXPECT_TRUE(description == 70u || (version == 0x0300u && description == 40u))
          << "alert " << description;
    }
  }
  // And with openssl s_client, SECLEVEL=0 so that the client offers TLS 1.0 at all.
  const CommandResult tls10 = s_client("-tls1 -cipher 'DEFAULT@SECLEVEL=0'");
  EXPECT_NE(tls10.exit_code, 0);
  EXPECT_NE(tls10.output.find("alert protocol version"), std::string::npos) << tls10.output;
  EXPECT_EQ(tls10.output.find("Cipher is ECDHE"), std::string::npos) << tls10.output;

  const CommandResult ssl3_supported = run_command("openssl s_client -help 2>&1 | grep -c -- '-ssl3'");
  if (ssl3_supported.output.rfind("0", 0) != 0) {
    const CommandResult ssl3 = s_client("-ssl3 -cipher 'DEFAULT@SECLEVEL=0'");
    EXPECT_NE(ssl3.exit_code, 0) << ssl3.output;
    EXPECT_EQ(ssl3.output.find("Cipher is "), std::string::npos) << ssl3.output;
  }
}

TEST_F(HostileClients, NonEcdheAndNonAeadSuitesAreRefused) {
  start();
  for (const std::string suite :
       {"AES128-GCM-SHA256", "AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256",  // no ECDHE
        "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-ECDSA-AES256-SHA"}) {  // CBC, no AEAD
    SCOPED_TRACE(suite);
    const CommandResult result = s_client("-tls1_2 -cipher '" + suite + "@SECLEVEL=0'");
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("alert handshake failure"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("Cipher is " + suite), std::string::npos) << result.output;
  }
  // The same client with an allowed suite connects: the refusals above are the policy.
  const CommandResult allowed = s_client("-tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256'");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos);
}

TEST_F(HostileClients, Tls13IsNegotiatedByDefault) {
  start();
  // stdin stays open a moment so the handshake completes before s_client quits. (The
  // "Protocol  :" block is not checked: s_client prints it when a session ticket arrives,
  // and the server sends none; NoTls13SessionTicketIsIssued.)
  const CommandResult result =
      run_command("sleep 0.5 | timeout 10 " + s_client_command("-verify_return_error"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Verify return code: 0 (ok)"), std::string::npos);
}

// kube-apiserver's webhook client (client-go) keeps no TLS session cache and never
// resumes, so the server issues no TLS 1.3 session tickets: each would cost both sides an
// encryption and a record on every full handshake for nothing. The ticket, when a server
// sends one, comes before the answer, so a client that read the answer has seen it.
TEST_F(HostileClients, NoTls13SessionTicketIsIssued) {
  start();
  const std::filesystem::path session = dir_.path() / "tls13-session.pem";
  const CommandResult result = run_command(
      "printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 " +
      s_client_command("-tls1_3 -ign_eof -sess_out '" + session.string() + "'"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("HTTP/1.1 404"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("New Session Ticket"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(session)) << "a session was saved from a ticket";
}

TEST_F(HostileClients, ClientInitiatedRenegotiationIsRefused) {
  start();
  // s_client renegotiates when a line "R" arrives on stdin (TLS 1.2 only); stdin stays open
  // for a moment so that the outcome is printed. A successful renegotiation verifies the
  // chain again (a second "depth=0" line) and keeps the session going.
  const CommandResult result =
      run_command("(sleep 0.5; printf 'R\\n'; sleep 1.5) | timeout 10 " +
                  s_client_command("-tls1_2"));
  EXPECT_NE(result.output.find("RENEGOTIATING"), std::string::npos) << result.output;
  EXPECT_EQ(count_of(result.output, "depth=0"), 1u) << "renegotiated:\n" << result.output;
  EXPECT_NE(result.output.find("no renegotiation"), std::string::npos) << result.output;
  EXPECT_TRUE(server_->running());
  expect_served("after-renegotiation");
}

}  // namespace
}  // namespace feast::testing
