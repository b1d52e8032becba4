// SPDX-License-Identifier: GPL-2.0-or-later
// Wires flags, the poller (libslurm on its own thread) and the HTTP server together.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/app/flags.hpp"
#include "slurm_exporter/build_info.hpp"
#include "slurm_exporter/collectors/private_data.hpp"
#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/http/router.hpp"
#include "slurm_exporter/http/server.hpp"
#include "slurm_exporter/http/web_config.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/metrics/aggregate.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/cli_backend.hpp"
#include "slurm_exporter/slurm/libslurm_backend.hpp"
#include "slurm_exporter/trace/store.hpp"

namespace se = slurm_exporter;

namespace {

// Jobs the trace store keeps at most (each ~0.5 KiB: a flood of made-up job ids stays ~5 MiB).
constexpr std::size_t kTraceMaxJobs = 10'000;

// -metrics.aggregate-users: the per-user labels summed away.
se::scrape::FamilyTransform aggregate_transform(bool on) {
  if (!on) return {};
  return [](std::vector<se::metrics::Family>& families) {
    se::metrics::aggregate_away(families, {"username", "user"});
  };
}

// -trace.enabled: the trace path answers through the store the trace collector reads.
void serve_trace(const se::app::Config& config, se::http::ServerOptions& options) {
  for (const std::string_view taken :
       {std::string_view(config.telemetry_path), se::http::kHealthyPath, se::http::kReadyPath}) {
    if (config.trace_path == taken) {
      throw se::ConfigError(
          fmt::format("-trace.path {} is already served (metrics or health)", config.trace_path));
    }
  }
  auto& store = se::trace::process_store();
  store.configure(config.trace_rate.count(), kTraceMaxJobs);
  options.handler_path = config.trace_path;
  options.handler = [&store](std::string_view method, std::string_view body) {
    const auto r =
        se::trace::handle_request(store, method, body, se::scrape::system_clock().unix_seconds());
    se::http::PathResponse out{r.status, r.content_type, r.body, {}};
    if (r.allow_header) out.headers.emplace_back("Allow", "GET, HEAD, POST");
    return out;
  };
}

// -metrics.exclude as a family filter; the pattern was validated by parse_flags.
se::scrape::FamilyFilter exclude_filter(const std::string& pattern) {
  if (pattern.empty()) return {};
  return
      [re = std::regex(pattern)](const std::string& name) { return std::regex_search(name, re); };
}

// How long shutdown waits for the poll in flight. A libslurm RPC to a dead or frozen slurmctld
// cannot be cancelled and lasts MessageTimeout per retry; past this the exporter exits without
// it, well before systemd's stop timeout, and still through exit() so that LeakSanitizer's
// check runs in the tests.
constexpr std::chrono::seconds kShutdownDeadline{3};

// The Slurm backend --slurm.backend names, built afresh by the poller when it needs one.
std::unique_ptr<se::slurm::Backend> make_backend(const se::app::Config& config) {
  if (config.backend == "cli") {
    se::slurm::CliOptions cli;
    cli.sinfo = config.sinfo_cli;
    cli.squeue = config.squeue_cli;
    cli.bin_dir = config.bin_dir;
    cli.timeout = config.cli_timeout;
    cli.slurm_conf = config.slurm_conf;
    cli.lic_scontrol = config.lic_cli;
    cli.sdiag = config.diag_cli;
    cli.sacctmgr = config.sacctmgr_cli;
    return std::make_unique<se::slurm::CliBackend>(std::move(cli));
  }
  return std::make_unique<se::slurm::LibslurmBackend>(config.slurm_conf);
}

}  // namespace

int main(int argc, char** argv) {
  // SIGHUP (systemctl reload) must never kill the exporter, also before the server handles it.
  std::signal(SIGHUP, SIG_IGN);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  se::app::Config config;
  try {
    config = se::app::parse_flags(
        args, [](const char* name) -> const char* { return std::getenv(name); });
  } catch (const se::ConfigError& e) {
    std::fprintf(stderr, "prometheus-slurm-exporter: %s\n\n%s", e.what(), se::app::usage().c_str());
    return 2;
  }
  if (config.show_help) {
    std::fputs(se::app::usage().c_str(), stdout);
    return 0;
  }
  if (config.show_version) {
    std::printf("prometheus-slurm-exporter %s (revision %s, built for Slurm %s)\n",
                se::build_info::kVersion,
                *se::build_info::kRevision ? se::build_info::kRevision : "unknown",
                se::build_info::kSlurmVersion);
    return 0;
  }
  se::log::set_level(config.log_level);
  se::scrape::configure_malloc_for_polls();
  se::http::WebConfig web;
  if (!config.web_config_file.empty()) {
    try {
      web = se::http::load_web_config(config.web_config_file);
    } catch (const se::ConfigError& e) {
      std::fprintf(stderr, "prometheus-slurm-exporter: %s\n", e.what());
      return 2;
    }
  }

  // The PrivateData exposure warning needs to know whether the metrics need a password.
  se::collectors::PrivateDataState::set_auth(!web.basic_auth_users.empty());
  try {
    se::scrape::Poller poller([&config] { return make_backend(config); }, config.poll_limit,
                              config.collectors, exclude_filter(config.metrics_exclude),
                              se::scrape::system_clock(),
                              aggregate_transform(config.aggregate_users));
    int sig = 0;
    {
      se::http::ServerOptions options;
      options.listen_address = config.listen_address;
      options.telemetry_path = config.telemetry_path;
      options.web = std::move(web);
      options.web_config_file = config.web_config_file;
      if (config.collectors.enabled("trace")) serve_trace(config, options);
      options.health_no_auth = config.health_no_auth;
      options.ready = [&poller] { return poller.polls() > 0; };
      se::http::Server server(options, [&poller](auto done) { poller.get(std::move(done)); });
      se::log::info("starting", {{"version", se::build_info::kVersion},
                                 {"backend", config.backend},
                                 {"slurm_conf", se::slurm::effective_slurm_conf(config.slurm_conf)},
                                 {"poll_limit_ms", std::to_string(config.poll_limit.count())}});
      sig = server.run();
      se::log::info("shutting down", {{"signal", std::to_string(sig)}});
    }  // the server is gone: no new request reaches the poller
    // stop() cancels first (the cli backend kills the Slurm command in flight), then waits.
    if (!poller.stop(kShutdownDeadline)) {
      se::log::warn("shutdown deadline passed: leaving the Slurm call in flight",
                    {{"deadline_s", std::to_string(kShutdownDeadline.count())}});
      std::fflush(nullptr);
      // Not returning: the Poller's thread is blocked in libslurm and cannot be joined. exit()
      // runs the exit handlers (LeakSanitizer's too); that thread stays in its syscall.
      std::exit(0);
    }
  } catch (const se::ConfigError& e) {
    // A certificate or key from the web config that OpenSSL cannot load.
    se::log::error("fatal", {{"err", e.what()}});
    return 2;
  } catch (const std::exception& e) {
    se::log::error("fatal", {{"err", e.what()}});
    return 1;
  }
  return 0;
}
