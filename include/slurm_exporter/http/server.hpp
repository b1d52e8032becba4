// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slurm_exporter/http/listen_address.hpp"
#include "slurm_exporter/http/web_config.hpp"

namespace slurm_exporter::http {

/// The exposition text of one snapshot, shared by every scrape that serves it.
using MetricsBody = std::shared_ptr<const std::string>;

/// Asks for the current metrics. Called on the HTTP thread; the provider must call `done`
/// exactly once, from any thread, possibly before returning. It must not block. A null body
/// gives 503; an exception from the provider gives 503 too. `done` may be called after the
/// Server is gone (it is then ignored).
using MetricsProvider = std::function<void(std::function<void(MetricsBody)> done)>;

/// The answer of a PathHandler.
struct PathResponse {
  int status = 200;
  std::string content_type;
  std::string body;  ///< what GET sends; HEAD sends only its length
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Serves one extra path (the job trace endpoint): called on the HTTP thread, after TLS and
/// basic auth, with the method and the request body (bounded by max_body_bytes). Must not
/// block; an exception closes the connection.
using PathHandler = std::function<PathResponse(std::string_view method, std::string_view body)>;

/// Listening and connection limits. Defaults suit a Prometheus scraper on a controller.
struct ServerOptions {
  /// Go-style listen address: ":9092" (all interfaces), "127.0.0.1:9092", "[::1]:9092",
  /// "localhost:0" (port 0 binds an ephemeral port; see Server::port()).
  std::string listen_address = ":9092";
  /// Path that serves the metrics, e.g. "/metrics".
  std::string telemetry_path = "/metrics";
  /// Time to read one whole request (line + headers); slow clients are closed after it.
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout{60'000};
  /// Time to write one response. Also bounds the wait for the provider's `done`: without an
  /// answer by then the request gets 503 and the connection closes.
  std::chrono::milliseconds write_timeout{30'000};
  /// Limit on request line + headers, bytes; larger requests get 431 and the connection closes.
  std::size_t max_header_bytes = 8 * 1024;
  /// A path served by `handler` (every method; the query is ignored); empty = none.
  std::string handler_path;
  PathHandler handler;
  /// Limit on a request body, bytes (GET/HEAD carry none, a trace sample ~200); larger bodies
  /// get 413.
  std::size_t max_body_bytes = 4 * 1024;
  /// Connections served at once. A new connection beyond it closes a connection that waits
  /// (for a handshake, a request, between keep-alive requests or for its bcrypt check): one
  /// that has never had a request pass authentication (with basic auth off: never sent a whole
  /// request) if there is one, else one that has; of those, the longest-waiting one of the
  /// client holding the most connections. When every connection is busy answering, the new one
  /// is closed at once.
  std::size_t max_connections = 512;
  /// Connections one client may hold at once (an IPv4 address, or the /64 prefix of an IPv6
  /// address); 0 means max_connections / 4. A client's new connection beyond it closes that
  /// client's longest-waiting connection (unproven before proven, as above), else it is closed
  /// at once.
  std::size_t max_connections_per_client = 0;
  /// bcrypt checks queued or running at once (basic auth, for credentials not in the cache of
  /// recent successes); one client may hold a quarter of them (at least 1). A request beyond
  /// either limit is answered at once with 503 and `Retry-After: 1` and the connection closes.
  std::size_t max_auth_checks = 16;
  /// --web.config.file: TLS (the listener then serves TLS only; certificate files are re-read
  /// when they change, checked at most once a second on a new connection, and used once they
  /// look the same on two checks), basic auth on every path (401 with WWW-Authenticate
  /// otherwise) and extra response headers.
  WebConfig web;
  /// The file `web` was read from, re-read by reload() and SIGHUP; empty = nothing to reload.
  std::string web_config_file;
  /// --web.health-no-auth: /-/healthy and /-/ready answer without basic auth (probes of load
  /// balancers, systemd and Kubernetes carry no password). Off: the web config's auth applies.
  bool health_no_auth = false;
  /// /-/ready answers 200 when this returns true (a first poll has completed), else 503.
  /// Called on the HTTP thread; must not block. Empty: always ready.
  std::function<bool()> ready;
};

/// The HTTP side: a Boost.Beast server on its own io_context. Construction binds and listens
/// (throws ListenError with the address and the system's reason, ConfigError when the TLS
/// certificate or key cannot be loaded); run() serves until stop() or SIGINT/SIGTERM, and
/// reloads the web config on SIGHUP. Beast and Asio stay inside this class's implementation.
class Server {
 public:
  Server(ServerOptions options, MetricsProvider provider);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound TCP port (the real one when the address asked for port 0).
  std::uint16_t port() const;

  /// Serves on the calling thread until stop() is called or SIGINT/SIGTERM arrives
  /// (when `handle_signals`; SIGHUP then calls reload() and serving goes on, and when run()
  /// returns SIGHUP's disposition is what it was before). Returns the signal number that
  /// stopped it, or 0.
  /// Logs `msg=listening address=<host:port>` (IPv6 as `[addr]:port`) at info when it starts.
  /// Call it from one thread at a time; after stop() it returns at once.
  int run(bool handle_signals = true);

  /// Re-reads ServerOptions::web_config_file from any thread; the work runs on run()'s thread,
  /// so the future resolves only while run() serves. The new config (certificates, keys,
  /// client CA, users, headers) is loaded completely before it is used: new connections get
  /// its certificate, and every request from then on (also on open keep-alive connections) its
  /// users and headers; a connection keeps the certificate it was accepted with. On any error
  /// (unreadable or invalid file, a key that does not match, TLS switched on or off) the old
  /// config stays, `level=error msg="cannot reload web config, keeping the previous one"
  /// file=… err=…` is logged and the future is false. Without a file it logs that there is
  /// nothing to reload and is false.
  std::future<bool> reload();

  /// Stops run() from any thread, also before run() starts; in-flight responses are
  /// abandoned and open connections close when the Server is destroyed.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slurm_exporter::http
