// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slurm_exporter/collectors/detail/histogram.hpp"
#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The job states that always get a series (0 when no job is in them).
inline constexpr const char* kUsualJobStates[] = {"PENDING", "RUNNING"};

/// The job states (as squeue %T prints them) that slurm_jobs{state} always has (0 when no job
/// is in them): the states of the queue (PENDING, RUNNING, SUSPENDED, COMPLETING,
/// CONFIGURING). Other states (REQUEUE_HOLD, STOPPED, …) get a series only while a job is in
/// them. Finished jobs (slurm::is_final_job_state) are in no queue family: they are counted by
/// slurm_jobs_finished_total (jobs_finished.hpp).
inline constexpr const char* kJobStates[] = {"PENDING", "RUNNING", "SUSPENDED", "COMPLETING",
                                             "CONFIGURING"};

/// Job families (rivosinc-compatible names): slurm_jobs_pending/running, per user, account and
/// partition counts, CPUs and memory (bytes) per job state, and pending reasons; then
/// slurm_jobs{state} (kJobStates zero-filled), slurm_partition_jobs{partition,state} (PENDING
/// and RUNNING zero-filled per partition seen) and the queue pressure per partition seen:
/// slurm_partition_pending_jobs, _pending_cpus, _pending_memory_bytes.
/// Array tasks count individually (Job::task_count). Jobs in a final state
/// (slurm::is_final_job_state) are skipped. Pure and deterministic (samples sorted by labels);
/// nothing depends on "now" (PendingAges has the families that do).
/// Then the GPU families: slurm_partition_pending_gpus (requested, zero-filled per
/// partition seen), slurm_user_gpus_allocated{username,type} and
/// slurm_account_gpus_allocated{account,type} (started jobs' Job::gres_alloc).
/// A job pending in several partitions ("a,b") keeps that label in the rivosinc-named
/// families (slurm_partition_job_state_total); every other family with a partition label
/// counts it in each of its partitions, so they join with slurm_partition_info{partition}.
std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs);

/// Upper bounds (seconds) of the wait-time histograms: 1 min … 1 week.
inline constexpr double kWaitBuckets[] = {60,    300,   900,   1800,   3600,  7200,
                                          14400, 28800, 86400, 172800, 604800};

inline constexpr std::string_view kPendingWaitFamily = "slurm_pending_job_wait_seconds";

/// What slurm_pending_job_wait_seconds needs from a job list, kept small (a partition index,
/// the eligible time and the task count per eligible pending job) so that a poll whose jobs
/// did not change can recompute the histogram at a new "now" without the jobs.
class PendingWaits {
 public:
  PendingWaits() = default;
  explicit PendingWaits(std::span<const slurm::Job> jobs);
  /// The gauge histogram at `now`: every partition with a job has a series.
  metrics::Family family(std::int64_t now) const;

 private:
  struct Wait {
    std::uint32_t partition;
    std::int64_t eligible_time;
    double tasks;
  };
  std::vector<std::string> partitions_;
  std::vector<Wait> waits_;
};

/// The job families that depend on "now", kept small so that a poll whose jobs did not change
/// needs no jobs: slurm_partition_oldest_pending_job_seconds{partition} (`now` − the
/// submit_time of the oldest pending job that is eligible to start, eligible_time in (0, now];
/// 0 when none; every partition seen) and the gauge histogram
/// slurm_pending_job_wait_seconds{partition} (now − eligible_time of eligible pending jobs,
/// kWaitBuckets). A job pending in "a,b" counts in a and in b. A stateful collector row of
/// `jobs`.
class PendingAges final : public CollectorState {
 public:
  PendingAges() = default;
  explicit PendingAges(std::span<const slurm::Job> jobs) { take(jobs); }
  void update(const Inputs& in, std::int64_t now) override;
  std::vector<metrics::Family> collect(std::int64_t now) const override;

 private:
  void take(std::span<const slurm::Job> jobs);
  struct Partition {
    std::string name;
    /// (eligible_time, submit_time) of the jobs that can be its oldest eligible one at some
    /// "now": eligible times rising, submit times falling.
    std::vector<std::pair<std::int64_t, std::int64_t>> candidates;
  };
  std::vector<Partition> oldest_;
  PendingWaits waits_;
};

/// The counter histogram slurm_job_wait_seconds{partition}: start_time − eligible_time of each
/// started job, observed once (per job id and start time) in the first poll that sees it
/// started (finished jobs are skipped). Keeps only the keys of the latest poll, so memory
/// follows the job list. A stateful collector row of `jobs`.
class StartedJobWaits final : public CollectorState {
 public:
  /// Observes the jobs of this poll that were not seen started before.
  void update(std::span<const slurm::Job> jobs);
  /// The histogram (no series before the first started job).
  metrics::Family family() const;
  void update(const Inputs& in, std::int64_t /*now*/) override { update(in.jobs().jobs); }
  std::vector<metrics::Family> collect(std::int64_t /*now*/) const override { return {family()}; }

 private:
  detail::Histograms histograms_{kWaitBuckets};
  std::set<std::pair<std::uint32_t, std::int64_t>> seen_;
};

}  // namespace slurm_exporter::collectors
