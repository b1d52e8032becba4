// SPDX-License-Identifier: GPL-2.0-or-later
// The session (src/http/session.cpp) seen from a socket: requests and responses, keep-alive,
// pipelining, limits, timeouts, eviction, basic auth and gzip, through a running Server.
#include "slurm_exporter/http/detail/session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/http_client.hpp"
#include "../support/running_server.hpp"
#include "../support/stderr_capture.hpp"
#include "slurm_exporter/http/compression.hpp"

namespace {

using namespace std::chrono_literals;
using slurm_exporter::http::MetricsBody;
using slurm_exporter::http::MetricsProvider;
using slurm_exporter::http::Server;
using slurm_exporter::http::ServerOptions;
using test_support::Client;
using test_support::fixed_provider;
using test_support::get;
using test_support::kMetricsText;
using test_support::metrics_body;
using test_support::RunningServer;
using test_support::serves_metrics;
using test_support::test_options;

}  // namespace

TEST_CASE("GET /metrics returns the provider's body", "[session]") {
  RunningServer s(test_options());
  REQUIRE(s.port() != 0);
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->header("Content-Length") == std::to_string(kMetricsText.size()));
  CHECK(r->body == kMetricsText);
}

TEST_CASE("GET /metrics with a query string is still metrics", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send(get("/metrics?collect[]=nodes")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
}

TEST_CASE("HEAD /metrics sends the GET Content-Length and no body", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send("HEAD /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  const std::string raw = c.read_to_eof();
  const auto end = raw.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(raw,
             Catch::Contains("Content-Length: " + std::to_string(kMetricsText.size()) + "\r\n"));
  CHECK_THAT(raw, Catch::Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  CHECK(raw.substr(end + 4).empty());
}

TEST_CASE("HEAD then GET on one connection stay in step", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + get("/metrics")));
  const auto head = c.read_response(/*head=*/true);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->header("Content-Type") == "text/html; charset=utf-8");
  CHECK(head->header("Content-Length") != "0");
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
}

TEST_CASE("the landing page, 404 and 405 are served", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());

  REQUIRE(c.send(get("/")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Content-Type") == "text/html; charset=utf-8");
  CHECK_THAT(r->body, Catch::Contains("<a href=\"/metrics\">"));

  REQUIRE(c.send(get("/nope")));
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(r->body == "404 page not found\n");

  REQUIRE(c.send("DELETE /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->header("Allow") == "GET, HEAD");
  CHECK(r->header("Content-Type") == "text/plain; charset=utf-8");
}

TEST_CASE("a request body is consumed so the next request still parses", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send("POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
                 get("/metrics")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->header("Allow") == "GET, HEAD");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
}

TEST_CASE("a body above max_body_bytes gets 413 and the connection closes", "[session]") {
  auto options = test_options();
  options.max_body_bytes = 16;
  RunningServer s(options);
  Client c(s.port());
  REQUIRE(
      c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x')));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body == "413 request entity too large: the body limit is 16 bytes\n");
  CHECK(r->header("Connection") == "close");
  CHECK(c.closed_within(3s));
}

TEST_CASE("keep-alive serves two requests on one connection", "[session]") {
  std::atomic<int> calls{0};
  RunningServer s(test_options(), [&calls](std::function<void(MetricsBody)> done) {
    ++calls;
    done(metrics_body());
  });
  Client c(s.port());
  for (int i = 0; i < 2; ++i) {
    REQUIRE(c.send(get("/metrics")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Connection") != "close");
    CHECK(r->body == kMetricsText);
  }
  CHECK(calls == 2);
}

TEST_CASE("pipelined requests get their responses in order", "[session]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send(get("/metrics") + get("/nope") + get("/metrics")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 404);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
}

TEST_CASE("Connection: close and HTTP/1.0 close after the response", "[session]") {
  RunningServer s(test_options());
  {
    Client c(s.port());
    REQUIRE(c.send(get("/metrics", "Connection: close\r\n")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Connection") == "close");
    CHECK(c.closed_within(3s));
  }
  {
    Client c(s.port());
    REQUIRE(c.send("GET /metrics HTTP/1.0\r\n\r\n"));
    const std::string raw = c.read_to_eof();
    CHECK_THAT(raw, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
    CHECK_THAT(raw, Catch::EndsWith(std::string(kMetricsText)));
  }
}

TEST_CASE("a provider that answers later from another thread is served", "[session]") {
  std::mutex mutex;
  std::vector<std::thread> workers;
  {
    RunningServer s(test_options(), [&](std::function<void(MetricsBody)> done) {
      const std::lock_guard lock(mutex);
      workers.emplace_back([done = std::move(done)] {
        std::this_thread::sleep_for(100ms);
        done(metrics_body());
      });
    });
    Client c(s.port());
    REQUIRE(c.send(get("/metrics") + get("/metrics")));
    for (int i = 0; i < 2; ++i) {
      const auto r = c.read_response();
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(r->body == kMetricsText);
    }
  }
  for (auto& w : workers) w.join();
  CHECK(workers.size() == 2);
}

TEST_CASE("a null metrics body gives 503", "[session]") {
  RunningServer s(test_options(), fixed_provider(nullptr));
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(r->body == "metrics not available\n");
}

TEST_CASE("a provider that throws gives 503 and the server goes on", "[session]") {
  std::atomic<bool> fail{true};
  RunningServer s(test_options(), [&fail](std::function<void(MetricsBody)> done) {
    if (fail.exchange(false)) throw std::runtime_error("boom");
    done(metrics_body());
  });
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(serves_metrics(s.port()));
}

TEST_CASE("a provider that never answers gives 503 after write_timeout", "[session]") {
  auto options = test_options();
  options.write_timeout = 300ms;
  std::mutex mutex;
  std::vector<std::function<void(MetricsBody)>> pending;
  {
    RunningServer s(options, [&](std::function<void(MetricsBody)> done) {
      const std::lock_guard lock(mutex);
      pending.push_back(std::move(done));
    });
    Client c(s.port());
    REQUIRE(c.send(get("/metrics")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->header("Connection") == "close");
    CHECK(r->body == "metrics not available\n");
    // The late answer must be ignored, not crash or write into a finished exchange.
    const std::lock_guard lock(mutex);
    REQUIRE(pending.size() == 1);
    pending.front()(metrics_body());
  }
  // And an answer after the server is gone is dropped too.
  pending.front()(metrics_body());
}

TEST_CASE("an oversized header gets 431 and the server keeps serving", "[session]") {
  auto options = test_options();
  options.max_header_bytes = 1024;
  RunningServer s(options);
  {
    Client c(s.port());
    REQUIRE(c.send(get("/metrics", "X-Big: " + std::string(16 * 1024, 'a') + "\r\n")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 431);
    CHECK(r->header("Connection") == "close");
    CHECK(c.closed_within(3s));
  }
  CHECK(serves_metrics(s.port()));
}

TEST_CASE("a malformed request gets 400 and the connection closes", "[session]") {
  RunningServer s(test_options());
  for (const std::string_view bad :
       {"GARBAGE\r\n\r\n", "GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/x.1\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n",
        "GET /metrics HTTP/0.9\r\n\r\n", "GET /metrics HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    INFO(bad);
    Client c(s.port());
    REQUIRE(c.send(bad));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->header("Connection") == "close");
    CHECK(c.closed_within(3s));
  }
  CHECK(serves_metrics(s.port()));
}

TEST_CASE("random bytes never take the server down", "[session]") {
  RunningServer s(test_options());
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20; ++round) {
    std::string junk(static_cast<std::size_t>(64 + round * 97), '\0');
    for (char& ch : junk) ch = static_cast<char>(byte(rng));
    Client c(s.port());
    c.send(junk);
    c.send("\r\n\r\n");
    const auto r = c.read_response();
    INFO("round " << round);
    if (r) CHECK(r->status == 400);
    CHECK(c.closed_within(3s));
  }
  CHECK(serves_metrics(s.port()));
}

TEST_CASE("a connection that sends nothing is closed after read_timeout", "[session]") {
  auto options = test_options();
  options.read_timeout = 300ms;
  options.idle_timeout = 10s;
  RunningServer s(options);
  Client c(s.port());
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.closed_within(3s));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
}

TEST_CASE("a request sent too slowly is closed after read_timeout", "[session]") {
  auto options = test_options();
  options.read_timeout = 300ms;
  RunningServer s(options);
  Client c(s.port());
  REQUIRE(c.send("GET /metrics HTTP/1.1\r\n"));
  CHECK(c.closed_within(3s));
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout", "[session]") {
  auto options = test_options();
  options.read_timeout = 10s;
  options.idle_timeout = 300ms;
  RunningServer s(options);
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.closed_within(3s));
}

TEST_CASE("at max_connections a new connection closes a silent one before the scraper's idle one",
          "[session]") {
  auto options = test_options();
  options.max_connections = 3;
  options.max_connections_per_client = 100;
  options.idle_timeout = 20s;
  options.read_timeout = 20s;
  RunningServer s(options);
  Client scraper(s.port());
  REQUIRE(scraper.send(get("/metrics")));
  REQUIRE(scraper.read_response());  // now idle between keep-alive requests: waited longest
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 10; ++i) {
    flood.push_back(std::make_unique<Client>(s.port(), 5s, 0x7F000002));  // 127.0.0.2, silent
    std::this_thread::sleep_for(20ms);
  }
  // Each silent connection beyond the limit closed the oldest silent one, never the scraper's.
  CHECK(flood.front()->closed_within(1s));
  REQUIRE(scraper.send(get("/metrics")));
  const auto r = scraper.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  // With only proven connections left to close, the oldest of them goes.
  flood.clear();
  std::this_thread::sleep_for(100ms);
  Client second(s.port());
  REQUIRE(second.send(get("/metrics")));
  REQUIRE(second.read_response());
  Client third(s.port());
  REQUIRE(third.send(get("/metrics")));
  REQUIRE(third.read_response());
  Client fourth(s.port(), 5s, 0x7F000002);
  CHECK(scraper.closed_within(1s));
}

TEST_CASE("at max_connections with every connection busy a new one is closed at once",
          "[session]") {
  auto options = test_options();
  options.max_connections = 1;
  options.write_timeout = 10s;
  // A provider that never answers: the first connection stays busy awaiting it.
  RunningServer s(options, [](std::function<void(MetricsBody)>) {});
  Client busy(s.port());
  REQUIRE(busy.send(get("/metrics")));
  std::this_thread::sleep_for(200ms);
  Client second(s.port());
  CHECK(second.closed_within(3s));
}

TEST_CASE("basic auth: 401 with WWW-Authenticate unless the credentials are right", "[session]") {
  ServerOptions o = test_options();
  // bob:pw
  o.web.basic_auth_users = {
      {"bob", "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"}};
  o.web.headers = {{"X-Frame-Options", "deny"}};
  RunningServer s(std::move(o));
  for (const std::string target : {"/metrics", "/", "/nope"}) {
    for (const std::string auth : {"", "Authorization: Basic Ym9iOnB4\r\n"}) {
      Client c(s.port());
      REQUIRE(c.send(get(target, auth)));
      const auto r = c.read_response();
      REQUIRE(r);
      CHECK(r->status == 401);
      CHECK(r->header("WWW-Authenticate") == "Basic realm=\"prometheus-slurm-exporter\"");
      CHECK(r->header("X-Frame-Options") == "deny");
      CHECK(r->body.find("metrics") == std::string::npos);
    }
  }
  Client c(s.port());
  REQUIRE(c.send(get("/metrics", "Authorization: Basic Ym9iOnB3\r\n")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
  CHECK(r->header("X-Frame-Options") == "deny");
  CHECK(r->header("WWW-Authenticate") == "<absent>");
}

TEST_CASE("a slow bcrypt check does not hold up other connections", "[session]") {
  ServerOptions o = test_options();
  // cost 13: hundreds of milliseconds per check, run off the I/O thread.
  o.web.basic_auth_users = {
      {"slow", "$2y$13$1KtKktcVkG/eRSxN2F0T9uzHe8GTQb01G6/qLM2txHg3TDJK0ezNu"}};
  RunningServer s(std::move(o));
  // bcrypt at cost 13 takes ~0.5 s alone, but several seconds on a loaded 2-core machine running
  // the sanitized suite: this client waits longer than the default 5 s.
  Client slow(s.port(), 60s);
  REQUIRE(slow.send(get("/metrics", "Authorization: Basic c2xvdzpwdw==\r\n")));  // slow:pw
  std::this_thread::sleep_for(20ms);  // let the server start the check
  Client quick(s.port());
  REQUIRE(quick.send(get("/metrics")));
  const auto q = quick.read_response();
  const auto quick_done = std::chrono::steady_clock::now();
  REQUIRE(q);
  CHECK(q->status == 401);
  const auto r = slow.read_response();
  const auto slow_done = std::chrono::steady_clock::now();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
  // Order, not speed: the unauthenticated request was answered while bcrypt (about 0.5 s at
  // cost 13) was still running; served one after the other both would arrive together.
  CHECK(slow_done - quick_done > 100ms);
}

namespace {
// bcrypt cost 13 for "slow" (password "pw"): each check takes hundreds of milliseconds, so the
// checks of a test are still queued or running while it looks.
const std::string kSlowHash = "$2y$13$1KtKktcVkG/eRSxN2F0T9uzHe8GTQb01G6/qLM2txHg3TDJK0ezNu";
const std::string kSlowWrong = "Authorization: Basic c2xvdzp3cm9uZw==\r\n";   // slow:wrong
const std::string kSlowWrong2 = "Authorization: Basic c2xvdzp3cm9uZzI=\r\n";  // slow:wrong2
}  // namespace

TEST_CASE("a connection waiting for its bcrypt check is closed for a new connection",
          "[session][auth]") {
  ServerOptions o = test_options();
  o.max_connections = 2;
  o.max_connections_per_client = 2;
  o.web.basic_auth_users = {{"slow", kSlowHash}};
  RunningServer s(std::move(o));
  Client a(s.port(), 60s);
  REQUIRE(a.send(get("/metrics", kSlowWrong)));
  std::this_thread::sleep_for(50ms);
  Client b(s.port(), 60s);
  REQUIRE(b.send(get("/metrics", kSlowWrong2)));
  std::this_thread::sleep_for(100ms);
  // Both wait on bcrypt; a new connection (no credentials: 401 without bcrypt) is still
  // answered, and the connection that has waited longest is closed for it.
  Client c(s.port(), 5s, 0x7F000002);
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(a.closed_within(1s));
}

TEST_CASE("bcrypt checks beyond max_auth_checks are answered 503 at once", "[session][auth]") {
  ServerOptions o = test_options();
  o.max_auth_checks = 4;  // one per client
  o.web.basic_auth_users = {{"slow", kSlowHash}};
  RunningServer s(std::move(o));
  Client first(s.port(), 60s);
  REQUIRE(first.send(get("/metrics", kSlowWrong)));
  std::this_thread::sleep_for(100ms);
  // The same client's second check would queue behind the first: refused at once instead.
  Client second(s.port(), 60s);
  REQUIRE(second.send(get("/metrics", kSlowWrong2)));
  const auto r = second.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Retry-After") == "1");
  CHECK(r->header("Connection") == "close");
  // Another client has its own share of the queue and gets its real answer.
  Client other(s.port(), 60s, 0x7F000002);
  REQUIRE(other.send(get("/metrics", kSlowWrong)));
  const auto o401 = other.read_response();
  REQUIRE(o401);
  CHECK(o401->status == 401);
  const auto f = first.read_response();
  REQUIRE(f);
  CHECK(f->status == 401);
  // Pipelined wrong passwords on one connection queue one at a time: all answered 401.
  Client pipelined(s.port(), 60s, 0x7F000003);
  REQUIRE(pipelined.send(get("/metrics", kSlowWrong) + get("/metrics", kSlowWrong2)));
  for (int i = 0; i < 2; ++i) {
    const auto p = pipelined.read_response();
    REQUIRE(p);
    CHECK(p->status == 401);
  }
}

TEST_CASE("one client's connections are capped; other clients are still served", "[session]") {
  auto options = test_options();
  options.max_connections = 100;
  options.max_connections_per_client = 2;
  options.write_timeout = 10s;
  options.read_timeout = 20s;
  // A provider that never answers: /metrics requests stay busy.
  RunningServer s(options, [](std::function<void(MetricsBody)>) {});
  Client busy1(s.port());
  Client busy2(s.port());
  REQUIRE(busy1.send(get("/metrics")));
  REQUIRE(busy2.send(get("/metrics")));
  std::this_thread::sleep_for(200ms);
  Client third(s.port());  // the same client, nothing of it waits: closed at once
  CHECK(third.closed_within(1s));
  Client other(s.port(), 5s, 0x7F000002);
  REQUIRE(other.send(get("/")));
  const auto r = other.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  // At its cap a client's new connection closes that client's longest-waiting one.
  Client silent1(s.port(), 5s, 0x7F000003);
  std::this_thread::sleep_for(50ms);
  Client silent2(s.port(), 5s, 0x7F000003);
  std::this_thread::sleep_for(50ms);
  Client silent3(s.port(), 5s, 0x7F000003);
  CHECK(silent1.closed_within(1s));
  REQUIRE(silent3.send(get("/")));
  const auto r3 = silent3.read_response();
  REQUIRE(r3);
  CHECK(r3->status == 200);
}

TEST_CASE("a provider that throws something not derived from std::exception gives 503",
          "[session]") {
  std::atomic<int> calls{0};
  std::string log;
  log = test_support::capture_stderr([&] {
    RunningServer s(test_options(), [&calls](std::function<void(MetricsBody)> done) {
      if (++calls <= 2) throw 42;
      done(metrics_body());
    });
    for (int i = 0; i < 2; ++i) {
      Client c(s.port());
      REQUIRE(c.send(get("/metrics")));
      const auto r = c.read_response();
      REQUIRE(r);
      CHECK(r->status == 503);
    }
    CHECK(serves_metrics(s.port()));
  });
  // Logged at error once, not once per request.
  CHECK_THAT(log, Catch::Contains("level=error msg=\"metrics provider failed\""));
  CHECK(log.find("level=error") == log.rfind("level=error"));
}

TEST_CASE("a throwing bcrypt check counts as a failure and never escapes", "[session][auth]") {
  using slurm_exporter::http::detail::run_auth_check;
  std::atomic<bool> logged{false};
  const std::string log = test_support::capture_stderr([&] {
    CHECK_FALSE(run_auth_check([]() -> bool { throw std::runtime_error("crypt broke"); }, logged));
    CHECK_FALSE(run_auth_check([]() -> bool { throw 7; }, logged));
    CHECK(run_auth_check([] { return true; }, logged));
  });
  CHECK_THAT(log, Catch::Contains("crypt broke"));
  CHECK(log.find("level=error") == log.rfind("level=error"));
}

TEST_CASE("gzip: a client with and without Accept-Encoding gets the same decoded body",
          "[server][gzip]") {
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "slurm_node_cpus{node=\"n" + std::to_string(i) + "\"} 4\n";
  RunningServer s(test_options(), fixed_provider(std::make_shared<const std::string>(big)));
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto plain = c.read_response();
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(plain->header("Content-Encoding") == "<absent>");
  CHECK(plain->header("Vary") == "Accept, Accept-Encoding");
  CHECK(plain->body == big);

  REQUIRE(c.send(get("/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n")));
  const auto gz = c.read_response();
  REQUIRE(gz);
  CHECK(gz->status == 200);
  CHECK(gz->header("Content-Encoding") == "gzip");
  CHECK(gz->header("Vary") == "Accept, Accept-Encoding");
  CHECK(gz->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(gz->body.size() < big.size() / 4);
  CHECK(slurm_exporter::http::gzip_decompress(gz->body) == plain->body);

  // gzip;q=0 is a refusal.
  REQUIRE(c.send(get("/metrics", "Accept-Encoding: gzip;q=0\r\n")));
  const auto refused = c.read_response();
  REQUIRE(refused);
  CHECK(refused->header("Content-Encoding") == "<absent>");
  CHECK(refused->body == big);
}

TEST_CASE("gzip: HEAD announces the gzip GET's length and encoding, with no body",
          "[server][gzip]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send(get("/metrics", "Accept-Encoding: gzip\r\n")));
  const auto g = c.read_response();
  REQUIRE(g);
  REQUIRE(g->header("Content-Encoding") == "gzip");
  REQUIRE(c.send("HEAD /metrics HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n" +
                 get("/metrics")));
  const auto h = c.read_response(/*head=*/true);
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(h->header("Content-Encoding") == "gzip");
  CHECK(h->header("Vary") == "Accept, Accept-Encoding");
  CHECK(h->header("Content-Length") == std::to_string(g->body.size()));
  // The next response on the connection parses: HEAD sent no body.
  const auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->body == kMetricsText);
}

TEST_CASE("gzip: a new snapshot is compressed anew, not served from the old one",
          "[server][gzip]") {
  std::mutex m;
  auto current = std::make_shared<const std::string>("slurm_up 1\n");
  MetricsProvider provider = [&](std::function<void(MetricsBody)> done) {
    MetricsBody body;
    {
      std::lock_guard lock(m);
      body = current;
    }
    done(body);
  };
  RunningServer s(test_options(), provider);
  Client c(s.port());
  for (int round = 0; round < 3; ++round) {
    const std::string text = "slurm_up 1\nround " + std::to_string(round) + "\n";
    {
      std::lock_guard lock(m);
      current = std::make_shared<const std::string>(text);
    }
    for (int i = 0; i < 2; ++i) {
      REQUIRE(c.send(get("/metrics", "Accept-Encoding: gzip\r\n")));
      const auto r = c.read_response();
      REQUIRE(r);
      CHECK(r->header("Content-Encoding") == "gzip");
      CHECK(slurm_exporter::http::gzip_decompress(r->body) == text);
    }
  }
}

TEST_CASE("OpenMetrics: served when the scraper prefers it, gzip applies, text stays the default",
          "[server][openmetrics]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send(get("/metrics",
                     "Accept: application/openmetrics-text;version=1.0.0,"
                     "text/plain;version=0.0.4;q=0.5\r\n")));
  const auto om = c.read_response();
  REQUIRE(om);
  CHECK(om->status == 200);
  CHECK(om->header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(om->header("Vary") == "Accept, Accept-Encoding");
  CHECK(om->body == std::string(kMetricsText) + "# EOF\n");
  REQUIRE(c.send(get("/metrics",
                     "Accept: application/openmetrics-text\r\n"
                     "Accept-Encoding: gzip\r\n")));
  const auto gz = c.read_response();
  REQUIRE(gz);
  CHECK(gz->header("Content-Encoding") == "gzip");
  CHECK(slurm_exporter::http::gzip_decompress(gz->body) == om->body);
  REQUIRE(c.send(get("/metrics")));
  const auto text = c.read_response();
  REQUIRE(text);
  CHECK(text->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(text->body == kMetricsText);
}
