// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/router.hpp"

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace {

using slurm_exporter::http::kMetricsContentType;
using slurm_exporter::http::Route;
using slurm_exporter::http::route;
using slurm_exporter::http::RouteResult;

std::string header(const RouteResult& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("GET on the telemetry path serves metrics", "[router]") {
  const auto r = route("GET", "/metrics", "/metrics");
  CHECK(r.route == Route::kMetrics);
  CHECK(r.status == 200);
  CHECK(r.content_type == kMetricsContentType);
  CHECK_FALSE(r.head_only);
}

TEST_CASE("HEAD on the telemetry path serves metrics headers only", "[router]") {
  const auto r = route("HEAD", "/metrics", "/metrics");
  CHECK(r.route == Route::kMetrics);
  CHECK(r.head_only);
}

TEST_CASE("the query string does not change the route", "[router]") {
  CHECK(route("GET", "/metrics?foo=1", "/metrics").route == Route::kMetrics);
  CHECK(route("GET", "/metrics?", "/metrics").route == Route::kMetrics);
  CHECK(route("HEAD", "/metrics?a=b&c=d", "/metrics").route == Route::kMetrics);
  CHECK(route("GET", "/?x=1", "/metrics").status == 200);
  CHECK(route("GET", "/other?x=/metrics", "/metrics").status == 404);
}

TEST_CASE("a custom telemetry path is honoured and the default one is not", "[router]") {
  CHECK(route("GET", "/slurm/metrics", "/slurm/metrics").route == Route::kMetrics);
  const auto r = route("GET", "/metrics", "/slurm/metrics");
  CHECK(r.route == Route::kStatic);
  CHECK(r.status == 404);
}

TEST_CASE("paths match exactly", "[router]") {
  CHECK(route("GET", "/metrics/", "/metrics").status == 404);
  CHECK(route("GET", "/metricsx", "/metrics").status == 404);
  CHECK(route("GET", "/METRICS", "/metrics").status == 404);
  CHECK(route("GET", "//metrics", "/metrics").status == 404);
}

TEST_CASE("the landing page links to the telemetry path", "[router]") {
  const auto r = route("GET", "/", "/metrics");
  CHECK(r.route == Route::kStatic);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  CHECK_FALSE(r.head_only);
  CHECK_THAT(r.body, Catch::Contains("<title>Slurm Exporter</title>"));
  CHECK_THAT(r.body, Catch::Contains("<a href=\"/metrics\">"));
  CHECK(r.headers.empty());
}

TEST_CASE("HEAD / keeps the GET body for Content-Length and asks for no body", "[router]") {
  const auto get = route("GET", "/", "/metrics");
  const auto head = route("HEAD", "/", "/metrics");
  CHECK(head.status == 200);
  CHECK(head.head_only);
  CHECK(head.content_type == get.content_type);
  CHECK(head.body == get.body);
}

TEST_CASE("the landing page HTML-escapes an odd telemetry path", "[router]") {
  const auto r = route("GET", "/", "/m\"><script>alert('x')</script>&");
  CHECK_THAT(
      r.body,
      Catch::Contains("href=\"/m&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\""));
  CHECK_THAT(r.body, !Catch::Contains("<script>"));
}

TEST_CASE("unknown paths give 404", "[router]") {
  const auto r = route("GET", "/nope", "/metrics");
  CHECK(r.route == Route::kStatic);
  CHECK(r.status == 404);
  CHECK(r.content_type == "text/plain; charset=utf-8");
  CHECK(r.body == "404 page not found\n");
  CHECK_FALSE(r.head_only);
}

TEST_CASE("HEAD on an unknown path gives 404 without a body", "[router]") {
  const auto r = route("HEAD", "/nope", "/metrics");
  CHECK(r.status == 404);
  CHECK(r.head_only);
  CHECK(r.body == "404 page not found\n");  // its length is the Content-Length
}

TEST_CASE("methods other than GET and HEAD give 405 with Allow", "[router]") {
  for (const std::string_view method :
       {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", "head", "FOO"}) {
    for (const std::string_view target : {"/metrics", "/", "/nope", "/metrics?x=1"}) {
      INFO(method << " " << target);
      const auto r = route(method, target, "/metrics");
      CHECK(r.route == Route::kStatic);
      CHECK(r.status == 405);
      CHECK(header(r, "Allow") == "GET, HEAD");
      CHECK(r.content_type == "text/plain; charset=utf-8");
      CHECK_FALSE(r.body.empty());
      CHECK_FALSE(r.head_only);
    }
  }
}

TEST_CASE("only 405 carries an Allow header", "[router]") {
  CHECK(header(route("GET", "/metrics", "/metrics"), "Allow") == "<absent>");
  CHECK(header(route("GET", "/nope", "/metrics"), "Allow") == "<absent>");
}

TEST_CASE("a target that is not origin-form gives 400", "[router]") {
  for (const std::string_view target :
       {"", "*", "metrics", "http://example.com/metrics", "example.com:80", "?x=1"}) {
    INFO("target: " << target);
    const auto r = route("GET", target, "/metrics");
    CHECK(r.route == Route::kStatic);
    CHECK(r.status == 400);
    CHECK(r.content_type == "text/plain; charset=utf-8");
    CHECK_FALSE(r.body.empty());
  }
  CHECK(route("OPTIONS", "*", "/metrics").status == 400);
}

TEST_CASE("/-/healthy answers 200, /-/ready is decided by the server", "[router][health]") {
  const auto h = route("GET", "/-/healthy", "/metrics");
  CHECK(h.route == Route::kStatic);
  CHECK(h.status == 200);
  CHECK(h.body == "Slurm Exporter is Healthy.\n");
  const auto r = route("HEAD", "/-/ready?x=1", "/metrics");
  CHECK(r.route == Route::kReady);
  CHECK(r.head_only);
  CHECK(route("GET", "/-/healthy/", "/metrics").status == 404);
  CHECK(route("POST", "/-/ready", "/metrics").status == 405);
  CHECK(slurm_exporter::http::is_health_target("/-/ready?probe"));
  CHECK_FALSE(slurm_exporter::http::is_health_target("/-/readyx"));
  CHECK_FALSE(slurm_exporter::http::is_health_target("/metrics"));
}
