// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

// A Server on its own thread with short timeouts, and a fixed metrics provider, for tests.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "http_client.hpp"
#include "slurm_exporter/http/server.hpp"

namespace test_support {

using namespace std::chrono_literals;
using slurm_exporter::http::MetricsBody;
using slurm_exporter::http::MetricsProvider;
using slurm_exporter::http::Server;
using slurm_exporter::http::ServerOptions;

inline constexpr std::string_view kMetricsText =
    "# HELP slurm_up Whether the last Slurm poll succeeded.\n"
    "# TYPE slurm_up gauge\n"
    "slurm_up 1\n";

inline MetricsProvider fixed_provider(MetricsBody body) {
  return [body](std::function<void(MetricsBody)> done) { done(body); };
}

inline MetricsBody metrics_body() { return std::make_shared<const std::string>(kMetricsText); }

inline ServerOptions test_options() {
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
inline bool serves_metrics(std::uint16_t port) {
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

}  // namespace test_support
