#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The job states that always get a series (0 when no job is in them).
inline constexpr const char* kUsualJobStates[] = {"PENDING", "RUNNING"};

/// The job states (as squeue %T prints them) that slurm_jobs{state} always has (0 when no job
/// is in them): every base state, plus COMPLETING and CONFIGURING. Other states (REQUEUE_HOLD,
/// STOPPED, …) get a series only while a job is in them.
inline constexpr const char* kJobStates[] = {
    "PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING", "COMPLETED", "CANCELLED",
    "FAILED",  "TIMEOUT", "NODE_FAIL", "PREEMPTED",  "BOOT_FAIL",   "DEADLINE",  "OUT_OF_MEMORY"};

/// Job families (rivosinc-compatible names): slurm_jobs_pending/running, per user, account and
/// partition counts, CPUs and memory (bytes) per job state, and pending reasons; then
/// slurm_jobs{state} (kJobStates zero-filled), slurm_partition_jobs{partition,state} (PENDING
/// and RUNNING zero-filled per partition seen) and the queue pressure per partition seen:
/// slurm_partition_pending_jobs, _pending_cpus, _pending_memory_bytes and
/// _oldest_pending_job_seconds (`now` − the oldest pending job's submit_time, 0 when none).
/// Array tasks count individually (Job::task_count). `now` is unix seconds, taken once per
/// poll. Pure and deterministic (samples sorted by labels).
std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs, std::int64_t now);

}  // namespace slurm_exporter::collectors
