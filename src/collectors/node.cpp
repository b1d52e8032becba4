// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/node.hpp"

#include <string>

#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;

std::vector<metrics::Family> collect_node(const slurm::NodeData& data) {
  SampleMap cpus, alloc_cpus, mem, alloc_mem, free_mem, load, state, info, gpus, gpus_alloc;
  for (const auto& n : data.nodes) {
    cpus[{n.name}] = n.cpus;
    alloc_cpus[{n.name}] = n.alloc_cpus;
    mem[{n.name}] = static_cast<double>(n.real_memory_bytes);
    alloc_mem[{n.name}] = static_cast<double>(n.alloc_memory_bytes);
    free_mem[{n.name}] = static_cast<double>(n.free_memory_bytes);
    load[{n.name}] = n.cpu_load;
    state[{n.name, std::string(slurm::primary_state(n.state, n.alloc_cpus, n.cpus))}] = 1;
    std::string partitions;
    for (const auto& p : n.partitions) {
      if (!partitions.empty()) partitions += ',';
      partitions += p;
    }
    info[{n.name, n.state_name, partitions, n.features, n.arch}] = 1;
    for (const auto& g : n.gres) {
      if (g.name != "gpu") continue;
      gpus[{n.name, g.type}] += static_cast<double>(g.count);
      gpus_alloc.try_emplace({n.name, g.type}, 0);
    }
    for (const auto& g : n.gres_used) {
      if (g.name == "gpu" && g.count) gpus_alloc[{n.name, g.type}] += static_cast<double>(g.count);
    }
  }
  std::vector<metrics::Family> out;
  out.reserve(8);
  out.push_back(gauge("slurm_node_cpus",
                      "Configured CPUs of the node (slurm_load_node cpus; sinfo %C total)",
                      {"node"}, cpus));
  out.push_back(gauge("slurm_node_cpus_allocated",
                      "CPUs of the node allocated to jobs (scontrol CPUAlloc; sinfo %C allocated)",
                      {"node"}, alloc_cpus));
  out.push_back(gauge("slurm_node_memory_bytes",
                      "Configured memory of the node in bytes (scontrol RealMemory; sinfo %m)",
                      {"node"}, mem));
  out.push_back(gauge("slurm_node_memory_allocated_bytes",
                      "Memory of the node allocated to jobs in bytes (scontrol AllocMem)", {"node"},
                      alloc_mem));
  out.push_back(
      gauge("slurm_node_memory_free_bytes",
            "Free memory of the node in bytes, 0 when unknown (scontrol FreeMem; sinfo %e)",
            {"node"}, free_mem));
  out.push_back(gauge("slurm_node_cpu_load",
                      "Load average of the node, 0 when unknown (scontrol CPULoad; sinfo %O)",
                      {"node"}, load));
  out.push_back(gauge("slurm_node_state",
                      "1 for the node's primary state (one of slurm_nodes' states; from "
                      "slurm_load_node node_state and allocated CPUs)",
                      {"node", "state"}, state));
  out.push_back(gauge("slurm_node_info",
                      "Node information, always 1: state as sinfo -N %T prints it, partitions "
                      "comma-joined in Slurm's order, features (sinfo %f) and arch (scontrol Arch)",
                      {"node", "state", "partitions", "features", "arch"}, info));
  out.push_back(gauge("slurm_node_gpus",
                      "Configured GPUs of the node per GPU type; only nodes with GPUs "
                      "(slurm_load_node gres; scontrol show node Gres)",
                      {"node", "type"}, gpus));
  out.push_back(gauge("slurm_node_gpus_allocated",
                      "GPUs of the node allocated to jobs per GPU type; only nodes with GPUs "
                      "(slurm_load_node gres_used; sinfo GresUsed)",
                      {"node", "type"}, gpus_alloc));
  append_node_gres_families(data, out);
  return out;
}

void append_node_gres_families(const slurm::NodeData& data, std::vector<metrics::Family>& out) {
  SampleMap gres, gres_alloc;
  for (const auto& n : data.nodes) {
    for (const auto& g : n.gres) {
      gres[{n.name, g.name, g.type}] += static_cast<double>(g.count);
      gres_alloc.try_emplace({n.name, g.name, g.type}, 0);
    }
    for (const auto& g : n.gres_used) {
      if (g.count) gres_alloc[{n.name, g.name, g.type}] += static_cast<double>(g.count);
    }
  }
  out.push_back(gauge("slurm_node_gres",
                      "Configured generic resources of the node per GRES name and type, GPUs "
                      "included, in Slurm's count; only nodes with GRES (slurm_load_node gres; "
                      "scontrol show node Gres)",
                      {"node", "name", "type"}, gres));
  out.push_back(gauge("slurm_node_gres_allocated",
                      "Generic resources of the node allocated to jobs per GRES name and type; "
                      "only nodes with GRES (slurm_load_node gres_used; sinfo GresUsed)",
                      {"node", "name", "type"}, gres_alloc));
}

std::vector<metrics::Family> collect_node_reasons(const slurm::NodeData& data) {
  SampleMap info, since;
  for (const auto& n : data.nodes) {
    if (n.reason.empty()) continue;
    info[{n.name, n.reason, n.reason_user}] = 1;
    if (n.reason_time != 0) since[{n.name}] = static_cast<double>(n.reason_time);
  }
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_node_reason_info",
                      "Why the node is unavailable and who said so, always 1; only nodes with a "
                      "reason (scontrol show node Reason=REASON [USER@TIME]; sinfo %E %u)",
                      {"node", "reason", "user"}, info));
  out.push_back(gauge("slurm_node_reason_timestamp_seconds",
                      "When the node's reason was set, unix seconds; only nodes with a reason "
                      "whose time Slurm knows (scontrol show node Reason [USER@TIME]; sinfo %H)",
                      {"node"}, since));
  return out;
}

}  // namespace slurm_exporter::collectors
