// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/http/server.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/http/detail/asio.hpp"
#include "slurm_exporter/http/detail/connections.hpp"
#include "slurm_exporter/http/detail/listener.hpp"
#include "slurm_exporter/http/detail/session.hpp"
#include "slurm_exporter/http/detail/web_state.hpp"
#include "slurm_exporter/http/web_config.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::http {

// The server's own units (listener, sessions, web state) live in detail.
using namespace detail;  // NOLINT(google-build-using-namespace)

// Member order matters: ioc_ is destroyed before ctx_ (sessions owned by pending handlers
// die with it and still use ctx_), and acceptor_/accept_retry_ before ioc_.
struct Server::Impl {
  Context ctx;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  std::string bound_address;
  std::uint16_t bound_port = 0;
  std::atomic<bool> stop_requested{false};
  std::atomic<int> stop_signal{0};
  bool accepting = false;
  // After ioc: destroyed (joined) first, so its tasks never outlive the io_context.
  std::unique_ptr<net::thread_pool> auth_pool;

  Impl(ServerOptions options, MetricsProvider provider) {
    ctx.options = std::move(options);
    ctx.provider = std::move(provider);
    ctx.gate = std::make_shared<Gate>(ioc);
    use_web_state(make_web_state(ctx.options.web));
  }

  void use_web_state(std::shared_ptr<WebState> state) {
    if (state->auth && !auth_pool) {
      auth_pool = std::make_unique<net::thread_pool>(2);
      ctx.auth_pool = auth_pool.get();
    }
    ctx.web = std::move(state);
  }

  // Re-reads the web config file on the I/O thread. The new state is built completely before
  // it replaces the old one; on any error the old one stays and the error is logged once.
  bool reload_web_config() {
    const std::string& file = ctx.options.web_config_file;
    if (file.empty()) {
      log::info("nothing to reload: no --web.config.file");
      return false;
    }
    std::optional<WebConfig> config;
    try {
      config = load_web_config(file);
      // The listener serves TLS or plain HTTP from its start; switching needs a restart, and
      // a TLS listener must never fall back to plain HTTP because of an edit.
      if (config->tls.has_value() != (ctx.web->tls != nullptr)) {
        throw ConfigError(std::string(config->tls ? "tls_server_config was added"
                                                  : "tls_server_config was removed") +
                          ": switching between TLS and plain HTTP needs a restart");
      }
      use_web_state(make_web_state(*config));
    } catch (const std::exception& e) {
      log::error("cannot reload web config, keeping the previous one",
                 {{"file", file}, {"err", e.what()}});
      // The same broken files must not be logged again by the on-change check.
      if (config && config->tls && ctx.web->tls) ctx.web->tls->skip_files_like(*config->tls);
      return false;
    }
    log::info("reloaded web config", {{"file", file},
                                      {"tls", ctx.web->tls ? "true" : "false"},
                                      {"basic_auth_users", std::to_string(ctx.web->users)}});
    return true;
  }

  // SIGINT/SIGTERM stop run(); SIGHUP reloads the web config and waits for the next signal.
  void wait_for_signal(net::signal_set& signals) {
    signals.async_wait([this, &signals](beast::error_code ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        log::info("reloading on signal", {{"signal", "SIGHUP"}});
        reload_web_config();
        wait_for_signal(signals);
        return;
      }
      log::info("stopping on signal", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
      stop_signal = signo;
      ioc.stop();
    });
  }

  ~Impl() { ctx.gate->close(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void do_accept() {
    acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  // Whether a new connection may start: its client under its cap and the server under
  // max_connections, each after evicting a waiting connection if need be (see ServerOptions);
  // otherwise the new connection is closed here.
  bool make_room(tcp::socket& socket) {
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const ClientKey client = ec ? ClientKey{} : client_key(remote.address());
    const char* full = nullptr;
    if (ctx.clients.count(client) >= connections_per_client(ctx.options)) {
      if (!ctx.waiting.evict_oldest_of(client)) {
        full = "too many connections from this client, closing the new one";
      }
    } else if (ctx.connections.load() >= ctx.options.max_connections &&
               !ctx.waiting.evict_from_busiest(ctx.clients)) {
      full = "too many connections, closing the new one";
    }
    if (full == nullptr) return true;
    log::debug(full, {{"peer", ec ? "unknown" : endpoint_string(remote)}});
    socket.close(ec);
    return false;
  }

  void on_accept(beast::error_code ec, tcp::socket socket) noexcept {
    if (ec == net::error::operation_aborted) return;
    try {
      if (ec) {
        // EMFILE and friends: back off briefly instead of spinning on the error.
        log::debug("http accept failed", {{"error", ec.message()}});
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) do_accept();
        });
        return;
      }
      set_cloexec(socket.native_handle());
      if (make_room(socket)) {
        start_session(std::move(socket), ctx, ctx.web->tls ? ctx.web->tls->get() : nullptr);
      }
    } catch (const std::exception& e) {
      log::debug("http accept failed", {{"error", e.what()}});
    }
    do_accept();
  }
};

Server::Server(ServerOptions options, MetricsProvider provider)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(provider))) {
  bind_acceptor(impl_->acceptor, impl_->ioc, impl_->ctx.options.listen_address);
  const auto local = impl_->acceptor.local_endpoint();
  impl_->bound_port = local.port();
  impl_->bound_address = endpoint_string(local);
}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->bound_port; }

int Server::run(bool handle_signals) {
  Impl& im = *impl_;
  if (im.stop_requested.load()) return 0;
  im.ioc.restart();
  // stop() may have run between the check above and restart(), which clears its effect.
  if (im.stop_requested.load()) return 0;
  im.stop_signal = 0;
  // Asio sets SIGHUP back to SIG_DFL (which kills) when the signal_set goes; put back what the
  // caller had (main ignores it until the server handles it).
  struct sigaction saved_hup {};
  ::sigaction(SIGHUP, nullptr, &saved_hup);
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(im.ioc, SIGINT, SIGTERM, SIGHUP);
    im.wait_for_signal(*signals);
  }
  if (!im.accepting) {
    im.accepting = true;
    im.do_accept();
  }
  log::info("listening",
            {{"address", im.bound_address}, {"tls", im.ctx.web->tls ? "true" : "false"}});
  im.ioc.run();
  if (signals) {
    signals.reset();
    ::sigaction(SIGHUP, &saved_hup, nullptr);
  }
  return im.stop_signal.load();
}

std::future<bool> Server::reload() {
  auto done = std::make_shared<std::promise<bool>>();
  std::future<bool> result = done->get_future();
  net::post(impl_->ioc, [im = impl_.get(), done] { done->set_value(im->reload_web_config()); });
  return result;
}

void Server::stop() {
  impl_->stop_requested = true;
  impl_->ioc.stop();
}

}  // namespace slurm_exporter::http
