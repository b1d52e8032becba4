#pragma once

#include <span>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The job states that always get a series (0 when no job is in them).
inline constexpr const char* kUsualJobStates[] = {"PENDING", "RUNNING"};

/// Job families (rivosinc-compatible names): slurm_jobs_pending/running, per user, account and
/// partition counts, CPUs and memory (bytes) per job state, and pending reasons. Array tasks
/// count individually (Job::task_count). Pure and deterministic (samples sorted by labels).
std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs);

}  // namespace slurm_exporter::collectors
