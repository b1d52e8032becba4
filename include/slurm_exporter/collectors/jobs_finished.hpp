// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The counter slurm_jobs_finished_total{state,partition,account}: jobs that left the queue in
/// a final state (slurm::is_final_job_state: COMPLETED, FAILED, TIMEOUT, CANCELLED,
/// OUT_OF_MEMORY, …), each counted once, in the first job load that lists it finished.
///
/// slurmctld keeps listing a finished job for MinJobAge (300 s by default), so a job is seen
/// finished as long as loads are closer together than that. A job is keyed on (job id,
/// submit time): a job id reused after slurmctld lost its state is a new job, and a requeued
/// job (pending again, new submit time) is counted again when it finishes again. Only the keys
/// of the latest load are kept, so memory follows the job list.
///
/// Jobs already finished in the first load (before the exporter started) are not counted:
/// they finished at an unknown time and a previous exporter may have counted them; their
/// series are created at 0. Array tasks count individually (Job::task_count). slurmctld lists
/// a finished job under one partition, even one cancelled while pending in several (it
/// reports the job's first partition once it is no longer pending); a partition list "a,b",
/// should a backend ever give one, counts in each. Exit codes are no label.
/// Not thread-safe: one poller thread. A stateful collector row of `jobs`.
class FinishedJobs final : public CollectorState {
 public:
  /// Counts the jobs of this load that are newly finished.
  void update(std::span<const slurm::Job> jobs);
  /// The counter family (no series before the first finished job).
  metrics::Family family() const;
  void update(const Inputs& in, std::int64_t /*now*/) override { update(in.jobs().jobs); }
  std::vector<metrics::Family> collect(std::int64_t /*now*/) const override { return {family()}; }

 private:
  bool baseline_done_ = false;
  detail::SampleMap counts_;
  std::set<std::pair<std::uint32_t, std::int64_t>> finished_;  // keys of the latest load
};

}  // namespace slurm_exporter::collectors
