#include "https_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string_view>

#include "admission_review.h"
#include "admission_state.h"
#include "connection_registry.h"
#include "decision_log.h"
#include "json_log.h"
#include "metrics.h"
#include "routes.h"
#include "tls_stream.h"

namespace feast {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kShutdownTimeout{1};

std::string_view std_view(beast::string_view s) { return {s.data(), s.size()}; }

// Whether an AdmissionReview response body has a "warnings" member (a key is the only
// place an unescaped `"warnings"` can be followed by a colon).
bool has_warnings(std::string_view body) {
  constexpr std::string_view kKey = "\"warnings\"";
  for (std::size_t at = body.find(kKey); at != std::string_view::npos; at = body.find(kKey, at + 1)) {
    std::size_t next = at + kKey.size();
    while (next < body.size() && (body[next] == ' ' || body[next] == '\n')) ++next;
    if (next < body.size() && body[next] == ':') return true;
  }
  return false;
}

using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, ConnectionExecutor>;

class HttpsSession : public DrainableConnection,
                     public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(ConnectionSocket&& socket, std::shared_ptr<ssl::context> tls,
               const HttpsSessionContext& context, bool refuse)
      : tls_(std::move(tls)),
        stream_(std::move(socket), tls_->native_handle()),
        timer_(stream_.get_executor()),
        context_(context),
        refuse_(refuse) {}

  ~HttpsSession() override { context_.registry->remove(this); }

  void run() {
    context_.registry->add(shared_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpsSession::on_run, shared_from_this()));
  }

  void drain() override {
    net::post(stream_.get_executor(),
              beast::bind_front_handler(&HttpsSession::on_drain, shared_from_this()));
  }

 private:
  enum class Phase { Handshake, AwaitingRequest, ReadingRequest, Responding, Closing };

  // Every step has a deadline; past it, the step ends with beast::error::timeout. One
  // timer per connection, re-armed only when a deadline comes earlier than the one it
  // waits for (a later one is waited for after it fires), so that most steps cost no
  // timer operation.
  void set_deadline(Clock::duration timeout) {
    deadline_ = Clock::now() + timeout;
    if (!timer_waiting_ || timer_.expiry() > deadline_) wait_for_deadline();
  }

  void wait_for_deadline() {
    timer_waiting_ = true;
    timer_.expires_at(deadline_);  // a wait already pending ends with operation_aborted
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec == net::error::operation_aborted) return;  // re-armed or destroyed
      if (auto self = weak.lock()) self->on_timer();
    });
  }

  void on_timer() {
    timer_waiting_ = false;
    if (Clock::now() < deadline_) return wait_for_deadline();
    stream_.expire();
  }

  void on_run() {
    phase_ = Phase::Handshake;
    set_deadline(context_.limits.read_timeout);
    stream_.async_handshake(beast::bind_front_handler(&HttpsSession::on_handshake,
                                                      shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      log_event(LogLevel::Debug, "TLS handshake failed", {{"error", ec.message()}});
      return;
    }
    do_read_header();
  }

  bool closing_down() const { return draining_ || context_.shutting_down->load(); }

  void do_read_header() {
    if (closing_down()) return do_close();
    phase_ = Phase::AwaitingRequest;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(context_.limits.max_header_bytes));
    parser_->body_limit(context_.limits.max_body_bytes);
    set_deadline(served_ == 0 ? context_.limits.read_timeout : context_.limits.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpsSession::on_read_header,
                                                      shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    phase_ = Phase::ReadingRequest;
    request_started_ = Clock::now();
    webhook_ = context_.metrics->webhook(std_view(parser_->get().target()));
    in_flight_ = Metrics::request_started(webhook_);
    if (refuse_) {
      return send_error(503, "too many connections: the server is at its limit of " +
                                 std::to_string(context_.limits.max_connections) + "; retry later");
    }
    // Refuse an oversized body from its declared length, before buffering any of it.
    if (auto length = parser_->content_length();
        length && *length > context_.limits.max_body_bytes) {
      return send_error(413, "request body too large: the limit is " +
                                 std::to_string(context_.limits.max_body_bytes) + " bytes");
    }
    // RFC 9112 6.1: a Transfer-Encoding whose last coding is not chunked leaves the body
    // length unknown; reading on would let the body pose as a second request.
    if (parser_->get().count(http::field::transfer_encoding) > 0 && !parser_->chunked()) {
      return send_error(400, "unsupported Transfer-Encoding: only chunked is accepted");
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_.version(11);
      continue_.result(http::status::continue_);
      set_deadline(context_.limits.read_timeout);
      return http::async_write(stream_, continue_,
                               beast::bind_front_handler(&HttpsSession::on_continue_written,
                                                         shared_from_this()));
    }
    do_read_body();
  }

  void on_continue_written(beast::error_code ec, std::size_t) {
    if (ec) return;
    do_read_body();
  }

  void do_read_body() {
    // Room for the padding that lets the body be parsed where it lies (see on_read).
    if (auto length = parser_->content_length()) parser_->get().body().reserve(*length + kBodyPadding);
    // A client that writes header and body together (curl; Go's client when they fit its
    // 4 KiB write buffer; pipelined requests) has the body read along with the header:
    // parse what is buffered and answer at once, rather than start a second read that
    // would only post its completion behind every other connection's.
    beast::error_code ec;
    while (!parser_->is_done() && buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      if (ec == http::error::need_more) break;
      if (ec) return on_read_error(ec);
      buffer_.consume(used);
      if (used == 0) break;
    }
    if (parser_->is_done()) return on_read({}, 0);
    reserve_for_body();
    set_deadline(context_.limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpsSession::on_read, shared_from_this()));
  }

  // Beast reads into the free space of buffer_, at least 512 bytes: left at the header's
  // size, a 10 KB body took ~20 reads, each an SSL_read and a pass through the event loop.
  // Room for the rest of the body, up to one TLS record (16 KiB, then kept for the
  // connection's next requests), lets one read take a whole record.
  void reserve_for_body() {
    constexpr std::size_t kTlsRecordBytes = 16 * 1024;
    std::size_t want = kTlsRecordBytes;
    if (auto length = parser_->content_length_remaining()) want = std::min<std::size_t>(want, *length);
    buffer_.reserve(buffer_.size() + want);
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    const auto started = Clock::now();
    auto& request = parser_->get();
    // Zero bytes after the body let the JSON parser read it in place rather than copy it.
    const std::size_t body_size = request.body().size();
    request.body().append(kBodyPadding, '\0');
    const std::shared_ptr<const Policy> policy = context_.state->policy();
    HttpAnswer answer = answer_admission(
        HttpRequestView{std_view(request.method_string()), std_view(request.target()),
                        std_view(request[http::field::content_type]),
                        std::string_view(request.body().data(), body_size), /*body_padded=*/true},
        context_.state->context(*policy));
    const auto latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (answer.decision) {
      // One write for the decision lines of this event-loop turn: the flush runs after
      // the handlers already queued.
      if (log_decision(*answer.decision, latency)) net::post(stream_.get_executor(), flush_deferred_logs);
      context_.metrics->decision(webhook_, *answer.decision, has_warnings(answer.body));
    }
    if (answer.status >= 500) {
      log_event(LogLevel::Error, "admission request failed",
                {{"target", std_view(request.target())}, {"status", answer.status}});
    }
    send(std::move(answer), !request.keep_alive());
  }

  // Read failures: a timeout or a vanished peer just ends the session; a request Beast
  // cannot parse gets a short answer, then the connection closes (its framing is lost).
  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return send_error(413, "request body too large: the limit is " +
                                 std::to_string(context_.limits.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return send_error(431, "request header fields too large");
    }
    if (ec == http::error::end_of_stream) return do_close();
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::partial_message) {
      return send_error(400, "malformed HTTP request: " + ec.message());
    }
    if (ec == beast::error::timeout) {
      log_event(LogLevel::Debug, "read deadline passed, closing connection");
    }
  }

  void send_error(unsigned status, std::string message) {
    send(plain_answer(status, std::move(message)), /*close=*/true);
  }

  void send(HttpAnswer answer, bool close) {
    phase_ = Phase::Responding;
    if (parser_ && parser_->is_header_done()) {
      context_.metrics->request_done(webhook_, answer.status, Clock::now() - request_started_);
    }
    response_ = {};
    response_.version(11);
    response_.result(answer.status);
    response_.set(http::field::content_type, answer.content_type);
    if (answer.allow_post) response_.set(http::field::allow, "POST");
    response_.body() = std::move(answer.body);
    response_.keep_alive(!close && !closing_down());
    response_.prepare_payload();
    set_deadline(context_.limits.read_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&HttpsSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    in_flight_.release();
    if (ec) return;
    ++served_;
    if (!response_.keep_alive()) return do_close();
    do_read_header();
  }

  void do_close() {
    phase_ = Phase::Closing;
    // close_notify, then discard what the peer still sends until it closes or time runs
    // out: closing with unread data would reset the connection before the answer arrives.
    set_deadline(kShutdownTimeout);
    stream_.async_shutdown(
        beast::bind_front_handler(&HttpsSession::on_shutdown, shared_from_this()));
  }

  void on_shutdown(beast::error_code) {}

  // Shutdown: close now when idle between requests, else after the request in flight.
  void on_drain() {
    draining_ = true;
    const bool idle = phase_ == Phase::Handshake ||
                      (phase_ == Phase::AwaitingRequest && buffer_.size() == 0 &&
                       !parser_->got_some());
    if (idle) {
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
    }
  }

  std::shared_ptr<ssl::context> tls_;  // declared first: the stream uses it until the end
  TlsStream stream_;
  Timer timer_;
  Clock::time_point deadline_;
  bool timer_waiting_ = false;
  HttpsSessionContext context_;
  const bool refuse_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  Phase phase_ = Phase::Handshake;
  Clock::time_point request_started_;
  Metrics::WebhookSeries* webhook_ = nullptr;  // of the request being served
  Metrics::InFlight in_flight_;
  bool draining_ = false;
  std::size_t served_ = 0;
};

}  // namespace

void start_https_session(ConnectionSocket socket, std::shared_ptr<ssl::context> tls,
                         const HttpsSessionContext& context, bool refuse) {
  // Answers are small and go out as soon as they are ready: no Nagle delay.
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<HttpsSession>(std::move(socket), std::move(tls), context, refuse)->run();
}

}  // namespace feast
