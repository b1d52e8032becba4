// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/jobs_finished.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/collectors/detail/partitions.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"

namespace slurm_exporter::collectors {

void FinishedJobs::update(std::span<const slurm::Job> jobs) {
  std::set<std::pair<std::uint32_t, std::int64_t>> current;
  for (const auto& j : jobs) {
    if (!slurm::is_final_job_state(j.state)) continue;
    const std::pair key{j.job_id, j.submit_time};
    current.insert(key);
    // Checked against the previous load only: `squeue -r` prints a finished array that never
    // started as one line per task, all with the same key, and each line counts.
    if (finished_.count(key)) continue;
    const double tasks = baseline_done_ ? static_cast<double>(j.task_count) : 0.0;
    detail::for_each_partition(j.partition, [&](std::string_view p) {
      counts_[{j.state, std::string(p), j.account}] += tasks;
    });
  }
  finished_ = std::move(current);
  baseline_done_ = true;
}

metrics::Family FinishedJobs::family() const {
  metrics::Family f = detail::gauge(
      "slurm_jobs_finished_total",
      "Jobs (array tasks individually) that left the queue in a final state, per state, "
      "partition and account: each counted once, in the first poll that lists it finished "
      "(slurmctld lists a finished job for MinJobAge); jobs already finished when the exporter "
      "started are not counted; a job cancelled while pending in several partitions counts in "
      "the one slurmctld reports for it (slurm_load_jobs job_state; squeue -t all State)",
      {"state", "partition", "account"}, counts_);
  f.type = metrics::Type::kCounter;
  return f;
}

}  // namespace slurm_exporter::collectors
