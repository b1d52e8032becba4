// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/jobs.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>

#include "slurm_exporter/collectors/detail/histogram.hpp"
#include "slurm_exporter/collectors/detail/partitions.hpp"
#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"

namespace slurm_exporter::collectors {
using detail::for_each_partition;
using detail::gauge;
using detail::Histograms;
using detail::legacy_untyped;
using detail::SampleMap;

namespace {

// Started jobs hold GRES from their allocation; pending ones hold none.
bool holds_gpus(const slurm::Job& j) { return !j.gres_alloc.empty() && j.state != "PENDING"; }

// Jobs with the same labels, summed first: 50,000 jobs fall into a few hundred groups, and each
// group then costs the label-keyed map updates one job used to (dozens of allocations each).
// Every input is an integer, so the sums are exact whatever the order while they stay below
// 2^53 (8 PiB of memory bytes); past that, rounding differs only in the last bits.
struct GroupKey {
  std::string_view user, account, partition, state, reason;  // reason: pending jobs only
  bool operator==(const GroupKey&) const = default;
};
struct GroupKeyHash {
  std::size_t operator()(const GroupKey& k) const {
    std::size_t h = 0;
    for (std::string_view part : {k.user, k.account, k.partition, k.state, k.reason}) {
      h = h * 31 + std::hash<std::string_view>{}(part);
    }
    return h;
  }
};
struct Group {
  double tasks = 0, cpus = 0, mem = 0, gpus_requested = 0;
};
// Everything collect_jobs exports, summed over the groups.
struct Tallies {
  double pending = 0, running = 0;
  SampleMap by_state, part_jobs, part_pending_jobs, part_pending_cpus, part_pending_mem;
  SampleMap user_count, user_cpus, user_mem;
  SampleMap acct_count, acct_cpus, acct_mem;
  SampleMap acct_alloc_cpus, acct_alloc_mem;  // rivosinc's {account} sums
  SampleMap part_count, reasons;
  SampleMap user_gpus, acct_gpus, part_pending_gpus;
};
using Groups = std::unordered_map<GroupKey, Group, GroupKeyHash>;

void zero_fill(SampleMap& m, const std::string& key) {
  for (const char* s : kUsualJobStates) m.try_emplace({key, s}, 0);
}

// The grouping pass; GPUs held are summed per job here, per user and account.
Groups group_jobs(std::span<const slurm::Job> jobs, Tallies& t) {
  Groups groups;
  for (const auto& j : jobs) {
    if (slurm::is_final_job_state(j.state)) continue;  // slurm_jobs_finished_total's
    const bool is_pending = j.state == "PENDING";
    Group& g = groups[{j.user, j.account, j.partition, j.state,
                       is_pending ? std::string_view(j.reason) : std::string_view()}];
    const auto tasks = static_cast<double>(j.task_count);
    g.tasks += tasks;
    g.cpus += tasks * j.cpus;
    g.mem += tasks * static_cast<double>(j.memory_bytes);
    g.gpus_requested += tasks * static_cast<double>(j.gpus_requested);
    if (holds_gpus(j)) {
      for (const auto& gres : j.gres_alloc) {
        if (gres.name != "gpu" || gres.count == 0) continue;
        t.user_gpus[{j.user, gres.type}] += static_cast<double>(gres.count);
        t.acct_gpus[{j.account, gres.type}] += static_cast<double>(gres.count);
      }
    }
  }
  return groups;
}

// One group into the per user/account/partition and per-partition pending sums.
void tally_group(const GroupKey& key, const Group& g, Tallies& t) {
  const std::string user(key.user), account(key.account), partition(key.partition),
      state(key.state);
  // Plain copies: clang 14 cannot capture a structured binding in the lambda below.
  const double tasks = g.tasks, cpus = g.cpus, mem = g.mem, gpus = g.gpus_requested;
  if (state == "PENDING") {
    t.pending += tasks;
    t.reasons[{std::string(key.reason)}] += tasks;
  } else if (state == "RUNNING") {
    t.running += tasks;
  }
  for (SampleMap* m : {&t.user_count, &t.user_cpus, &t.user_mem}) zero_fill(*m, user);
  for (SampleMap* m : {&t.acct_count, &t.acct_cpus, &t.acct_mem}) zero_fill(*m, account);
  zero_fill(t.part_count, partition);
  t.user_count[{user, state}] += tasks;
  t.user_cpus[{user, state}] += cpus;
  t.user_mem[{user, state}] += mem;
  t.acct_count[{account, state}] += tasks;
  t.acct_cpus[{account, state}] += cpus;
  t.acct_mem[{account, state}] += mem;
  t.acct_alloc_cpus.try_emplace({account}, 0);
  t.acct_alloc_mem.try_emplace({account}, 0);
  if (state != "PENDING") {
    t.acct_alloc_cpus[{account}] += cpus;
    t.acct_alloc_mem[{account}] += mem;
  }
  t.part_count[{partition, state}] += tasks;

  t.by_state[{state}] += tasks;
  // This project's partition families: a job pending in "a,b" counts in a and in b.
  for_each_partition(partition, [&](std::string_view one) {
    const std::string p(one);
    zero_fill(t.part_jobs, p);
    t.part_jobs[{p, state}] += tasks;
    t.part_pending_jobs.try_emplace({p}, 0);
    t.part_pending_cpus.try_emplace({p}, 0);
    t.part_pending_mem.try_emplace({p}, 0);
    t.part_pending_gpus.try_emplace({p}, 0);
    if (state == "PENDING") {
      t.part_pending_gpus[{p}] += gpus;
      t.part_pending_jobs[{p}] += tasks;
      t.part_pending_cpus[{p}] += cpus;
      t.part_pending_mem[{p}] += mem;
    }
  });
}

// Totals and the per user, account, partition and reason families.
void add_owner_families(std::vector<metrics::Family>& out, const Tallies& t) {
  out.push_back(gauge("slurm_jobs_pending",
                      "Pending jobs, array tasks counted individually (squeue -r %T)", t.pending));
  out.push_back(gauge("slurm_jobs_running",
                      "Running jobs, array tasks counted individually (squeue -r %T)", t.running));
  out.push_back(legacy_untyped(gauge("slurm_user_state_total",
                                     "Jobs per user and job state (squeue -r %u %T)",
                                     {"username", "state"}, t.user_count)));
  out.push_back(gauge("slurm_user_cpu_alloc", "CPUs of jobs per user and job state (squeue -r %C)",
                      {"username", "state"}, t.user_cpus));
  out.push_back(gauge("slurm_user_mem_alloc",
                      "Memory of jobs per user and job state in bytes (allocated TRES mem, "
                      "requested while pending)",
                      {"username", "state"}, t.user_mem));
  out.push_back(legacy_untyped(gauge("slurm_account_job_state_total",
                                     "Jobs per account and job state (squeue -r %a %T)",
                                     {"account", "state"}, t.acct_count)));
  out.push_back(gauge("slurm_account_job_state_cpu_alloc",
                      "CPUs of jobs per account and job state (squeue -r %C)", {"account", "state"},
                      t.acct_cpus));
  out.push_back(gauge("slurm_account_job_state_mem_alloc",
                      "Memory of jobs per account and job state in bytes (allocated TRES mem, "
                      "requested while pending)",
                      {"account", "state"}, t.acct_mem));
  out.push_back(gauge("slurm_account_cpu_alloc",
                      "CPUs held by the account's jobs that are not pending (rivosinc name)",
                      {"account"}, t.acct_alloc_cpus));
  out.push_back(gauge("slurm_account_mem_alloc",
                      "Memory held by the account's jobs that are not pending, bytes (rivosinc "
                      "name; its CLI fallback exported MB x 1e6)",
                      {"account"}, t.acct_alloc_mem));
  out.push_back(legacy_untyped(gauge("slurm_partition_job_state_total",
                                     "Jobs per partition and job state (squeue -r %P %T)",
                                     {"partition", "state"}, t.part_count)));
  out.push_back(
      legacy_untyped(gauge("slurm_pending_reason_total", "Pending jobs per reason (squeue -r %r)",
                           {"reason"}, t.reasons)));
}

// Per-state, per-partition pending and GPU families.
void add_partition_families(std::vector<metrics::Family>& out, const Tallies& t) {
  out.push_back(gauge("slurm_jobs",
                      "Jobs in the queue in each state, array tasks counted individually; "
                      "finished jobs are in slurm_jobs_finished_total (slurm_load_jobs "
                      "job_state; squeue -r State)",
                      {"state"}, t.by_state));
  out.push_back(gauge("slurm_partition_jobs",
                      "Jobs in the queue per partition and state, array tasks counted "
                      "individually; a job pending in several partitions counts in each "
                      "(slurm_load_jobs partition, job_state; squeue -r Partition, State)",
                      {"partition", "state"}, t.part_jobs));
  out.push_back(gauge("slurm_partition_pending_jobs",
                      "Pending jobs per partition, array tasks counted individually; a job "
                      "pending in several partitions counts in each (squeue -r -t PENDING "
                      "Partition)",
                      {"partition"}, t.part_pending_jobs));
  out.push_back(gauge("slurm_partition_pending_cpus",
                      "CPUs requested by pending jobs per partition; a job pending in several "
                      "partitions counts in each (slurm_load_jobs num_cpus; squeue -r NumCPUs)",
                      {"partition"}, t.part_pending_cpus));
  out.push_back(gauge("slurm_partition_pending_memory_bytes",
                      "Memory requested by pending jobs per partition in bytes; a job pending in "
                      "several partitions counts in each (slurm_load_jobs tres_req_str mem; "
                      "squeue -r tres-alloc mem)",
                      {"partition"}, t.part_pending_mem));
  out.push_back(gauge("slurm_partition_pending_gpus",
                      "GPUs requested by pending jobs per partition, however they asked (--gpus, "
                      "--gres, --gpus-per-node × nodes, --gpus-per-task × tasks); a job pending "
                      "in several partitions counts in each (slurm_load_jobs tres_per_*; squeue "
                      "tres-per-*)",
                      {"partition"}, t.part_pending_gpus));
  out.push_back(gauge("slurm_user_gpus_allocated",
                      "GPUs held by started jobs per user and GPU type; only users holding GPUs "
                      "(slurm_load_jobs gres_total; scontrol -d show job JOB_GRES)",
                      {"username", "type"}, t.user_gpus));
  out.push_back(gauge("slurm_account_gpus_allocated",
                      "GPUs held by started jobs per account and GPU type; only accounts holding "
                      "GPUs (slurm_load_jobs gres_total; scontrol -d show job JOB_GRES)",
                      {"account", "type"}, t.acct_gpus));
}

}  // namespace

std::vector<metrics::Family> collect_jobs(std::span<const slurm::Job> jobs) {
  Tallies t;
  for (const char* s : kJobStates) t.by_state[{s}] = 0;
  const Groups groups = group_jobs(jobs, t);
  for (const auto& [key, g] : groups) tally_group(key, g, t);
  std::vector<metrics::Family> out;
  out.reserve(16);
  add_owner_families(out, t);
  add_partition_families(out, t);
  return out;
}

void PendingAges::take(std::span<const slurm::Job> jobs) {
  // Per partition seen, the pending jobs that may be its oldest eligible one at some later
  // "now": in order of eligibility, each kept only when it was submitted before every job of
  // that partition that became eligible no later (usually a handful per partition).
  std::map<std::string_view, std::vector<std::pair<std::int64_t, std::int64_t>>> by_partition;
  for (const auto& j : jobs) {
    if (slurm::is_final_job_state(j.state)) continue;
    for_each_partition(j.partition, [&](std::string_view p) {
      auto& c = by_partition[p];
      if (j.state == "PENDING" && j.eligible_time > 0 && j.submit_time > 0) {
        c.emplace_back(j.eligible_time, j.submit_time);
      }
    });
  }
  oldest_.clear();
  for (auto& [partition, candidates] : by_partition) {
    std::sort(candidates.begin(), candidates.end());
    Partition kept{std::string(partition), {}};
    for (const auto& c : candidates) {
      if (kept.candidates.empty() || c.second < kept.candidates.back().second) {
        kept.candidates.push_back(c);
      }
    }
    oldest_.push_back(std::move(kept));
  }
  waits_ = PendingWaits(jobs);
}

void PendingAges::update(const Inputs& in, std::int64_t /*now*/) { take(in.jobs().jobs); }

std::vector<metrics::Family> PendingAges::collect(std::int64_t now) const {
  SampleMap part_oldest;
  for (const auto& [partition, candidates] : oldest_) {
    // The oldest submit time among the jobs eligible by `now`: candidates are in order of
    // eligibility with falling submit times, so the last one eligible by now.
    std::int64_t submit = 0;
    for (const auto& [eligible_time, submit_time] : candidates) {
      if (eligible_time > now) break;
      submit = submit_time;
    }
    // A submit time in the future (clock skew) counts as no wait.
    part_oldest[{partition}] =
        submit > 0 ? static_cast<double>(std::max<std::int64_t>(0, now - submit)) : 0.0;
  }
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_partition_oldest_pending_job_seconds",
                      "Seconds since the oldest pending job of the partition that is eligible to "
                      "start was submitted, 0 when none; held jobs and jobs waiting on a "
                      "dependency or a future --begin are not counted; a job pending in several "
                      "partitions counts in each (slurm_load_jobs submit_time, eligible_time; "
                      "squeue SubmitTime, EligibleTime)",
                      {"partition"}, part_oldest));
  out.push_back(waits_.family(now));
  return out;
}

PendingWaits::PendingWaits(std::span<const slurm::Job> jobs) {
  std::map<std::string_view, std::uint32_t> index;
  for (const auto& j : jobs) {
    if (slurm::is_final_job_state(j.state)) continue;
    for_each_partition(j.partition, [&](std::string_view p) {
      auto [it, added] = index.try_emplace(p, 0);
      if (added) {
        it->second = static_cast<std::uint32_t>(partitions_.size());
        partitions_.emplace_back(p);
      }
      // Waiting since it became eligible; held and dependent jobs (0) are not waiting.
      if (j.state == "PENDING" && j.eligible_time > 0) {
        waits_.push_back({it->second, j.eligible_time, static_cast<double>(j.task_count)});
      }
    });
  }
}

metrics::Family PendingWaits::family(std::int64_t now) const {
  Histograms h(kWaitBuckets);
  for (const auto& p : partitions_) h.touch({p});
  for (const auto& w : waits_) {
    // A --begin in the future: not waiting yet.
    if (w.eligible_time > now) continue;
    h.observe({partitions_[w.partition]}, static_cast<double>(now - w.eligible_time), w.tasks);
  }
  return h.family(std::string(kPendingWaitFamily),
                  "Gauge histogram of how long the pending jobs have been eligible to run, per "
                  "partition: recomputed from the queue each poll, so buckets go down as jobs "
                  "start; held jobs and jobs waiting on --begin or a dependency are not "
                  "counted; a job pending in several partitions counts in each "
                  "(now - slurm_load_jobs eligible_time; squeue EligibleTime)",
                  {"partition"});
}

void StartedJobWaits::update(std::span<const slurm::Job> jobs) {
  std::set<std::pair<std::uint32_t, std::int64_t>> current;
  for (const auto& j : jobs) {
    if (j.state == "PENDING" || j.start_time <= 0 || j.eligible_time <= 0 ||
        slurm::is_final_job_state(j.state)) {
      continue;
    }
    const std::pair key{j.job_id, j.start_time};
    current.insert(key);
    if (seen_.count(key)) continue;
    const auto wait = std::max<std::int64_t>(0, j.start_time - j.eligible_time);
    for_each_partition(j.partition, [&](std::string_view p) {
      histograms_.observe({std::string(p)}, static_cast<double>(wait));
    });
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
