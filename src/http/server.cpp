// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/server.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Asio 1.18's scheduler trips GCC 12's -Wnull-dereference after inlining (a false positive in
// code we do not own); the pragma must wrap the includes because GCC checks it at that location.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#pragma GCC diagnostic pop

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/http/basic_auth.hpp"
#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/http/router.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using ResponseBody = bhttp::span_body<const char>;
using Response = bhttp::response<ResponseBody>;
using RequestParser = bhttp::request_parser<bhttp::string_body>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SslContext = std::shared_ptr<net::ssl::context>;

constexpr std::size_t kReadChunk = 4096;
// After a response with Connection: close, keep reading (and discarding) this long so the
// kernel does not answer unread request bytes with a RST that would destroy our response.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerMaxBytes = 64 * 1024;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
// Certificate files are looked at on a new connection at most this often.
constexpr std::chrono::seconds kCertCheckInterval{1};

std::string endpoint_string(const tcp::endpoint& ep) {
  const std::string host = ep.address().to_string();
  const std::string port = std::to_string(ep.port());
  if (ep.address().is_v6()) return "[" + host + "]:" + port;
  return host + ":" + port;
}

void set_cloexec(int fd) {
  // Asio creates sockets without SOCK_CLOEXEC; a Slurm CLI child must not inherit them.
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

struct HostPort {
  std::string host;  // without brackets; empty = all interfaces
  std::uint16_t port = 0;
};

[[noreturn]] void invalid_address(std::string_view address, std::string_view why) {
  throw ListenError("invalid listen address \"" + std::string(address) + "\": " + std::string(why));
}

// Go's net.SplitHostPort plus a numeric port check.
HostPort split_host_port(std::string_view address) {
  HostPort out;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos) invalid_address(address, "missing ']'");
    if (close + 1 == address.size()) invalid_address(address, "missing port");
    if (address[close + 1] != ':') invalid_address(address, "unexpected characters after ']'");
    out.host = std::string(address.substr(1, close - 1));
    if (out.host.empty()) invalid_address(address, "empty IPv6 address");
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) invalid_address(address, "missing port");
    out.host = std::string(address.substr(0, colon));
    if (out.host.find(':') != std::string::npos) {
      invalid_address(address, "too many colons (write IPv6 addresses as [addr]:port)");
    }
    if (out.host.find_first_of("[]") != std::string::npos) {
      invalid_address(address, "unexpected '[' or ']'");
    }
    port = address.substr(colon + 1);
  }
  if (port.empty()) invalid_address(address, "missing port");
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') invalid_address(address, "invalid port \"" + std::string(port) + "\"");
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) invalid_address(address, "port out of range \"" + std::string(port) + "\"");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

// Opens, configures, binds and listens; on failure the acceptor is left closed.
beast::error_code try_listen(tcp::acceptor& acceptor, const tcp::endpoint& ep) {
  beast::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec && ep.address().is_v6() && ep.address().is_unspecified()) {
    // Go listens dual-stack on "[::]:port" and ":port"; some kernels refuse, which is fine.
    beast::error_code ignored;
    acceptor.set_option(net::ip::v6_only(false), ignored);
  }
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
  } else {
    set_cloexec(acceptor.native_handle());
  }
  return ec;
}

[[noreturn]] void cannot_listen(std::string_view address, const beast::error_code& ec) {
  throw ListenError("cannot listen on " + std::string(address) + ": " + ec.message());
}

void bind_acceptor(tcp::acceptor& acceptor, net::io_context& ioc, std::string_view address) {
  const HostPort hp = split_host_port(address);
  if (hp.host.empty()) {
    // All interfaces: dual-stack IPv6 if the host has IPv6, else IPv4 only.
    const beast::error_code ec6 = try_listen(acceptor, {net::ip::address_v6::any(), hp.port});
    if (!ec6) return;
    if (ec6 == net::error::address_in_use || ec6 == net::error::access_denied) {
      cannot_listen(address, ec6);
    }
    const beast::error_code ec4 = try_listen(acceptor, {net::ip::address_v4::any(), hp.port});
    if (ec4) cannot_listen(address, ec4);
    return;
  }
  beast::error_code ec;
  const net::ip::address literal = net::ip::make_address(hp.host, ec);
  if (!ec) {
    ec = try_listen(acceptor, {literal, hp.port});
    if (ec) cannot_listen(address, ec);
    return;
  }
  tcp::resolver resolver(ioc);
  const auto results =
      resolver.resolve(hp.host, std::to_string(hp.port), tcp::resolver::numeric_service, ec);
  if (ec) cannot_listen(address, ec);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  // Like Go, prefer IPv4 when a name has both ("localhost" → 127.0.0.1).
  std::stable_partition(endpoints.begin(), endpoints.end(),
                        [](const tcp::endpoint& ep) { return ep.address().is_v4(); });
  if (endpoints.empty()) cannot_listen(address, net::error::host_not_found);
  for (const auto& ep : endpoints) {
    ec = try_listen(acceptor, ep);
    if (!ec) return;
  }
  cannot_listen(address, ec);
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void tls_error(std::string_view what) {
  throw ConfigError(std::string(what) + ": " + openssl_errors());
}

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ':';
    out += item;
  }
  return out;
}

// Go's RequestClientCert and RequireAnyClientCert take any certificate, verified or not.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

// OpenSSL's own message for a missing file is a chain of three "system lib" errors.
void require_readable(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ConfigError("cannot read " + std::string(what) + " " + path + ": " +
                      std::strerror(errno));
  }
  ::close(fd);
}

// A fresh context from the files on disk. Throws ConfigError naming the file and OpenSSL's reason.
SslContext build_ssl_context(const TlsServerConfig& c) {
  require_readable(c.cert_file, "cert_file");
  require_readable(c.key_file, "key_file");
  if (!c.client_ca_file.empty()) require_readable(c.client_ca_file, "client_ca_file");
  ERR_clear_error();
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use |
                   net::ssl::context::no_compression);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (c.prefer_server_cipher_suites) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, openssl_version(c.min_version)) != 1) {
    tls_error("tls_server_config: min_version");
  }
  if (c.max_version &&
      SSL_CTX_set_max_proto_version(native, openssl_version(*c.max_version)) != 1) {
    tls_error("tls_server_config: max_version");
  }
  if (!c.cipher_suites.empty() &&
      SSL_CTX_set_cipher_list(native, join(c.cipher_suites).c_str()) != 1) {
    tls_error("tls_server_config: cipher_suites");
  }
  if (!c.curve_preferences.empty() &&
      SSL_CTX_set1_groups_list(native, join(c.curve_preferences).c_str()) != 1) {
    tls_error("tls_server_config: curve_preferences");
  }
  if (SSL_CTX_use_certificate_chain_file(native, c.cert_file.c_str()) != 1) {
    tls_error("cannot load cert_file " + c.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(native, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    tls_error("cannot load key_file " + c.key_file);
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    tls_error("key_file " + c.key_file + " does not match cert_file " + c.cert_file);
  }
  if (!c.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, c.client_ca_file.c_str(), nullptr) != 1) {
      tls_error("cannot load client_ca_file " + c.client_ca_file);
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
    if (names == nullptr) tls_error("cannot load client_ca_file " + c.client_ca_file);
    SSL_CTX_set_client_CA_list(native, names);
  }
  switch (c.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, accept_any_certificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         accept_any_certificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Without a session id context OpenSSL fails resumed handshakes once client certificates
  // are requested.
  static constexpr std::string_view kSessionContext = "prometheus-slurm-exporter";
  SSL_CTX_set_session_id_context(native,
                                 reinterpret_cast<const unsigned char*>(kSessionContext.data()),
                                 static_cast<unsigned>(kSessionContext.size()));
  return ctx;
}

struct FileStamp {
  bool exists = false;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  // chown/chmod after a renewal change only ctime: a key that was unreadable is tried again.
  std::int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::string& path) {
  FileStamp s;
  if (path.empty()) return s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.size = static_cast<std::int64_t>(st.st_size);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return s;
}

// The current SSL context, rebuilt when the certificate, key or CA files change on disk
// (short-lived certificates renewed by a timer). Sessions hold a shared_ptr to the context
// they started with, so in-flight connections keep theirs. Used on the server's thread only.
class TlsContextStore {
 public:
  explicit TlsContextStore(TlsServerConfig config)
      : config_(std::move(config)),
        stamps_(stamps()),
        previous_(stamps_),
        current_(build_ssl_context(config_)) {
    last_check_ = std::chrono::steady_clock::now();
  }

  SslContext get() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < kCertCheckInterval) return current_;
    last_check_ = now;
    const auto seen = stamps();
    const bool settled = seen == previous_;
    previous_ = seen;
    if (seen == stamps_ || (failed_ && seen == *failed_)) return current_;
    // A renewal renames the certificate and the key one after the other: wait until the files
    // look the same on two checks, so a half-renewed pair is not tried (and logged as broken).
    if (!settled) return current_;
    try {
      current_ = build_ssl_context(config_);
      stamps_ = seen;
      failed_.reset();
      log::info("reloaded TLS certificate", {{"cert_file", config_.cert_file}});
    } catch (const std::exception& e) {
      // Logged once per broken state of the files; a later change is tried again.
      failed_ = seen;
      log::error("cannot reload TLS certificate, keeping the previous one", {{"err", e.what()}});
    }
    return current_;
  }

 private:
  std::array<FileStamp, 3> stamps() const {
    return {stamp_of(config_.cert_file), stamp_of(config_.key_file),
            stamp_of(config_.client_ca_file)};
  }

  TlsServerConfig config_;
  std::array<FileStamp, 3> stamps_;
  std::array<FileStamp, 3> previous_;  // as seen by the last check
  SslContext current_;
  std::optional<std::array<FileStamp, 3>> failed_;
  std::chrono::steady_clock::time_point last_check_;
};

// Everything a session takes from the web config, built completely before it is used: a reload
// swaps the whole of it or nothing. A session takes the TLS context when it is accepted and the
// rest (users, headers) at the start of each request.
struct WebState {
  std::unique_ptr<TlsContextStore> tls;      // null: plain HTTP
  std::shared_ptr<BasicAuthenticator> auth;  // null: no basic auth
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t users = 0;
};

// Throws ConfigError when a certificate, key or CA file cannot be loaded.
std::shared_ptr<WebState> make_web_state(const WebConfig& config) {
  auto state = std::make_shared<WebState>();
  if (config.tls) state->tls = std::make_unique<TlsContextStore>(*config.tls);
  if (!config.basic_auth_users.empty()) {
    state->auth = std::make_shared<BasicAuthenticator>(config.basic_auth_users);
  }
  state->headers = config.headers;
  state->users = config.basic_auth_users.size();
  return state;
}

// Lets provider callbacks, which may run on any thread at any time, post to the io_context
// only while it exists.
class Gate {
 public:
  explicit Gate(net::io_context& ioc) : ioc_(&ioc) {}

  template <class Handler>
  void post(Handler&& handler) {
    const std::lock_guard lock(mutex_);
    if (ioc_ != nullptr) net::post(*ioc_, std::forward<Handler>(handler));
  }

  void close() {
    const std::lock_guard lock(mutex_);
    ioc_ = nullptr;
  }

 private:
  std::mutex mutex_;
  net::io_context* ioc_;
};

// A session that is waiting for a request (TLS handshake, first byte, headers, or idle between
// keep-alive requests): it can be closed to make room for a new connection.
class Waiting {
 public:
  virtual void evict() noexcept = 0;

 protected:
  ~Waiting() = default;
};

// What sessions share with the server; outlives every session (see Server::Impl).
struct Context {
  // Waiting sessions, oldest first. Touched on the I/O thread only.
  std::list<Waiting*> waiting;
  // At max_connections a new connection closes the session that has waited longest for a
  // request, so idle, never-speaking or slowloris connections cannot lock out a scraper.
  bool evict_oldest_waiting() noexcept {
    if (waiting.empty()) return false;
    Waiting* oldest = waiting.front();
    oldest->evict();  // leaves the list itself
    return true;
  }

  ServerOptions options;
  MetricsProvider provider;
  std::shared_ptr<Gate> gate;
  std::atomic<std::size_t> connections{0};
  // The web config in use; replaced as a whole by a reload. I/O thread only.
  std::shared_ptr<WebState> web;
  net::thread_pool* auth_pool = nullptr;  // runs bcrypt; set once a config has users
  // The gzip form of the latest metrics body, compressed once per snapshot. I/O thread only.
  GzipCache gzip;
};

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
    if (!ec) peer_ = endpoint_string(remote);
  }

  ~Session() {
    unlist();
    --ctx_.connections;
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
    close_now();
  }

  void enlist() {
    if (!waiting_slot_) waiting_slot_ = ctx_.waiting.insert(ctx_.waiting.end(), this);
  }

  void unlist() noexcept {
    if (waiting_slot_) {
      ctx_.waiting.erase(*waiting_slot_);
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
    if (web_->auth) {
      std::string authorization(req[bhttp::field::authorization]);
      if (const auto known = web_->auth->decided_without_bcrypt(authorization)) {
        on_authenticated(*known);
        return;
      }
      // bcrypt takes tens of milliseconds: run it on the auth pool so that this thread goes on
      // serving other connections; the session stays alive in the task.
      net::post(*ctx_.auth_pool, [self = shared_from_this(), gate = ctx_.gate, auth = web_->auth,
                                  authorization = std::move(authorization)]() mutable {
        const bool ok = auth->allowed(authorization);
        gate->post(
            [self = std::move(self), ok] { self->guarded([&] { self->on_authenticated(ok); }); });
      });
      return;
    }
    dispatch();
  }

  void on_authenticated(bool ok) {
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
    const auto& req = parser_->get();
    RouteResult r = route(req.method_string(), req.target(), ctx_.options.telemetry_path);
    if (r.route == Route::kMetrics) {
      request_metrics(std::move(r));
      return;
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
      body = "413 request entity too large\n";
    }
    version_ = 11;
    keep_alive_ = false;
    static_body_ = std::move(body);
    write_response(status, kTextPlain, {}, static_body_, false);
  }

  void request_metrics(RouteResult r) {
    const std::uint64_t seq = ++request_seq_;
    accepts_gzip_ = accepts_gzip(parser_->get()[bhttp::field::accept_encoding]);
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
      ctx_.provider([gate, weak, seq](MetricsBody body) {
        gate->post([weak, seq, body = std::move(body)]() mutable {
          if (auto self = weak.lock()) {
            self->guarded([&] { self->on_metrics(seq, std::move(body)); });
          }
        });
      });
    } catch (const std::exception& e) {
      log::warn("metrics provider failed", {{"error", e.what()}});
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
    std::vector<std::pair<std::string, std::string>> headers{{"Vary", "Accept-Encoding"}};
    if (accepts_gzip_) {
      try {
        body = ctx_.gzip.get(body);
        headers.emplace_back("Content-Encoding", "gzip");
      } catch (const std::exception& e) {
        log::warn("gzip failed, sending identity", {{"error", e.what()}});
      }
    }
    metrics_body_ = std::move(body);
    write_response(200, metrics_route_.content_type, headers, *metrics_body_,
                   metrics_route_.head_only);
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
  std::uint64_t request_seq_ = 0;
  bool awaiting_provider_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::size_t linger_bytes_ = 0;
  std::array<char, 1024> drain_buffer_{};
  std::optional<std::list<Waiting*>::iterator> waiting_slot_;
};

}  // namespace

// Member order matters: ioc_ is destroyed before ctx_ (sessions owned by pending handlers
// die with it and still use ctx_), and acceptor_/accept_retry_ before ioc_.
struct Server::Impl {
  Context ctx;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  std::string bound_address;
  std::uint16_t bound_port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<int> stop_signal{0};
  bool accepting = false;
  // After ioc: destroyed (joined) first, so its tasks never outlive the io_context.
  std::unique_ptr<net::thread_pool> auth_pool;

  Impl(ServerOptions options, MetricsProvider provider) {
    ctx.options = std::move(options);
    ctx.provider = std::move(provider);
    ctx.gate = std::make_shared<Gate>(ioc);
    use_web_state(make_web_state(ctx.options.web));
  }

  void use_web_state(std::shared_ptr<WebState> state) {
    if (state->auth && !auth_pool) {
      auth_pool = std::make_unique<net::thread_pool>(2);
      ctx.auth_pool = auth_pool.get();
    }
    ctx.web = std::move(state);
  }

  // Re-reads the web config file on the I/O thread. The new state is built completely before
  // it replaces the old one; on any error the old one stays and the error is logged once.
  bool reload_web_config() {
    const std::string& file = ctx.options.web_config_file;
    if (file.empty()) {
      log::info("nothing to reload: no --web.config.file");
      return false;
    }
    try {
      const WebConfig config = load_web_config(file);
      // The listener serves TLS or plain HTTP from its start; switching needs a restart, and
      // a TLS listener must never fall back to plain HTTP because of an edit.
      if (config.tls.has_value() != (ctx.web->tls != nullptr)) {
        throw ConfigError(std::string(config.tls ? "tls_server_config was added"
                                                 : "tls_server_config was removed") +
                          ": switching between TLS and plain HTTP needs a restart");
      }
      std::shared_ptr<WebState> state = make_web_state(config);
      const bool tls = state->tls != nullptr;
      const std::size_t users = state->users;
      use_web_state(std::move(state));
      log::info("reloaded web config", {{"file", file},
                                        {"tls", tls ? "true" : "false"},
                                        {"basic_auth_users", std::to_string(users)}});
      return true;
    } catch (const std::exception& e) {
      log::error("cannot reload web config, keeping the previous one",
                 {{"file", file}, {"err", e.what()}});
      return false;
    }
  }

  // SIGINT/SIGTERM stop run(); SIGHUP reloads the web config and waits for the next signal.
  void wait_for_signal(net::signal_set& signals) {
    signals.async_wait([this, &signals](beast::error_code ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        log::info("reloading on signal", {{"signal", "SIGHUP"}});
        reload_web_config();
        wait_for_signal(signals);
        return;
      }
      log::info("stopping on signal", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
      stop_signal = signo;
      ioc.stop();
    });
  }

  ~Impl() { ctx.gate->close(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void do_accept() {
    acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) noexcept {
    if (ec == net::error::operation_aborted) return;
    try {
      if (ec) {
        // EMFILE and friends: back off briefly instead of spinning on the error.
        log::debug("http accept failed", {{"error", ec.message()}});
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) do_accept();
        });
        return;
      }
      set_cloexec(socket.native_handle());
      if (ctx.connections.load() >= ctx.options.max_connections && !ctx.evict_oldest_waiting()) {
        beast::error_code ignored;
        const auto remote = socket.remote_endpoint(ignored);
        log::debug("too many connections, closing new one",
                   {{"peer", ignored ? "unknown" : endpoint_string(remote)}});
        socket.close(ignored);
      } else {
        if (ctx.web->tls) {
          std::make_shared<Session<TlsStream>>(std::move(socket), ctx, ctx.web->tls->get())
              ->start();
        } else {
          std::make_shared<Session<PlainStream>>(std::move(socket), ctx, nullptr)->start();
        }
      }
    } catch (const std::exception& e) {
      log::debug("http accept failed", {{"error", e.what()}});
    }
    do_accept();
  }
};

Server::Server(ServerOptions options, MetricsProvider provider)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(provider))) {
  bind_acceptor(impl_->acceptor, impl_->ioc, impl_->ctx.options.listen_address);
  const auto local = impl_->acceptor.local_endpoint();
  impl_->bound_port = local.port();
  impl_->bound_address = endpoint_string(local);
}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->bound_port; }

int Server::run(bool handle_signals) {
  Impl& im = *impl_;
  if (im.stop_requested.load()) return 0;
  im.ioc.restart();
  // stop() may have run between the check above and restart(), which clears its effect.
  if (im.stop_requested.load()) return 0;
  im.stop_signal = 0;
  // Asio sets SIGHUP back to SIG_DFL (which kills) when the signal_set goes; put back what the
  // caller had (main ignores it until the server handles it).
  struct sigaction saved_hup {};
  ::sigaction(SIGHUP, nullptr, &saved_hup);
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(im.ioc, SIGINT, SIGTERM, SIGHUP);
    im.wait_for_signal(*signals);
  }
  if (!im.accepting) {
    im.accepting = true;
    im.do_accept();
  }
  log::info("listening",
            {{"address", im.bound_address}, {"tls", im.ctx.web->tls ? "true" : "false"}});
  im.ioc.run();
  if (signals) {
    signals.reset();
    ::sigaction(SIGHUP, &saved_hup, nullptr);
  }
  return im.stop_signal.load();
}

std::future<bool> Server::reload() {
  auto done = std::make_shared<std::promise<bool>>();
  std::future<bool> result = done->get_future();
  net::post(impl_->ioc, [im = impl_.get(), done] { done->set_value(im->reload_web_config()); });
  return result;
}

void Server::stop() {
  impl_->stop_requested = true;
  impl_->ioc.stop();
}

}  // namespace slurm_exporter::http
