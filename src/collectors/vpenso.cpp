// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/vpenso.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;

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

}  // namespace

std::vector<metrics::Family> collect_vpenso(const slurm::NodeData& nodes,
                                            const slurm::JobData& jobs) {
  std::array<double, kNodeStates.size()> node_count{};
  double cpus_alloc = 0, cpus_idle = 0, cpus_total = 0, gpus_total = 0, gpus_alloc = 0;
  for (const auto& n : nodes.nodes) {
    for (std::size_t i = 0; i < kNodeStates.size(); ++i) {
      if (n.state_name.starts_with(kNodeStates[i].second)) ++node_count[i];
    }
    cpus_alloc += n.alloc_cpus;
    cpus_idle += n.idle_cpus;
    cpus_total += n.cpus;
    for (const auto& g : n.gres) {
      if (g.name == "gpu") gpus_total += static_cast<double>(g.count);
    }
    for (const auto& g : n.gres_used) {
      if (g.name == "gpu") gpus_alloc += static_cast<double>(g.count);
    }
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
  out.push_back(
      gauge("slurm_gpus_idle", "GPUs not allocated (vpenso name)", gpus_total - gpus_alloc));
  out.push_back(gauge("slurm_gpus_total", "Configured GPUs (vpenso name)", gpus_total));
  out.push_back(gauge("slurm_gpus_utilization",
                      "Allocated GPUs / configured, 0 without GPUs "
                      "(vpenso name)",
                      gpus_total > 0 ? gpus_alloc / gpus_total : 0));
  return out;
}

}  // namespace slurm_exporter::collectors
