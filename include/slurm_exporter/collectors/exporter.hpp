// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::collectors {

/// How one collector fared in the latest poll.
struct CollectorStatus {
  std::string name;  ///< the collector's name in the table
  bool success = false;
  /// The loads this collector triggered in the poll (a load shared with an earlier collector
  /// is counted there, once) plus its collect and rendering: the durations of one poll add up
  /// to the poll's time.
  double duration_seconds = 0.0;
  /// Entries of the parse_errors of the loads it used, counted once per load generation since
  /// the exporter started (slurm_exporter_parse_errors_total).
  std::uint64_t parse_errors = 0;
};

/// The exporter's own state after a poll.
struct ExporterStatus {
  bool slurm_up = false;      ///< slurmctld answered at least one load of the poll
  std::string backend;        ///< "libslurm" or "cli"
  std::string slurm_version;  ///< the Slurm version the backend was built for / talks to
  std::vector<CollectorStatus> collectors;
  double node_load_ms = 0.0;  ///< the node load's wall time, milliseconds
  double job_load_ms = 0.0;   ///< the job load's wall time, milliseconds
  /// The sdiag load's wall time, milliseconds; absent when no enabled collector reads sdiag.
  std::optional<double> sdiag_load_ms;
  /// Failed loads since start per source (rivosinc's slurm_*_scrape_error counters); absent
  /// when no enabled collector reads that load. A load skipped because slurmctld was found
  /// unreachable earlier in the poll counts as failed: it produced no data either.
  std::optional<std::uint64_t> node_load_failures, job_load_failures, sdiag_load_failures,
      license_load_failures;
};

/// slurm_up, slurm_exporter_build_info, slurm_exporter_collector_success/duration_seconds,
/// the rivosinc-compatible slurm_node_scrape_duration / slurm_job_scrape_duration (ms) and the
/// counter slurm_exporter_parse_errors_total{collector}, and rivosinc's slurm_diag_scrape_duration
/// (ms) and slurm_{node,job,diag,lic}_scrape_error counters where their load is read.
std::vector<metrics::Family> collect_exporter(const ExporterStatus& status);

}  // namespace slurm_exporter::collectors
