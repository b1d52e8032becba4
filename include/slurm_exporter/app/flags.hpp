// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::app {

/// Everything the command line sets. Defaults are the documented defaults.
struct Config {
  std::string listen_address = ":9092";     ///< web.listen-address
  std::string telemetry_path = "/metrics";  ///< web.telemetry-path
  std::string web_config_file;  ///< web.config.file: exporter-toolkit YAML; empty = plain HTTP
  bool health_no_auth = false;  ///< web.health-no-auth: /-/healthy and /-/ready without auth
  log::Level log_level = log::Level::kInfo;  ///< web.log-level / log.level
  /// slurm.poll-limit, given in seconds (may be fractional, >= 0)
  std::chrono::milliseconds poll_limit{10'000};
  std::string backend = "libslurm";   ///< backend: libslurm or cli (alias: slurm.cli-fallback)
  std::string slurm_conf;             ///< slurm.conf; empty = SLURM_CONF or Slurm's default
  std::string sinfo_cli = "sinfo";    ///< slurm.sinfo-cli: path or bare name (cli backend)
  std::string squeue_cli = "squeue";  ///< slurm.squeue-cli: path or bare name (cli backend)
  std::string bin_dir;                ///< slurm.bin-dir: where bare names are; empty = PATH
  std::chrono::milliseconds cli_timeout{10'000};  ///< slurm.cli-timeout, per command
  std::string lic_cli;       ///< slurm.lic-cli: scontrol for licenses (cli); empty = next to sinfo
  std::string diag_cli;      ///< slurm.diag-cli: sdiag (cli backend); empty = next to sinfo
  std::string sacctmgr_cli;  ///< slurm.sacctmgr-cli: sacctmgr (cli backend); empty = next to sinfo
  bool trace_enabled = false;                ///< trace.enabled (rivosinc's job tracing)
  std::string trace_path = "/trace";         ///< trace.path
  std::chrono::seconds trace_rate{10};       ///< trace.rate: seconds a traced sample stays fresh
  collectors::EnabledCollectors collectors;  ///< collector.<name> / no-collector.<name>
  /// metrics.exclude: drop every family whose name the regex matches (a search, as Go's
  /// MatchString in the rivosinc exporter); empty = keep all. Validated by parse_flags.
  std::string metrics_exclude;
  /// metrics.aggregate-users: drop the per-user labels (username, user), summing them away
  bool aggregate_users = false;
  bool show_version = false;  ///< version
  bool show_help = false;     ///< help / h
};

/// Parses argv[1..]. Accepts `-name=value`, `--name=value`, `-name value`, `--name value`;
/// boolean flags (`version`, `help`, `collector.<name>`, `no-collector.<name>`) take no value
/// or `=true|false`.
/// Throws ConfigError with one clear line naming the flag on an unknown flag, a missing or bad
/// value, or an unknown backend.
Config parse_flags(std::span<const std::string_view> args);

/// Looks up an environment variable: its value, or nullptr when unset (as ::getenv).
using EnvLookup = const char* (*)(const char*);

/// As above, after reading the rivosinc exporter's variables through `env`: POLL_LIMIT
/// (seconds), CLI_TIMEOUT (seconds), LOGLEVEL (debug, info, warn, error). A flag wins over its
/// variable. A bad value throws ConfigError naming the variable.
Config parse_flags(std::span<const std::string_view> args, EnvLookup env);

/// The usage text printed by --help and after a flag error.
std::string usage();

}  // namespace slurm_exporter::app
