// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

#include "../support/temp_dir.hpp"
#include "slurm_exporter/http/compression.hpp"
#include "slurm_exporter/http/web_config.hpp"

// A blocking POSIX client keeps this test free of Asio, so it checks the server from outside.

namespace {

using namespace std::chrono_literals;
using slurm_exporter::http::ListenError;
using slurm_exporter::http::MetricsBody;
using slurm_exporter::http::MetricsProvider;
using slurm_exporter::http::Server;
using slurm_exporter::http::ServerOptions;

constexpr std::string_view kMetricsText =
    "# HELP slurm_up Whether the last Slurm poll succeeded.\n"
    "# TYPE slurm_up gauge\n"
    "slurm_up 1\n";

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return "<absent>";
  }
};

class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::seconds receive_timeout = 5s)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    // No test may hang on a broken server: every blocking read gives up after 5 s by default.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(receive_timeout.count());
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends everything; false when the server has gone away.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response (no body after HEAD); nullopt when the connection ends first.
  std::optional<Reply> read_response(bool head = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Reply reply;
    const std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, pos);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    reply.status = std::stoi(status_line.substr(9, 3));
    while (pos != std::string::npos) {
      const std::size_t start = pos + 2;
      pos = head_text.find("\r\n", start);
      const std::string line =
          head_text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers.emplace_back(line.substr(0, colon), value);
    }
    if (head) return reply;
    const std::string length = reply.header("Content-Length");
    if (length == "<absent>") return std::nullopt;  // the server always sets it
    const auto size = static_cast<std::size_t>(std::stoul(length));
    while (buf_.size() < size) {
      if (!fill()) return std::nullopt;
    }
    reply.body = buf_.substr(0, size);
    buf_.erase(0, size);
    return reply;
  }

  /// Everything up to EOF (or a reset, or the 5 s receive timeout).
  std::string read_to_eof() {
    while (fill()) {
    }
    return std::exchange(buf_, {});
  }

  /// True when the server closes the connection within `limit` (data before that is dropped).
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return true;  // EOF or reset
    }
  }

 private:
  bool fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string buf_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

MetricsProvider fixed_provider(MetricsBody body) {
  return [body](std::function<void(MetricsBody)> done) { done(body); };
}

MetricsBody metrics_body() { return std::make_shared<const std::string>(kMetricsText); }

ServerOptions test_options() {
  ServerOptions o;
  o.listen_address = "127.0.0.1:0";
  o.read_timeout = 2s;
  o.idle_timeout = 2s;
  o.write_timeout = 2s;
  return o;
}

/// A Server running on its own thread; stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options,
                         MetricsProvider provider = fixed_provider(metrics_body()),
                         bool handle_signals = false)
      : server_(std::move(options), std::move(provider)),
        thread_([this, handle_signals] { result_ = server_.run(handle_signals); }) {}
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }
  /// Joins the serving thread and returns what run() returned.
  int join() {
    thread_.join();
    thread_ = std::thread([] {});
    return result_;
  }

 private:
  Server server_;
  std::atomic<int> result_{-1};
  std::thread thread_;
};

/// A fresh connection gets GET /metrics answered with 200 (retrying while the server sheds load).
bool serves_metrics(std::uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    Client c(port);
    if (c.send(get("/metrics"))) {
      const auto r = c.read_response();
      if (r && r->status == 200 && r->body == kMetricsText) return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("GET /metrics returns the provider's body", "[server]") {
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

TEST_CASE("GET /metrics with a query string is still metrics", "[server]") {
  RunningServer s(test_options());
  Client c(s.port());
  REQUIRE(c.send(get("/metrics?collect[]=nodes")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == kMetricsText);
}

TEST_CASE("HEAD /metrics sends the GET Content-Length and no body", "[server]") {
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

TEST_CASE("HEAD then GET on one connection stay in step", "[server]") {
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

TEST_CASE("the landing page, 404 and 405 are served", "[server]") {
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

TEST_CASE("a request body is consumed so the next request still parses", "[server]") {
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

TEST_CASE("a body above max_body_bytes gets 413 and the connection closes", "[server]") {
  auto options = test_options();
  options.max_body_bytes = 16;
  RunningServer s(options);
  Client c(s.port());
  REQUIRE(
      c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x')));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->header("Connection") == "close");
  CHECK(c.closed_within(3s));
}

TEST_CASE("keep-alive serves two requests on one connection", "[server]") {
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

TEST_CASE("pipelined requests get their responses in order", "[server]") {
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

TEST_CASE("Connection: close and HTTP/1.0 close after the response", "[server]") {
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

TEST_CASE("a provider that answers later from another thread is served", "[server]") {
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

TEST_CASE("a null metrics body gives 503", "[server]") {
  RunningServer s(test_options(), fixed_provider(nullptr));
  Client c(s.port());
  REQUIRE(c.send(get("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(r->body == "metrics not available\n");
}

TEST_CASE("a provider that throws gives 503 and the server goes on", "[server]") {
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

TEST_CASE("a provider that never answers gives 503 after write_timeout", "[server]") {
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

TEST_CASE("an oversized header gets 431 and the server keeps serving", "[server]") {
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

TEST_CASE("a malformed request gets 400 and the connection closes", "[server]") {
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

TEST_CASE("random bytes never take the server down", "[server]") {
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

TEST_CASE("a connection that sends nothing is closed after read_timeout", "[server]") {
  auto options = test_options();
  options.read_timeout = 300ms;
  options.idle_timeout = 10s;
  RunningServer s(options);
  Client c(s.port());
  const auto start = std::chrono::steady_clock::now();
  CHECK(c.closed_within(3s));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
}

TEST_CASE("a request sent too slowly is closed after read_timeout", "[server]") {
  auto options = test_options();
  options.read_timeout = 300ms;
  RunningServer s(options);
  Client c(s.port());
  REQUIRE(c.send("GET /metrics HTTP/1.1\r\n"));
  CHECK(c.closed_within(3s));
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout", "[server]") {
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

TEST_CASE("at max_connections a new connection closes the longest-waiting idle one", "[server]") {
  auto options = test_options();
  options.max_connections = 2;
  RunningServer s(options);
  Client served(s.port());
  REQUIRE(served.send(get("/metrics")));
  REQUIRE(served.read_response());  // open and idle between keep-alive requests
  Client silent(s.port());          // never sends a byte
  std::this_thread::sleep_for(100ms);

  // The scraper gets through; the connection that has waited longest is closed for it.
  CHECK(serves_metrics(s.port()));
  CHECK(served.closed_within(3s));
  CHECK(serves_metrics(s.port()));
  CHECK(silent.closed_within(3s));
}

TEST_CASE("at max_connections with every connection busy a new one is closed at once", "[server]") {
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

TEST_CASE("run() logs the bound address as msg=listening address=host:port", "[server]") {
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  ::dup2(::fileno(capture), STDERR_FILENO);
  std::uint16_t port = 0;
  bool served = false;
  {
    RunningServer s(test_options());
    port = s.port();
    served = serves_metrics(port);
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  std::rewind(capture);
  char chunk[4096];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, capture)) > 0) text.append(chunk, n);
  std::fclose(capture);
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

TEST_CASE("basic auth: 401 with WWW-Authenticate unless the credentials are right", "[server]") {
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

TEST_CASE("a TLS config with a missing certificate throws ConfigError naming it", "[server]") {
  ServerOptions o = test_options();
  o.web.tls.emplace();
  o.web.tls->cert_file = "/nonexistent/server.crt";
  o.web.tls->key_file = "/nonexistent/server.key";
  CHECK_THROWS_WITH(Server(o, fixed_provider(metrics_body())),
                    "cannot read cert_file /nonexistent/server.crt: No such file or directory");
}

TEST_CASE("a slow bcrypt check does not hold up other connections", "[server]") {
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
  CHECK(plain->header("Vary") == "Accept-Encoding");
  CHECK(plain->body == big);

  REQUIRE(c.send(get("/metrics", "Accept-Encoding: deflate, gzip;q=0.8\r\n")));
  const auto gz = c.read_response();
  REQUIRE(gz);
  CHECK(gz->status == 200);
  CHECK(gz->header("Content-Encoding") == "gzip");
  CHECK(gz->header("Vary") == "Accept-Encoding");
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
  CHECK(h->header("Vary") == "Accept-Encoding");
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

/// Everything written to stderr while `f` runs.
template <class F>
std::string capture_stderr(F&& f) {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(capture), STDERR_FILENO);
  f();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  std::rewind(capture);
  char chunk[4096];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, capture)) > 0) text.append(chunk, n);
  std::fclose(capture);
  return text;
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
