// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter::http {

/// Content-Type of the metrics response (Prometheus text exposition format 0.0.4).
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

/// What a request asks for, decided without sockets so it can be unit-tested.
enum class Route {
  kMetrics,  ///< GET/HEAD on the telemetry path: serve the metrics body
  kStatic,   ///< a complete response is in RouteResult (landing page, 404, 405, 400)
  kReady,    ///< GET/HEAD /-/ready: 200 once a first poll has completed, else 503
};

/// The health paths: `/-/healthy` (the process serves: always 200) and `/-/ready`.
inline constexpr std::string_view kHealthyPath = "/-/healthy";
inline constexpr std::string_view kReadyPath = "/-/ready";

/// Whether `target` (path and optional query) is one of the health paths.
bool is_health_target(std::string_view target);

/// A response that needs no metrics, or the decision to serve metrics.
struct RouteResult {
  Route route = Route::kStatic;
  int status = 200;
  std::string content_type;  ///< kMetricsContentType for kMetrics
  /// kStatic: what GET would send, also for HEAD (the server sends only its length).
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, e.g. Allow
  bool head_only = false;  ///< HEAD: send headers (with the GET Content-Length) and no body
};

/// Maps method + target (path and optional query) to a route. Pure, never throws but bad_alloc.
/// GET/HEAD on `telemetry_path` (query ignored) give kMetrics; `/` gives a small HTML landing
/// page linking to `telemetry_path`; `/-/healthy` 200, `/-/ready` kReady; other paths 404; methods
/// other than GET/HEAD (case-sensitive) give 405 with `Allow: GET, HEAD`; a target not in
/// origin-form (not starting with '/') gives 400.
RouteResult route(std::string_view method, std::string_view target,
                  std::string_view telemetry_path);

}  // namespace slurm_exporter::http
