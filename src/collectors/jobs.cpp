#include "slurm_exporter/collectors/jobs.hpp"

#include <algorithm>

#include "slurm_exporter/collectors/detail/histogram.hpp"
#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::Histograms;
using detail::legacy_untyped;
using detail::SampleMap;

namespace {

// Started jobs hold GRES from their allocation; pending ones hold none.
bool holds_gpus(const slurm::Job& j) { return !j.gres_alloc.empty() && j.state != "PENDING"; }

}  // namespace

std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs, std::int64_t now) {
  double pending = 0, running = 0;
  SampleMap by_state, part_jobs, part_pending_jobs, part_pending_cpus, part_pending_mem,
      part_oldest;
  for (const char* s : kJobStates) by_state[{s}] = 0;
  SampleMap user_count, user_cpus, user_mem;
  SampleMap acct_count, acct_cpus, acct_mem;
  SampleMap part_count, reasons;
  SampleMap user_gpus, acct_gpus, part_pending_gpus;
  Histograms pending_wait(kWaitBuckets);

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
    part_pending_gpus.try_emplace({j.partition}, 0);
    pending_wait.touch({j.partition});
    if (holds_gpus(j)) {
      for (const auto& g : j.gres_alloc) {
        if (g.name != "gpu" || g.count == 0) continue;
        user_gpus[{j.user, g.type}] += static_cast<double>(g.count);
        acct_gpus[{j.account, g.type}] += static_cast<double>(g.count);
      }
    }
    if (j.state == "PENDING") {
      part_pending_gpus[{j.partition}] += tasks * static_cast<double>(j.gpus_requested);
      // Waiting since it became eligible; held, dependent and --begin jobs are not waiting.
      if (j.eligible_time > 0 && j.eligible_time <= now) {
        pending_wait.observe({j.partition}, static_cast<double>(now - j.eligible_time), tasks);
      }
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
  out.push_back(gauge("slurm_partition_pending_gpus",
                      "GPUs requested by pending jobs per partition, however they asked (--gpus, "
                      "--gres, --gpus-per-node × nodes, --gpus-per-task × tasks; slurm_load_jobs "
                      "tres_per_*; squeue tres-per-*)",
                      {"partition"}, part_pending_gpus));
  out.push_back(gauge("slurm_user_gpus_allocated",
                      "GPUs held by started jobs per user and GPU type; only users holding GPUs "
                      "(slurm_load_jobs gres_total; scontrol -d show job JOB_GRES)",
                      {"username", "type"}, user_gpus));
  out.push_back(gauge("slurm_account_gpus_allocated",
                      "GPUs held by started jobs per account and GPU type; only accounts holding "
                      "GPUs (slurm_load_jobs gres_total; scontrol -d show job JOB_GRES)",
                      {"account", "type"}, acct_gpus));
  out.push_back(pending_wait.family(
      "slurm_pending_job_wait_seconds",
      "Gauge histogram of how long the pending jobs have been eligible to run, per partition: "
      "recomputed from the queue each poll, so buckets go down as jobs start; held jobs and "
      "jobs waiting on --begin or a dependency are not counted (now - slurm_load_jobs "
      "eligible_time; squeue EligibleTime)",
      {"partition"}));
  return out;
}

void StartedJobWaits::update(std::span<const slurm::Job> jobs) {
  std::set<std::pair<std::uint32_t, std::int64_t>> current;
  for (const auto& j : jobs) {
    if (j.state == "PENDING" || j.start_time <= 0 || j.eligible_time <= 0) continue;
    const std::pair key{j.job_id, j.start_time};
    current.insert(key);
    if (seen_.count(key)) continue;
    const auto wait = std::max<std::int64_t>(0, j.start_time - j.eligible_time);
    histograms_.observe({j.partition}, static_cast<double>(wait));
  }
  seen_ = std::move(current);
}

metrics::Family StartedJobWaits::family() const {
  return histograms_.family(
      "slurm_job_wait_seconds",
      "Time started jobs waited between becoming eligible and starting, per partition: each "
      "job observed once, in the first poll that sees it started (a requeued job again when it "
      "restarts); jobs that start and end between two polls are missed (slurm_load_jobs "
      "start_time - eligible_time; squeue StartTime - EligibleTime)",
      {"partition"});
}

}  // namespace slurm_exporter::collectors
