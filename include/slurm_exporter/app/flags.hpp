#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "slurm_exporter/log.hpp"

namespace slurm_exporter::app {

/// Everything the command line sets. Defaults are the documented defaults.
struct Config {
  std::string listen_address = ":9092";      ///< web.listen-address
  std::string telemetry_path = "/metrics";   ///< web.telemetry-path
  log::Level log_level = log::Level::kInfo;  ///< web.log-level / log.level
  std::chrono::milliseconds poll_limit{
      10'000};  ///< slurm.poll-limit, given in seconds (may be fractional, >= 0)
  std::string backend = "libslurm";  ///< backend: libslurm (cli: not yet)
  std::string slurm_conf;            ///< slurm.conf; empty = SLURM_CONF or Slurm's default
  bool show_version = false;         ///< version
  bool show_help = false;            ///< help / h
};

/// Parses argv[1..]. Accepts `-name=value`, `--name=value`, `-name value`, `--name value`;
/// boolean flags (`version`, `help`) take no value or `=true|false`.
/// Throws ConfigError with one clear line naming the flag on an unknown flag, a missing or bad
/// value, or an unsupported backend.
Config parse_flags(std::span<const std::string_view> args);

/// The usage text printed by --help and after a flag error.
std::string usage();

}  // namespace slurm_exporter::app
