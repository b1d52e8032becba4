// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/exporter.hpp"

#include "slurm_exporter/build_info.hpp"
#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;

std::vector<metrics::Family> collect_exporter(const ExporterStatus& status) {
  SampleMap success, duration, parse_errors;
  for (const auto& c : status.collectors) {
    success[{c.name}] = c.success ? 1 : 0;
    duration[{c.name}] = c.duration_seconds;
    parse_errors[{c.name}] = static_cast<double>(c.parse_errors);
  }
  SampleMap info;
  info[{build_info::kVersion, build_info::kRevision, status.slurm_version, status.backend}] = 1;

  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_up", "Whether slurmctld answered the latest poll (1) or not (0)",
                      status.slurm_up ? 1 : 0));
  out.push_back(gauge("slurm_exporter_build_info",
                      "Exporter build: version, git revision, Slurm version and backend; always 1",
                      {"version", "revision", "slurm_version", "backend"}, info));
  out.push_back(gauge("slurm_exporter_collector_success",
                      "Whether the collector's latest poll succeeded", {"collector"}, success));
  out.push_back(gauge("slurm_exporter_collector_duration_seconds",
                      "Duration of the collector's latest poll in seconds", {"collector"},
                      duration));
  out.push_back(gauge("slurm_node_scrape_duration",
                      "How long loading nodes and partitions from Slurm took (ms)",
                      status.node_load_ms));
  out.push_back(gauge("slurm_job_scrape_duration", "How long loading jobs from Slurm took (ms)",
                      status.job_load_ms));
  metrics::Family errors = gauge("slurm_exporter_parse_errors_total",
                                 "Data the collector's Slurm loads could not parse and left out "
                                 "(a node's GRES, a malformed line), counted once per load; the "
                                 "log has each distinct text once",
                                 {"collector"}, parse_errors);
  errors.type = metrics::Type::kCounter;
  out.push_back(std::move(errors));
  if (status.sdiag_load_ms) {
    out.push_back(gauge("slurm_diag_scrape_duration",
                        "How long loading the scheduler statistics (sdiag) took (ms)",
                        *status.sdiag_load_ms));
  }
  // rivosinc's counters without the _total suffix: declared untyped (like the six inherited
  // _total/_count gauges), so promtool accepts the text and OpenMetrics keeps their names
  // (a counter there would be renamed ..._total and break the dashboards that query them).
  const auto counter = [&](const char* name, const char* help, std::optional<std::uint64_t> v) {
    if (!v) return;
    metrics::Family f = gauge(name, help, static_cast<double>(*v));
    f.type = metrics::Type::kUntyped;
    out.push_back(std::move(f));
  };
  counter("slurm_node_scrape_error", "Failed loads of nodes and partitions since start",
          status.node_load_failures);
  counter("slurm_job_scrape_error", "Failed loads of jobs since start", status.job_load_failures);
  counter("slurm_diag_scrape_error", "Failed loads of the scheduler statistics (sdiag) since start",
          status.sdiag_load_failures);
  counter("slurm_lic_scrape_error", "Failed loads of licenses since start",
          status.license_load_failures);
  return out;
}

}  // namespace slurm_exporter::collectors
