// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/router.hpp"

#include <string>
#include <string_view>

namespace slurm_exporter::http {
namespace {

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kTextHtml = "text/html; charset=utf-8";

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

RouteResult plain(int status, std::string body, bool head_only) {
  RouteResult r;
  r.status = status;
  r.content_type = kTextPlain;
  r.body = std::move(body);
  r.head_only = head_only;
  return r;
}

std::string landing_page(std::string_view telemetry_path) {
  const std::string path = html_escape(telemetry_path);
  std::string page;
  page.append(
      "<!DOCTYPE html>\n"
      "<html>\n"
      "<head><meta charset=\"utf-8\"><title>Slurm Exporter</title></head>\n"
      "<body>\n"
      "<h1>Slurm Exporter</h1>\n"
      "<p><a href=\"");
  page.append(path);
  page.append("\">Metrics</a></p>\n</body>\n</html>\n");
  return page;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

}  // namespace

bool is_health_target(std::string_view target) {
  const std::string_view path = path_of(target);
  return path == kHealthyPath || path == kReadyPath;
}

RouteResult route(std::string_view method, std::string_view target,
                  std::string_view telemetry_path) {
  // Only origin-form ("/path?query") is meaningful here; absolute-form, authority-form and
  // asterisk-form (OPTIONS *) are rejected before looking at the method.
  if (target.empty() || target.front() != '/') {
    return plain(400, "400 bad request\n", false);
  }
  // Methods are case-sensitive (RFC 9110), so "get" is not GET.
  const bool is_head = method == "HEAD";
  if (method != "GET" && !is_head) {
    RouteResult r = plain(405, "405 method not allowed\n", false);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view path = path_of(target);
  if (path == telemetry_path) {
    RouteResult r;
    r.route = Route::kMetrics;
    r.content_type = kMetricsContentType;
    r.head_only = is_head;
    return r;
  }
  if (path == "/") {
    RouteResult r;
    r.status = 200;
    r.content_type = kTextHtml;
    r.body = landing_page(telemetry_path);
    r.head_only = is_head;
    return r;
  }
  // Prometheus' own wording; the telemetry path wins should it be set to one of these.
  if (path == kHealthyPath) return plain(200, "Slurm Exporter is Healthy.\n", is_head);
  if (path == kReadyPath) {
    RouteResult r = plain(200, "Slurm Exporter is Ready.\n", is_head);
    r.route = Route::kReady;
    return r;
  }
  return plain(404, "404 page not found\n", is_head);
}

}  // namespace slurm_exporter::http
