// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"
#include "slurm_exporter/trace/store.hpp"

namespace slurm_exporter::collectors {

/// rivosinc's trace families for the jobs that are both traced (a live sample) and in the
/// job load: slurm_job_mem_alloc / slurm_job_cpu_alloc {jobid} from Slurm, slurm_proc_pid
/// {jobid,hostname} and slurm_proc_{cpu_usage,mem_usage,threadcount,write_bytes,read_bytes}
/// {jobid,username} from the sample. A traced job id Slurm does not list is left out.
std::vector<metrics::Family> collect_trace(std::span<const slurm::Job> jobs,
                                           std::span<const trace::Sample> samples);

/// The `trace` row: the jobs load joined with trace::process_store() live at `now`.
Collected collect_trace_row(const Inputs& in, std::int64_t now);

}  // namespace slurm_exporter::collectors
