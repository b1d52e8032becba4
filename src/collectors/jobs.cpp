#include "slurm_exporter/collectors/jobs.hpp"

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs) {
  double pending = 0, running = 0;
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
  }

  std::vector<metrics::Family> out;
  out.reserve(10);
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
  return out;
}

}  // namespace slurm_exporter::collectors
