// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <cstddef>
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
  /// The web config in use; replaced as a whole by a reload.
  std::shared_ptr<WebState> web;
  net::thread_pool* auth_pool = nullptr;  ///< runs bcrypt; set once a config has users
  /// The gzip form of the latest metrics body, compressed once per snapshot.
  GzipCache gzip;
};

/// Serves one accepted connection until it closes: TLS with `tls` when set, else plain HTTP.
/// Reads each request under the read/idle timeouts and limits of ctx.options, answers it
/// (route(), basic auth, the provider for metrics, gzip) and keeps the connection alive as the
/// client asks. The session keeps itself alive through its pending operations; it counts
/// itself in ctx.connections and is in ctx.waiting while it waits for a request. Never throws
/// from a completion handler: failures are logged at debug and close the connection.
void start_session(tcp::socket socket, Context& ctx, SslContext tls);

}  // namespace slurm_exporter::http::detail
