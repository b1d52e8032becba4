// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/vpenso.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;

namespace {

// vpenso's node families and the state prefix each one matches (its regular expressions).
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kNodeStates{{
    {"alloc", "alloc"},
    {"comp", "comp"},
    {"down", "down"},
    {"drain", "drain"},
    {"err", "err"},
    {"fail", "fail"},
    {"idle", "idle"},
    {"maint", "maint"},
    {"mix", "mix"},
    {"resv", "res"},
}};

// vpenso's queue families and the squeue state each counts.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kQueueStates{{
    {"pending", "PENDING"},
    {"running", "RUNNING"},
    {"suspended", "SUSPENDED"},
    {"cancelled", "CANCELLED"},
    {"completing", "COMPLETING"},
    {"completed", "COMPLETED"},
    {"configuring", "CONFIGURING"},
    {"failed", "FAILED"},
    {"timeout", "TIMEOUT"},
    {"preempted", "PREEMPTED"},
    {"node_fail", "NODE_FAIL"},
}};

// vpenso's partitions.go: CPUs per partition as `sinfo -o %R,%C` (a node in two partitions
// counts in both) and its pending jobs.
void partition_families(const slurm::NodeData& nodes, const slurm::JobData& jobs,
                        std::vector<metrics::Family>& out) {
  SampleMap alloc, idle, other, total, pending;
  std::map<std::string_view, const slurm::Node*> by_name;
  for (const auto& n : nodes.nodes) by_name.emplace(n.name, &n);
  for (const auto& p : nodes.partitions) {
    const std::vector<std::string> key{p.name};
    alloc[key] = idle[key] = other[key] = total[key] = pending[key] = 0;
    for (const auto& name : p.nodes) {
      const auto it = by_name.find(name);
      if (it == by_name.end()) continue;
      const slurm::Node& n = *it->second;
      alloc[key] += n.alloc_cpus;
      idle[key] += n.idle_cpus;
      other[key] += static_cast<double>(n.cpus) - n.alloc_cpus - n.idle_cpus;
      total[key] += n.cpus;
    }
  }
  for (const auto& j : jobs.jobs) {
    if (j.state != "PENDING") continue;
    // A job pending in "a,b" counts in each (vpenso's lookup of "a,b" found nothing).
    for (std::size_t at = 0; at <= j.partition.size();) {
      const std::size_t comma = std::min(j.partition.find(',', at), j.partition.size());
      const auto it = pending.find({j.partition.substr(at, comma - at)});
      if (it != pending.end()) it->second += j.task_count;
      at = comma + 1;
    }
  }
  const auto add = [&](const char* name, const char* help, const SampleMap& m) {
    out.push_back(gauge(name, help, {"partition"}, m));
  };
  add("slurm_partition_cpus_allocated", "Allocated CPUs of the partition's nodes (vpenso name)",
      alloc);
  add("slurm_partition_cpus_idle", "Idle CPUs of the partition's nodes (vpenso name)", idle);
  add("slurm_partition_cpus_other",
      "CPUs of the partition's nodes neither allocated nor idle (vpenso name)", other);
  add("slurm_partition_cpus_total", "CPUs of the partition's nodes (vpenso name)", total);
  add("slurm_partition_jobs_pending",
      "Pending jobs of the partition, array tasks one by one (vpenso name)", pending);
}

// vpenso's node.go: per node, labelled with its sinfo state (StateLong), the CPUs as `sinfo %C`
// splits them and the memory, in bytes (vpenso: sinfo's megabytes).
void node_families(const slurm::NodeData& nodes, std::vector<metrics::Family>& out) {
  SampleMap alloc, idle, other, total, mem_alloc, mem_total;
  for (const auto& n : nodes.nodes) {
    const std::vector<std::string> key{n.name, n.state_name};
    alloc[key] = n.alloc_cpus;
    idle[key] = n.idle_cpus;
    other[key] = static_cast<double>(n.cpus) - n.alloc_cpus - n.idle_cpus;
    total[key] = n.cpus;
    mem_alloc[key] = static_cast<double>(n.alloc_memory_bytes);
    mem_total[key] = static_cast<double>(n.real_memory_bytes);
  }
  const auto add = [&](const char* name, const char* help, const SampleMap& m) {
    out.push_back(gauge(name, help, {"node", "status"}, m));
  };
  add("slurm_node_cpu_alloc", "Allocated CPUs of the node (sinfo %C; vpenso name)", alloc);
  add("slurm_node_cpu_idle", "Idle CPUs of the node (sinfo %C; vpenso name)", idle);
  add("slurm_node_cpu_other", "CPUs of the node neither allocated nor idle (sinfo %C; vpenso name)",
      other);
  add("slurm_node_cpu_total", "CPUs of the node (sinfo %C; vpenso name)", total);
  add("slurm_node_mem_alloc",
      "Memory allocated to jobs on the node, bytes (vpenso name; vpenso: megabytes)", mem_alloc);
  add("slurm_node_mem_total",
      "Configured memory of the node, bytes (vpenso name; vpenso: megabytes)", mem_total);
}

// vpenso's users.go / accounts.go: pending, running and suspended jobs and the running jobs'
// CPUs, per user or account, for those with a job in one of the three states.
void owner_families(const slurm::JobData& jobs, std::string_view label,
                    std::string slurm::Job::*owner, std::vector<metrics::Family>& out) {
  SampleMap pending, running, cpus, suspended;
  for (const auto& j : jobs.jobs) {
    const bool p = j.state == "PENDING", r = j.state == "RUNNING", s = j.state == "SUSPENDED";
    if (!p && !r && !s) continue;
    const std::vector<std::string> key{j.*owner};
    pending[key] += p ? j.task_count : 0;
    running[key] += r ? j.task_count : 0;
    cpus[key] += r ? static_cast<double>(j.cpus) * j.task_count : 0;
    suspended[key] += s ? j.task_count : 0;
  }
  const std::string l(label);
  const std::string prefix = "slurm_" + l;
  out.push_back(
      gauge(prefix + "_jobs_pending", "Pending jobs of the " + l + " (vpenso name)", {l}, pending));
  out.push_back(
      gauge(prefix + "_jobs_running", "Running jobs of the " + l + " (vpenso name)", {l}, running));
  out.push_back(gauge(prefix + "_cpus_running",
                      "CPUs of the " + l + "'s running jobs (vpenso name)", {l}, cpus));
  out.push_back(gauge(prefix + "_jobs_suspended", "Suspended jobs of the " + l + " (vpenso name)",
                      {l}, suspended));
}

}  // namespace

std::vector<metrics::Family> collect_vpenso(const slurm::NodeData& nodes,
                                            const slurm::JobData& jobs) {
  std::array<double, kNodeStates.size()> node_count{};
  double cpus_alloc = 0, cpus_idle = 0, cpus_total = 0, gpus_total = 0, gpus_alloc = 0;
  double gpus_other = 0;
  for (const auto& n : nodes.nodes) {
    for (std::size_t i = 0; i < kNodeStates.size(); ++i) {
      if (n.state_name.starts_with(kNodeStates[i].second)) ++node_count[i];
    }
    cpus_alloc += n.alloc_cpus;
    cpus_idle += n.idle_cpus;
    cpus_total += n.cpus;
    double total = 0, alloc = 0;
    for (const auto& g : n.gres) {
      if (g.name == "gpu") total += static_cast<double>(g.count);
    }
    for (const auto& g : n.gres_used) {
      if (g.name == "gpu") alloc += static_cast<double>(g.count);
    }
    gpus_total += total;
    gpus_alloc += alloc;
    // A node whose free CPUs sinfo counts as "other" (drained, down, failed …) cannot take a
    // job: its free GPUs are "other" too, as dashboard 4323's later revision reads them.
    if (n.cpus > n.alloc_cpus + n.idle_cpus) gpus_other += std::max(0.0, total - alloc);
  }
  std::array<double, kQueueStates.size()> queue{};
  double pending_dependency = 0;
  for (const auto& j : jobs.jobs) {
    for (std::size_t i = 0; i < kQueueStates.size(); ++i) {
      if (j.state == kQueueStates[i].second) queue[i] += j.task_count;
    }
    if (j.state == "PENDING" && j.reason == "Dependency") pending_dependency += j.task_count;
  }

  std::vector<metrics::Family> out;
  for (std::size_t i = 0; i < kNodeStates.size(); ++i) {
    out.push_back(gauge(std::string("slurm_nodes_") + std::string(kNodeStates[i].first),
                        "Nodes whose sinfo state starts with \"" +
                            std::string(kNodeStates[i].second) + "\" (vpenso name)",
                        node_count[i]));
  }
  for (std::size_t i = 0; i < kQueueStates.size(); ++i) {
    out.push_back(gauge(std::string("slurm_queue_") + std::string(kQueueStates[i].first),
                        "Jobs in state " + std::string(kQueueStates[i].second) +
                            ", array tasks one by one (vpenso name)",
                        queue[i]));
  }
  out.push_back(gauge("slurm_queue_pending_dependency",
                      "Pending jobs waiting for a dependency (vpenso name)", pending_dependency));
  out.push_back(gauge("slurm_cpus_alloc", "Allocated CPUs (sinfo %C; vpenso name)", cpus_alloc));
  out.push_back(gauge("slurm_cpus_other",
                      "CPUs neither allocated nor idle: drained or down nodes (sinfo %C; vpenso "
                      "name)",
                      cpus_total - cpus_alloc - cpus_idle));
  out.push_back(gauge("slurm_gpus_alloc", "Allocated GPUs (vpenso name)", gpus_alloc));
  out.push_back(gauge("slurm_gpus_idle",
                      "GPUs not allocated on nodes that can take jobs (vpenso name)",
                      gpus_total - gpus_alloc - gpus_other));
  out.push_back(gauge("slurm_gpus_other",
                      "GPUs not allocated on nodes that cannot take jobs: drained, down, failed "
                      "(vpenso name)",
                      gpus_other));
  out.push_back(gauge("slurm_gpus_total", "Configured GPUs (vpenso name)", gpus_total));
  out.push_back(gauge("slurm_gpus_utilization",
                      "Allocated GPUs / configured, 0 without GPUs "
                      "(vpenso name)",
                      gpus_total > 0 ? gpus_alloc / gpus_total : 0));
  node_families(nodes, out);
  partition_families(nodes, jobs, out);
  owner_families(jobs, "user", &slurm::Job::user, out);
  owner_families(jobs, "account", &slurm::Job::account, out);
  return out;
}

std::vector<metrics::Family> collect_vpenso_scheduler(const slurm::SchedulerStats& s) {
  const auto d = [](auto v) { return static_cast<double>(v); };
  const std::int64_t minutes = (s.req_time - s.req_time_start) / 60;
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_scheduler_queue_size", "Agent queue size (sdiag; vpenso name)",
                      d(s.agent_queue_size)));
  out.push_back(gauge("slurm_scheduler_dbd_queue_size", "DBD agent queue size (sdiag; vpenso name)",
                      d(s.dbd_agent_queue_size)));
  out.push_back(gauge("slurm_scheduler_last_cycle",
                      "Last scheduling cycle, microseconds (sdiag; vpenso name)",
                      d(s.schedule_cycle_last_us)));
  out.push_back(gauge("slurm_scheduler_mean_cycle",
                      "Mean scheduling cycle, microseconds (sdiag; vpenso name)",
                      d(s.schedule_cycle_mean_us)));
  out.push_back(gauge("slurm_scheduler_cycle_per_minute",
                      "Scheduling cycles per minute since the statistics were reset (sdiag "
                      "Cycles per minute; vpenso name)",
                      minutes > 0
                          ? d(s.schedule_cycle_counter / static_cast<std::uint64_t>(minutes))
                          : d(s.schedule_cycle_counter)));
  out.push_back(gauge("slurm_scheduler_backfill_last_cycle",
                      "Last backfill cycle, microseconds (sdiag; vpenso name)",
                      d(s.bf_cycle_last_us)));
  out.push_back(gauge("slurm_scheduler_backfill_mean_cycle",
                      "Mean backfill cycle, microseconds (sdiag; vpenso name)",
                      d(s.bf_cycle_mean_us)));
  out.push_back(gauge("slurm_scheduler_backfill_depth_mean",
                      "Mean backfill depth (sdiag; vpenso name)", d(s.bf_depth_mean)));
  out.push_back(gauge("slurm_scheduler_backfilled_jobs_since_start_total",
                      "Jobs started by backfill since slurmctld started (sdiag; vpenso name)",
                      d(s.bf_backfilled_jobs)));
  out.push_back(gauge("slurm_scheduler_backfilled_jobs_since_cycle_total",
                      "Jobs started by backfill since the statistics were reset (sdiag; vpenso "
                      "name)",
                      d(s.bf_last_backfilled_jobs)));
  out.push_back(gauge("slurm_scheduler_backfilled_heterogeneous_total",
                      "Heterogeneous job components started by backfill (sdiag; vpenso name)",
                      d(s.bf_backfilled_het_jobs)));
  return out;
}

}  // namespace slurm_exporter::collectors
