// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/detail/session.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/http/basic_auth.hpp"
#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/http/detail/listener.hpp"
#include "slurm_exporter/http/router.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/metrics/openmetrics.hpp"

namespace slurm_exporter::http::detail {
namespace {

using ResponseBody = bhttp::span_body<const char>;
using Response = bhttp::response<ResponseBody>;
using RequestParser = bhttp::request_parser<bhttp::string_body>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kReadChunk = 4096;
// After a response with Connection: close, keep reading (and discarding) this long so the
// kernel does not answer unread request bytes with a RST that would destroy our response.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerMaxBytes = 64 * 1024;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

// A fault that repeats on every request (a provider that throws, bcrypt failing) is logged at
// error once, then at debug, so that it cannot flood the journal.
void log_failure(std::atomic<bool>& logged, std::string_view msg, std::string_view error) {
  if (!logged.exchange(true)) {
    log::error(msg, {{"error", std::string(error)}, {"note", "later ones are logged at debug"}});
  } else {
    log::debug(msg, {{"error", std::string(error)}});
  }
}

std::string exception_text(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The provider's `done` may outlive the server: its rare failure is logged once per process.
std::atomic<bool> g_delivery_failure_logged{false};

template <class Stream>
Stream make_stream(tcp::socket&& socket, const SslContext& tls) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return Stream(std::move(socket), *tls);
  } else {
    return Stream(std::move(socket));
  }
}

// One connection, plain (PlainStream) or TLS (TlsStream).
template <class Stream>
class Session final : public std::enable_shared_from_this<Session<Stream>>, public Waiting {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  using std::enable_shared_from_this<Session<Stream>>::weak_from_this;

 public:
  Session(tcp::socket&& socket, Context& ctx, SslContext tls)
      : tls_(std::move(tls)),
        stream_(make_stream<Stream>(std::move(socket), tls_)),
        buffer_(ctx.options.max_header_bytes + ctx.options.max_body_bytes + kReadChunk),
        ctx_(ctx),
        web_(ctx.web),
        provider_timer_(stream_.get_executor()) {
    ++ctx_.connections;
    beast::error_code ec;
    const auto remote = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      peer_ = endpoint_string(remote);
      client_ = client_key(remote.address());
    }
    ctx_.clients.add(client_);
  }

  ~Session() {
    unlist();
    uncount();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    enlist();
    guarded([&] {
      if constexpr (kTls) {
        lowest().expires_after(ctx_.options.read_timeout);
        stream_.async_handshake(net::ssl::stream_base::server,
                                [self = shared_from_this()](beast::error_code ec) {
                                  self->guarded([&] { self->on_handshake(ec); });
                                });
      } else {
        read_request();
      }
    });
  }

 private:
  // Every completion handler runs through here: hostile input must never take the server down.
  template <class F>
  void guarded(F&& f) noexcept {
    try {
      f();
    } catch (const std::exception& e) {
      log::debug("http session failed", {{"peer", peer_}, {"error", e.what()}});
      close_now();
    } catch (...) {
      log::debug("http session failed", {{"peer", peer_}, {"error", "unknown exception"}});
      close_now();
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void evict() noexcept override {
    log::debug("too many connections, closing one waiting for a request", {{"peer", peer_}});
    evicted_ = true;  // a queued bcrypt check of this connection is skipped
    close_now();
    uncount();  // its slot is free now, not when its last handler has run
  }

  void uncount() noexcept {
    if (!counted_) return;
    counted_ = false;
    ctx_.clients.remove(client_);
    --ctx_.connections;
  }

  void enlist() {
    if (!waiting_slot_) waiting_slot_ = ctx_.waiting.add(this, client_, proven_);
  }

  void unlist() noexcept {
    if (waiting_slot_) {
      ctx_.waiting.remove(*waiting_slot_);
      waiting_slot_.reset();
    }
  }

  void close_now() noexcept {
    unlist();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  // Plain HTTP, an old protocol version or a missing client certificate all end here.
  void on_handshake(beast::error_code ec) {
    if (ec) {
      log::debug("tls handshake failed", {{"peer", peer_}, {"error", ec.message()}});
      close_now();
      return;
    }
    read_request();
  }

  // Keep-alive: the next request may already be buffered (pipelining); otherwise wait for
  // its first byte under the idle timeout, and only then give it the read timeout.
  void next_request() {
    enlist();
    if (buffer_.size() > 0) {
      read_request();
      return;
    }
    lowest().expires_after(ctx_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->guarded([&] { self->on_first_bytes(ec, n); });
                            });
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) {
      // A TLS client that closes without close_notify is as ordinary as EOF here.
      if (ec != net::error::eof && ec != beast::error::timeout &&
          ec != net::ssl::error::stream_truncated) {
        log::debug("http read failed", {{"peer", peer_}, {"error", ec.message()}});
      }
      close_now();
      return;
    }
    buffer_.commit(n);
    read_request();
  }

  void read_request() {
    enlist();
    web_ = ctx_.web;  // a reload applies from the next request on
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        ctx_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(ctx_.options.max_body_bytes));
    lowest().expires_after(ctx_.options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->guarded([&] { self->on_read(ec); });
                      });
  }

  void on_read(beast::error_code ec) {
    unlist();  // a whole request (or an error): no longer only waiting
    if (ec == bhttp::error::end_of_stream) {
      graceful_close();
      return;
    }
    if (ec) {
      log::debug("http read failed", {{"peer", peer_}, {"error", ec.message()}});
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          ec != bhttp::error::partial_message) {
        respond_bad_request(ec);
      } else {
        close_now();  // timeout, reset, or the peer vanished mid-request: nobody to answer
      }
      return;
    }
    const auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    const bool auth_exempt = ctx_.options.health_no_auth && is_health_target(req.target());
    if (web_->auth && !auth_exempt) {
      std::string authorization(req[bhttp::field::authorization]);
      if (const auto known = web_->auth->decided_without_bcrypt(authorization)) {
        on_authenticated(*known);
        return;
      }
      check_credentials(std::move(authorization));
      return;
    }
    dispatch();
  }

  // bcrypt takes milliseconds to tens of milliseconds: it runs on the auth pool so that this
  // thread goes on serving other connections. The queue is bounded, in all and per client, so
  // that wrong passwords cannot pile up work; while it waits the connection is evictable.
  void check_credentials(std::string authorization) {
    const std::size_t limit = std::max<std::size_t>(ctx_.options.max_auth_checks, 1);
    if (ctx_.auth_checks_total >= limit ||
        ctx_.auth_checks.count(client_) >= std::max<std::size_t>(limit / 4, 1)) {
      log::debug("too many bcrypt checks queued, answering 503", {{"peer", peer_}});
      keep_alive_ = false;
      static_body_ = "503 too many authentication checks at once, retry\n";
      write_response(503, kTextPlain, {{"Retry-After", "1"}}, static_body_,
                     parser_->get().method() == bhttp::verb::head);
      return;
    }
    ++ctx_.auth_checks_total;
    ctx_.auth_checks.add(client_);
    enlist();
    // The session stays alive in the task; the result comes back through the gate, where the
    // counts are released on the I/O thread.
    net::post(*ctx_.auth_pool, [self = shared_from_this(), gate = ctx_.gate, auth = web_->auth,
                                authorization = std::move(authorization)]() mutable {
      std::atomic<bool>& logged = self->ctx_.auth_failure_logged;
      const bool ok =
          !self->evicted_ && run_auth_check([&] { return auth->allowed(authorization); }, logged);
      try {
        gate->post([self = std::move(self), ok] {
          --self->ctx_.auth_checks_total;
          self->ctx_.auth_checks.remove(self->client_);
          self->guarded([&] { self->on_authenticated(ok); });
        });
      } catch (...) {
        log_failure(logged, "cannot hand back a bcrypt result",
                    exception_text(std::current_exception()));
      }
    });
  }

  void on_authenticated(bool ok) {
    unlist();
    if (evicted_) return;  // closed while its check waited
    if (ok) {
      dispatch();
      return;
    }
    // Never log the header: it carries the password.
    log::debug("http unauthorized", {{"peer", peer_}});
    static_body_ = "401 Unauthorized\n";
    write_response(401, kTextPlain,
                   {{"WWW-Authenticate", "Basic realm=\"" + std::string(kBasicAuthRealm) + "\""}},
                   static_body_, parser_->get().method() == bhttp::verb::head);
  }

  void dispatch() {
    proven_ = true;  // a request passed authentication: its idle waits are evicted last
    const auto& req = parser_->get();
    if (ctx_.options.handler && !ctx_.options.handler_path.empty() &&
        req.target().substr(0, req.target().find('?')) == ctx_.options.handler_path) {
      PathResponse r = ctx_.options.handler(req.method_string(), req.body());
      static_body_ = std::move(r.body);
      write_response(r.status, r.content_type, r.headers, static_body_,
                     req.method() == bhttp::verb::head);
      return;
    }
    RouteResult r = route(req.method_string(), req.target(), ctx_.options.telemetry_path);
    if (r.route == Route::kMetrics) {
      request_metrics(std::move(r));
      return;
    }
    if (r.route == Route::kReady && ctx_.options.ready && !ctx_.options.ready()) {
      r.status = 503;
      r.body = "Slurm Exporter is not ready: no poll has completed yet.\n";
    }
    static_body_ = std::move(r.body);
    write_response(r.status, r.content_type, r.headers, static_body_, r.head_only);
  }

  void respond_bad_request(beast::error_code ec) {
    int status = 400;
    std::string body = "400 bad request\n";
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      status = 431;
      body = "431 request header fields too large\n";
    } else if (ec == bhttp::error::body_limit) {
      status = 413;
      body = fmt::format("413 request entity too large: the body limit is {} bytes\n",
                         ctx_.options.max_body_bytes);
    }
    version_ = 11;
    keep_alive_ = false;
    static_body_ = std::move(body);
    write_response(status, kTextPlain, {}, static_body_, false);
  }

  void request_metrics(RouteResult r) {
    const std::uint64_t seq = ++request_seq_;
    accepts_gzip_ = accepts_gzip(parser_->get()[bhttp::field::accept_encoding]);
    openmetrics_ = metrics::prefers_openmetrics(parser_->get()[bhttp::field::accept]);
    awaiting_provider_ = true;
    metrics_route_ = std::move(r);
    // Bounds the wait for a provider that never answers; the pending wait also keeps this
    // session alive, because the provider's callback holds only a weak reference.
    provider_timer_.expires_after(ctx_.options.write_timeout);
    provider_timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (ec) return;
      self->guarded([&] { self->on_provider_timeout(seq); });
    });
    std::weak_ptr<Session> weak = weak_from_this();
    std::shared_ptr<Gate> gate = ctx_.gate;
    try {
      // `done` runs on the provider's thread: nothing may escape from it there.
      ctx_.provider([gate, weak, seq](MetricsBody body) noexcept {
        try {
          gate->post([weak, seq, body = std::move(body)]() mutable {
            if (auto self = weak.lock()) {
              self->guarded([&] { self->on_metrics(seq, std::move(body)); });
            }
          });
        } catch (...) {
          log_failure(g_delivery_failure_logged, "cannot hand metrics to the http session",
                      exception_text(std::current_exception()));
        }
      });
    } catch (...) {
      log_failure(ctx_.provider_failure_logged, "metrics provider failed",
                  exception_text(std::current_exception()));
      on_metrics(seq, nullptr);
    }
  }

  void on_metrics(std::uint64_t seq, MetricsBody body) {
    if (!awaiting_provider_ || seq != request_seq_) return;  // late or repeated answer
    awaiting_provider_ = false;
    provider_timer_.cancel();
    if (!body) {
      static_body_ = "metrics not available\n";
      write_response(503, kTextPlain, {}, static_body_, metrics_route_.head_only);
      return;
    }
    // Caches may store the response only keyed by the request's Accept-Encoding; HEAD gets
    // the headers and Content-Length a GET with the same Accept-Encoding would get.
    std::vector<std::pair<std::string, std::string>> headers{{"Vary", "Accept, Accept-Encoding"}};
    std::string_view content_type = metrics_route_.content_type;
    GzipCache* gzip = &ctx_.gzip;
    if (openmetrics_) {
      try {
        if (ctx_.openmetrics_of != body) {
          ctx_.openmetrics = std::make_shared<const std::string>(metrics::to_openmetrics(*body));
          ctx_.openmetrics_of = body;
        }
        body = ctx_.openmetrics;
        content_type = metrics::kOpenMetricsContentType;
        gzip = &ctx_.gzip_openmetrics;
      } catch (const std::exception& e) {
        log::warn("OpenMetrics conversion failed, sending text 0.0.4", {{"error", e.what()}});
      }
    }
    if (accepts_gzip_) {
      try {
        body = gzip->get(body);
        headers.emplace_back("Content-Encoding", "gzip");
      } catch (const std::exception& e) {
        log::warn("gzip failed, sending identity", {{"error", e.what()}});
      }
    }
    metrics_body_ = std::move(body);
    write_response(200, content_type, headers, *metrics_body_, metrics_route_.head_only);
  }

  void on_provider_timeout(std::uint64_t seq) {
    if (!awaiting_provider_ || seq != request_seq_) return;
    awaiting_provider_ = false;
    log::debug("metrics provider did not answer in time", {{"peer", peer_}});
    keep_alive_ = false;
    static_body_ = "metrics not available\n";
    write_response(503, kTextPlain, {}, static_body_, metrics_route_.head_only);
  }

  // `body` must stay alive until the write completes (static_body_ or metrics_body_).
  void write_response(int status, std::string_view content_type,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      std::string_view body, bool head_only) {
    res_ = Response{};
    res_.version(version_);
    res_.result(static_cast<unsigned>(status));
    res_.set(bhttp::field::content_type, content_type);
    for (const auto& [name, value] : headers) res_.set(name, value);
    for (const auto& [name, value] : web_->headers) res_.set(name, value);
    res_.keep_alive(keep_alive_);
    // HEAD announces the GET length but sends no body, so no prepare_payload().
    res_.content_length(body.size());
    if (!head_only) res_.body() = ResponseBody::value_type(body.data(), body.size());
    lowest().expires_after(ctx_.options.write_timeout);
    bhttp::async_write(stream_, res_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->guarded([&] { self->on_write(ec); });
                       });
  }

  void on_write(beast::error_code ec) {
    metrics_body_.reset();
    static_body_.clear();
    res_.body() = {};
    if (ec) {
      log::debug("http write failed", {{"peer", peer_}, {"error", ec.message()}});
      close_now();
      return;
    }
    if (!keep_alive_) {
      graceful_close();
      return;
    }
    next_request();
  }

  void graceful_close() {
    if constexpr (kTls) {
      // close_notify, then wait briefly for the peer's; either way the socket closes after.
      lowest().expires_after(kLingerTime);
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        self->guarded([&] { self->close_now(); });
      });
      return;
    }
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTime);
    linger_bytes_ = 0;
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->guarded([&] {
                                self->linger_bytes_ += n;
                                if (ec || self->linger_bytes_ > kLingerMaxBytes) {
                                  self->close_now();
                                } else {
                                  self->drain();
                                }
                              });
                            });
  }

  SslContext tls_;  // before stream_: the stream uses it until destroyed
  Stream stream_;
  beast::flat_buffer buffer_;
  Context& ctx_;
  std::shared_ptr<const WebState> web_;  // users and headers for the request being served
  net::steady_timer provider_timer_;
  std::string peer_ = "unknown";
  std::optional<RequestParser> parser_;
  Response res_;
  std::string static_body_;
  MetricsBody metrics_body_;
  RouteResult metrics_route_;
  bool accepts_gzip_ = false;  // the metrics request in flight accepts Content-Encoding: gzip
  bool openmetrics_ = false;   // ... and prefers OpenMetrics (Accept)
  std::uint64_t request_seq_ = 0;
  bool awaiting_provider_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::size_t linger_bytes_ = 0;
  std::array<char, 1024> drain_buffer_{};
  std::optional<WaitingList::Slot> waiting_slot_;
  ClientKey client_{};
  bool proven_ = false;
  bool counted_ = true;  // in ctx_.connections and ctx_.clients  // a request of this connection
                         // has passed authentication
  std::atomic<bool> evicted_{false};  // read by the auth pool
};

}  // namespace

std::size_t connections_per_client(const ServerOptions& options) {
  if (options.max_connections_per_client > 0) return options.max_connections_per_client;
  return std::max<std::size_t>(options.max_connections / 4, 1);
}

bool run_auth_check(const std::function<bool()>& check, std::atomic<bool>& logged) noexcept {
  try {
    return check();
  } catch (...) {
    log_failure(logged, "bcrypt check failed, denying", exception_text(std::current_exception()));
    return false;
  }
}

void start_session(tcp::socket socket, Context& ctx, SslContext tls) {
  if (tls) {
    std::make_shared<Session<TlsStream>>(std::move(socket), ctx, std::move(tls))->start();
  } else {
    std::make_shared<Session<PlainStream>>(std::move(socket), ctx, nullptr)->start();
  }
}

}  // namespace slurm_exporter::http::detail
