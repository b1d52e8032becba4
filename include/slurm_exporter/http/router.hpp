#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter::http {

/// What a request asks for, decided without sockets so it can be unit-tested.
enum class Route {
  kMetrics,           ///< GET/HEAD on the telemetry path: serve the metrics body
  kStatic,            ///< a complete response is in RouteResult (landing page, 404, 405, 400)
};

/// A response that needs no metrics, or the decision to serve metrics.
struct RouteResult {
  Route route = Route::kStatic;
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers, e.g. Allow
  bool head_only = false;  ///< HEAD: send headers (with the GET Content-Length) and no body
};

/// Maps method + target (path and optional query) to a route. Pure.
/// `/` gives a small HTML landing page linking to `telemetry_path`; other paths 404;
/// methods other than GET/HEAD give 405 with `Allow: GET, HEAD`.
RouteResult route(std::string_view method, std::string_view target,
                  std::string_view telemetry_path);

}  // namespace slurm_exporter::http
