// SPDX-License-Identifier: GPL-2.0-or-later
// The Server: run/stop, signals, listening, the web config at start and on reload.
#include "slurm_exporter/http/server.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <catch2/catch.hpp>

#include "../support/http_client.hpp"
#include "../support/running_server.hpp"
#include "../support/stderr_capture.hpp"
#include "../support/temp_dir.hpp"
#include "slurm_exporter/http/web_config.hpp"

namespace {

using namespace std::chrono_literals;
using slurm_exporter::http::ListenError;
using slurm_exporter::http::MetricsBody;
using slurm_exporter::http::MetricsProvider;
using slurm_exporter::http::Server;
using slurm_exporter::http::ServerOptions;
using test_support::capture_stderr;
using test_support::Client;
using test_support::fixed_provider;
using test_support::get;
using test_support::kMetricsText;
using test_support::metrics_body;
using test_support::RunningServer;
using test_support::serves_metrics;
using test_support::test_options;

}  // namespace

TEST_CASE("run() logs the bound address as msg=listening address=host:port", "[server]") {
  std::uint16_t port = 0;
  bool served = false;
  const std::string text = capture_stderr([&] {
    RunningServer s(test_options());
    port = s.port();
    served = serves_metrics(port);
  });
  CHECK(served);
  CHECK_THAT(text, Catch::Contains(" level=info msg=listening address=127.0.0.1:" +
                                   std::to_string(port) + " tls=false\n"));
}

TEST_CASE("stop() makes run() return 0", "[server]") {
  RunningServer s(test_options());
  REQUIRE(serves_metrics(s.port()));
  s.server().stop();
  CHECK(s.join() == 0);
}

TEST_CASE("stop() before run() makes run() return at once", "[server]") {
  Server server(test_options(), fixed_provider(metrics_body()));
  server.stop();
  CHECK(server.run(false) == 0);
}

TEST_CASE("SIGTERM stops run() when it handles signals", "[server]") {
  RunningServer s(test_options(), fixed_provider(metrics_body()), /*handle_signals=*/true);
  // A served request proves run() has installed its signal handlers.
  REQUIRE(serves_metrics(s.port()));
  ::kill(::getpid(), SIGTERM);
  CHECK(s.join() == SIGTERM);
}

TEST_CASE("a second server on a bound port throws ListenError naming the address", "[server]") {
  RunningServer first(test_options());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  auto options = test_options();
  options.listen_address = address;
  try {
    Server second(options, fixed_provider(metrics_body()));
    FAIL("no ListenError for " << address);
  } catch (const ListenError& e) {
    CHECK_THAT(e.what(), Catch::Contains(address) && Catch::Contains("in use"));
    CHECK_THAT(e.what(), Catch::StartsWith("cannot listen on " + address + ": "));
  }
  CHECK(serves_metrics(first.port()));
}

TEST_CASE("malformed listen addresses throw ListenError", "[server]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"foo", "invalid listen address \"foo\": missing port"},
      {"", "invalid listen address \"\": missing port"},
      {"127.0.0.1", "invalid listen address \"127.0.0.1\": missing port"},
      {"127.0.0.1:", "invalid listen address \"127.0.0.1:\": missing port"},
      {"127.0.0.1:http", "invalid listen address \"127.0.0.1:http\": invalid port \"http\""},
      {"127.0.0.1:-1", "invalid listen address \"127.0.0.1:-1\": invalid port \"-1\""},
      {"127.0.0.1:65536",
       "invalid listen address \"127.0.0.1:65536\": port out of range \"65536\""},
      {"::1:9092", "invalid listen address \"::1:9092\": too many colons"},
      {"[::1]", "invalid listen address \"[::1]\": missing port"},
      {"[::1:9092", "invalid listen address \"[::1:9092\": missing ']'"},
      {"[::1]9092", "invalid listen address \"[::1]9092\": unexpected characters after ']'"},
      {"[]:9092", "invalid listen address \"[]:9092\": empty IPv6 address"},
  };
  for (const auto& [address, message] : cases) {
    INFO("address: " << address);
    auto options = test_options();
    options.listen_address = address;
    std::string what = "<no error>";
    try {
      Server server(options, fixed_provider(metrics_body()));
    } catch (const ListenError& e) {
      what = e.what();
    }
    CHECK_THAT(what, Catch::StartsWith(message));
  }
}

TEST_CASE("an address that is not local throws ListenError with the system's reason", "[server]") {
  auto options = test_options();
  options.listen_address = "192.0.2.1:0";  // TEST-NET-1, never assigned to this host
  try {
    Server server(options, fixed_provider(metrics_body()));
    FAIL("no ListenError");
  } catch (const ListenError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("cannot listen on 192.0.2.1:0: "));
    CHECK(std::string_view(e.what()).size() >
          std::string_view("cannot listen on 192.0.2.1:0: ").size());
  }
}

TEST_CASE("a hostname is resolved", "[server]") {
  auto options = test_options();
  options.listen_address = "localhost:0";
  RunningServer s(options);
  CHECK(s.port() != 0);
  CHECK(serves_metrics(s.port()));  // IPv4 is preferred, so 127.0.0.1 answers
}

TEST_CASE("\":port\" listens on all interfaces", "[server]") {
  auto options = test_options();
  options.listen_address = ":0";
  RunningServer s(options);
  CHECK(s.port() != 0);
  CHECK(serves_metrics(s.port()));  // reachable over IPv4 loopback, dual-stack or not
}

TEST_CASE("a TLS config with a missing certificate throws ConfigError naming it", "[server]") {
  ServerOptions o = test_options();
  o.web.tls.emplace();
  o.web.tls->cert_file = "/nonexistent/server.crt";
  o.web.tls->key_file = "/nonexistent/server.key";
  CHECK_THROWS_WITH(Server(o, fixed_provider(metrics_body())),
                    "cannot read cert_file /nonexistent/server.crt: No such file or directory");
}

namespace {

constexpr std::string_view kBobHash =
    "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW";
constexpr std::string_view kAliceHash =
    "$2y$04$Q8z0JqGItRGhPzdvBJIdDe1PEQSoZFe50H19eW8LHGFtGETo4p0u6";
constexpr std::string_view kBob = "Authorization: Basic Ym9iOnB3\r\n";            // bob:pw
constexpr std::string_view kAlice = "Authorization: Basic YWxpY2U6c2VjcmV0\r\n";  // alice:secret

void write_file(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
  REQUIRE(std::fclose(f) == 0);
}

std::string users_yaml(std::string_view user, std::string_view hash, std::string_view header) {
  return "basic_auth_users:\n  " + std::string(user) + ": " + std::string(hash) +
         "\nhttp_server_config:\n  headers:\n    X-Frame-Options: " + std::string(header) + "\n";
}

/// A server whose web config comes from `file` (as main does it).
ServerOptions options_from(const std::string& file) {
  ServerOptions o = test_options();
  o.web = slurm_exporter::http::load_web_config(file);
  o.web_config_file = file;
  return o;
}

/// Status and X-Frame-Options of GET /metrics with `auth` on `c`.
std::pair<int, std::string> ask(Client& c, std::string_view auth) {
  REQUIRE(c.send(get("/metrics", auth)));
  const auto r = c.read_response();
  REQUIRE(r);
  return {r->status, r->header("X-Frame-Options")};
}

std::pair<int, std::string> ask(std::uint16_t port, std::string_view auth) {
  Client c(port);
  return ask(c, auth);
}

}  // namespace

TEST_CASE("reload() swaps users and headers at once; an open connection's next request follows",
          "[server][reload]") {
  test_support::TempDir dir("se_reload");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  RunningServer s(options_from(file));
  Client kept(s.port());
  CHECK(ask(kept, kBob) == std::pair<int, std::string>(200, "deny"));
  CHECK(ask(s.port(), kAlice).first == 401);

  write_file(file, users_yaml("alice", kAliceHash, "sameorigin"));
  CHECK(s.server().reload().get());
  CHECK(ask(s.port(), kAlice) == std::pair<int, std::string>(200, "sameorigin"));
  CHECK(ask(s.port(), kBob) == std::pair<int, std::string>(401, "sameorigin"));
  // The connection opened before the reload stays open; a removed user loses access on it too.
  CHECK(ask(kept, kBob).first == 401);
  CHECK(ask(kept, kAlice) == std::pair<int, std::string>(200, "sameorigin"));
}

TEST_CASE("a broken web config on reload keeps the old one and logs the file and reason",
          "[server][reload]") {
  test_support::TempDir dir("se_reload");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  RunningServer s(options_from(file));
  REQUIRE(ask(s.port(), kBob).first == 200);

  // A valid first half (a new user) with an error after it: nothing of it may apply.
  write_file(file, users_yaml("alice", kAliceHash, "sameorigin") + "bogus: 1\n");
  bool reloaded = true;
  const std::string log = capture_stderr([&] { reloaded = s.server().reload().get(); });
  CHECK_FALSE(reloaded);
  CHECK_THAT(log, Catch::Contains("level=error msg=\"cannot reload web config, keeping the "
                                  "previous one\" file=" +
                                  file));
  CHECK_THAT(log, Catch::Contains(file + ":6: unknown key"));
  CHECK(ask(s.port(), kBob) == std::pair<int, std::string>(200, "deny"));
  CHECK(ask(s.port(), kAlice).first == 401);

  // A file that has gone away is an error too.
  std::remove(file.c_str());
  CHECK_FALSE(s.server().reload().get());
  CHECK(ask(s.port(), kBob).first == 200);
}

TEST_CASE("reload() refuses to switch a plain listener to TLS", "[server][reload]") {
  test_support::TempDir dir("se_reload");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  RunningServer s(options_from(file));
  write_file(dir.file("server.crt"), "x");
  write_file(dir.file("server.key"), "x");
  write_file(file, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  bool reloaded = true;
  const std::string log = capture_stderr([&] { reloaded = s.server().reload().get(); });
  CHECK_FALSE(reloaded);
  CHECK_THAT(log, Catch::Contains("switching between TLS and plain HTTP needs a restart"));
  CHECK(ask(s.port(), kBob).first == 200);
}

TEST_CASE("reload() without a web config file says there is nothing to reload",
          "[server][reload]") {
  RunningServer s(test_options());
  bool reloaded = true;
  const std::string log = capture_stderr([&] { reloaded = s.server().reload().get(); });
  CHECK_FALSE(reloaded);
  CHECK_THAT(log, Catch::Contains("msg=\"nothing to reload: no --web.config.file\""));
  CHECK(serves_metrics(s.port()));
}

TEST_CASE("SIGHUP reloads the web config and run() goes on serving", "[server][reload]") {
  test_support::TempDir dir("se_reload");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  struct sigaction before {};
  ::sigaction(SIGHUP, nullptr, &before);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGHUP, &ignore, nullptr);
  {
    RunningServer s(options_from(file), fixed_provider(metrics_body()), /*handle_signals=*/true);
    REQUIRE(ask(s.port(), kBob).first == 200);  // run() has installed its signal handlers
    write_file(file, users_yaml("alice", kAliceHash, "deny"));
    ::kill(::getpid(), SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (ask(s.port(), kAlice).first != 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    CHECK(ask(s.port(), kAlice).first == 200);
    ::kill(::getpid(), SIGHUP);  // a second one is handled too, and does not stop run()
    CHECK(ask(s.port(), kAlice).first == 200);
    s.server().stop();
    CHECK(s.join() == 0);
  }
  // run() put back the disposition it found: SIGHUP is still ignored, not fatal.
  struct sigaction after {};
  ::sigaction(SIGHUP, nullptr, &after);
  CHECK(after.sa_handler == SIG_IGN);
  ::sigaction(SIGHUP, &before, nullptr);
}

TEST_CASE("the handler path gets method and body after basic auth; other paths stay as they are",
          "[server][handler]") {
  test_support::TempDir dir("se_handler");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  ServerOptions o = options_from(file);
  std::string seen;
  o.handler_path = "/trace";
  o.handler = [&seen](std::string_view method, std::string_view body) {
    seen = std::string(method) + " " + std::string(body);
    return slurm_exporter::http::PathResponse{400, "text/plain", "400 why\n", {{"Allow", "x"}}};
  };
  RunningServer s(std::move(o));
  const std::string post_body = R"({"job_id": 1})";
  const auto post = [&](std::string_view auth) {
    Client c(s.port());
    REQUIRE(c.send("POST /trace?x=1 HTTP/1.1\r\nHost: test\r\n" + std::string(auth) +
                   "Content-Length: " + std::to_string(post_body.size()) + "\r\n\r\n" + post_body));
    const auto r = c.read_response();
    REQUIRE(r);
    return *r;
  };
  const auto denied = post("");
  CHECK(denied.status == 401);
  CHECK(seen.empty());  // the handler never sees an unauthenticated request
  const auto r = post(kBob);
  CHECK(r.status == 400);
  CHECK(r.body == "400 why\n");
  CHECK(r.header("Allow") == "x");
  CHECK(r.header("X-Frame-Options") == "deny");  // the web config's headers apply too
  CHECK(seen == "POST " + post_body);
  CHECK(ask(s.port(), kBob).first == 200);  // /metrics as before
}

namespace {
int status_of(std::uint16_t port, std::string_view path, std::string_view auth) {
  Client c(port);
  REQUIRE(c.send(get(path, auth)));
  const auto r = c.read_response();
  REQUIRE(r);
  return r->status;
}
}  // namespace

TEST_CASE(
    "/-/ready follows the ready callback; --web.health-no-auth exempts only the health "
    "paths from basic auth",
    "[server][health]") {
  test_support::TempDir dir("se_health");
  const std::string file = dir.file("web.yml");
  write_file(file, users_yaml("bob", kBobHash, "deny"));
  std::atomic<bool> polled{false};
  ServerOptions o = options_from(file);
  o.ready = [&polled] { return polled.load(); };
  {
    RunningServer s(o);
    CHECK(status_of(s.port(), "/-/healthy", "") == 401);  // auth applies by default
    CHECK(status_of(s.port(), "/-/ready", kBob) == 503);
  }
  o.health_no_auth = true;
  RunningServer s(o);
  CHECK(status_of(s.port(), "/-/healthy", "") == 200);
  CHECK(status_of(s.port(), "/-/ready", "") == 503);
  polled = true;
  CHECK(status_of(s.port(), "/-/ready", "") == 200);
  CHECK(status_of(s.port(), "/metrics", "") == 401);  // the metrics keep their auth
  CHECK(status_of(s.port(), "/metrics", kBob) == 200);
}
