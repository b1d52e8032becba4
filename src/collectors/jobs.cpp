#include "slurm_exporter/collectors/jobs.hpp"

#include <algorithm>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs, std::int64_t now) {
  double pending = 0, running = 0;
  SampleMap by_state, part_jobs, part_pending_jobs, part_pending_cpus, part_pending_mem,
      part_oldest;
  for (const char* s : kJobStates) by_state[{s}] = 0;
  SampleMap user_count, user_cpus, user_mem;
  SampleMap acct_count, acct_cpus, acct_mem;
  SampleMap part_count, reasons;

  auto zero_fill = [](SampleMap& m, const std::string& key) {
    for (const char* s : kUsualJobStates) m.try_emplace({key, s}, 0);
  };

  for (const auto& j : jobs) {
    const auto tasks = static_cast<double>(j.task_count);
    const double cpus = tasks * j.cpus;
    const double mem = tasks * static_cast<double>(j.memory_bytes);
    if (j.state == "PENDING") {
      pending += tasks;
      reasons[{j.reason}] += tasks;
    } else if (j.state == "RUNNING") {
      running += tasks;
    }
    for (SampleMap* m : {&user_count, &user_cpus, &user_mem}) zero_fill(*m, j.user);
    for (SampleMap* m : {&acct_count, &acct_cpus, &acct_mem}) zero_fill(*m, j.account);
    zero_fill(part_count, j.partition);
    user_count[{j.user, j.state}] += tasks;
    user_cpus[{j.user, j.state}] += cpus;
    user_mem[{j.user, j.state}] += mem;
    acct_count[{j.account, j.state}] += tasks;
    acct_cpus[{j.account, j.state}] += cpus;
    acct_mem[{j.account, j.state}] += mem;
    part_count[{j.partition, j.state}] += tasks;

    by_state[{j.state}] += tasks;
    zero_fill(part_jobs, j.partition);
    part_jobs[{j.partition, j.state}] += tasks;
    part_pending_jobs.try_emplace({j.partition}, 0);
    part_pending_cpus.try_emplace({j.partition}, 0);
    part_pending_mem.try_emplace({j.partition}, 0);
    part_oldest.try_emplace({j.partition}, 0);
    if (j.state == "PENDING") {
      part_pending_jobs[{j.partition}] += tasks;
      part_pending_cpus[{j.partition}] += cpus;
      part_pending_mem[{j.partition}] += mem;
      if (j.submit_time > 0) {
        // A submit time in the future (clock skew) counts as no wait.
        const auto age = static_cast<double>(std::max<std::int64_t>(0, now - j.submit_time));
        double& oldest = part_oldest[{j.partition}];
        oldest = std::max(oldest, age);
      }
    }
  }

  std::vector<metrics::Family> out;
  out.reserve(16);
  out.push_back(gauge("slurm_jobs_pending",
                      "Pending jobs, array tasks counted individually (squeue -r %T)", pending));
  out.push_back(gauge("slurm_jobs_running",
                      "Running jobs, array tasks counted individually (squeue -r %T)", running));
  out.push_back(legacy_untyped(gauge("slurm_user_state_total",
                                     "Jobs per user and job state (squeue -r %u %T)",
                                     {"username", "state"}, user_count)));
  out.push_back(gauge("slurm_user_cpu_alloc", "CPUs of jobs per user and job state (squeue -r %C)",
                      {"username", "state"}, user_cpus));
  out.push_back(gauge("slurm_user_mem_alloc",
                      "Memory of jobs per user and job state in bytes (allocated TRES mem, "
                      "requested while pending)",
                      {"username", "state"}, user_mem));
  out.push_back(legacy_untyped(gauge("slurm_account_job_state_total",
                                     "Jobs per account and job state (squeue -r %a %T)",
                                     {"account", "state"}, acct_count)));
  out.push_back(gauge("slurm_account_job_state_cpu_alloc",
                      "CPUs of jobs per account and job state (squeue -r %C)", {"account", "state"},
                      acct_cpus));
  out.push_back(gauge("slurm_account_job_state_mem_alloc",
                      "Memory of jobs per account and job state in bytes (allocated TRES mem, "
                      "requested while pending)",
                      {"account", "state"}, acct_mem));
  out.push_back(legacy_untyped(gauge("slurm_partition_job_state_total",
                                     "Jobs per partition and job state (squeue -r %P %T)",
                                     {"partition", "state"}, part_count)));
  out.push_back(
      legacy_untyped(gauge("slurm_pending_reason_total", "Pending jobs per reason (squeue -r %r)",
                           {"reason"}, reasons)));
  out.push_back(gauge("slurm_jobs",
                      "Jobs in each state, array tasks counted individually (slurm_load_jobs "
                      "job_state; squeue -r State)",
                      {"state"}, by_state));
  out.push_back(gauge("slurm_partition_jobs",
                      "Jobs per partition and state, array tasks counted individually "
                      "(slurm_load_jobs partition, job_state; squeue -r Partition, State)",
                      {"partition", "state"}, part_jobs));
  out.push_back(gauge("slurm_partition_pending_jobs",
                      "Pending jobs per partition, array tasks counted individually "
                      "(squeue -r -t PENDING Partition)",
                      {"partition"}, part_pending_jobs));
  out.push_back(gauge("slurm_partition_pending_cpus",
                      "CPUs requested by pending jobs per partition (slurm_load_jobs num_cpus; "
                      "squeue -r NumCPUs)",
                      {"partition"}, part_pending_cpus));
  out.push_back(gauge("slurm_partition_pending_memory_bytes",
                      "Memory requested by pending jobs per partition in bytes (slurm_load_jobs "
                      "tres_req_str mem; squeue -r tres-alloc mem)",
                      {"partition"}, part_pending_mem));
  out.push_back(gauge("slurm_partition_oldest_pending_job_seconds",
                      "Seconds since the oldest pending job of the partition was submitted, 0 "
                      "when none is pending (slurm_load_jobs submit_time; squeue SubmitTime)",
                      {"partition"}, part_oldest));
  return out;
}

}  // namespace slurm_exporter::collectors
