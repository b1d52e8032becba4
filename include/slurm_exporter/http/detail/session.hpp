// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/http/detail/asio.hpp"
#include "slurm_exporter/http/detail/connections.hpp"
#include "slurm_exporter/http/detail/tls_context.hpp"
#include "slurm_exporter/http/detail/web_state.hpp"
#include "slurm_exporter/http/server.hpp"

namespace slurm_exporter::http::detail {

/// What sessions share with the server; outlives every session (see Server::Impl). Touched on
/// the I/O thread only, except `connections` and the thread-safe `gate`.
struct Context {
  ServerOptions options;
  MetricsProvider provider;
  std::shared_ptr<Gate> gate;
  std::atomic<std::size_t> connections{0};
  WaitingList waiting;
  ClientCounts clients;      ///< open connections per client
  ClientCounts auth_checks;  ///< bcrypt checks queued or running per client
  std::size_t auth_checks_total = 0;
  /// A failure that repeats on every request is logged at error once per server, then at debug.
  std::atomic<bool> provider_failure_logged{false};
  std::atomic<bool> auth_failure_logged{false};
  /// The web config in use; replaced as a whole by a reload.
  std::shared_ptr<WebState> web;
  net::thread_pool* auth_pool = nullptr;  ///< runs bcrypt; set once a config has users
  /// The gzip form of the latest metrics body, compressed once per snapshot.
  GzipCache gzip;
  /// The OpenMetrics form of the latest metrics body (`openmetrics_of` is its source),
  /// converted once per snapshot, and its gzip form.
  MetricsBody openmetrics_of;
  MetricsBody openmetrics;
  GzipCache gzip_openmetrics;
};

/// Serves one accepted connection until it closes: TLS with `tls` when set, else plain HTTP.
/// Reads each request under the read/idle timeouts and limits of ctx.options, answers it
/// (route(), basic auth, the provider for metrics, gzip) and keeps the connection alive as the
/// client asks. The session keeps itself alive through its pending operations; it counts
/// itself in ctx.connections and is in ctx.waiting while it waits for a request. Never throws
/// from a completion handler: failures are logged at debug and close the connection.
void start_session(tcp::socket socket, Context& ctx, SslContext tls);

/// The per-client connection cap of `options` (max_connections_per_client, or its default).
std::size_t connections_per_client(const ServerOptions& options);

/// Runs `check` (a bcrypt check on the auth pool) and returns its answer; an exception is
/// logged (at error when `logged` was false, then at debug; sets it) and counts as false.
/// Never throws.
bool run_auth_check(const std::function<bool()>& check, std::atomic<bool>& logged) noexcept;

}  // namespace slurm_exporter::http::detail
