// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/nodes.hpp"

#include <array>
#include <limits>
#include <map>
#include <string_view>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

namespace {

// Cluster totals and every label-keyed family collect_nodes fills from the nodes.
struct NodeTallies {
  double cpus_total = 0, cpus_idle = 0, cpu_load = 0;
  double mem_real = 0, mem_alloc = 0, mem_free = 0;
  SampleMap cpus_per_state, nodes_per_state;
  SampleMap primary, flagged;
  SampleMap p_total, p_idle, p_real, p_free, p_load, p_weight;
  SampleMap p_alloc_cpus, p_alloc_mem, p_nodes;
};

void add_partition(NodeTallies& t, const std::string& p) {
  t.p_total.try_emplace({p}, 0);
  t.p_idle.try_emplace({p}, 0);
  t.p_real.try_emplace({p}, 0);
  t.p_free.try_emplace({p}, 0);
  t.p_load.try_emplace({p}, 0);
  t.p_weight.try_emplace({p}, 0);
  for (const char* s : kUsualNodeStates) {
    t.p_alloc_cpus.try_emplace({p, s}, 0);
    t.p_alloc_mem.try_emplace({p, s}, 0);
    t.p_nodes.try_emplace({p, s}, 0);
  }
}

void init_tallies(const slurm::NodeData& data, NodeTallies& t) {
  for (const char* s : kUsualNodeStates) {
    t.cpus_per_state[{s}] = 0;
    t.nodes_per_state[{s}] = 0;
  }
  for (const auto s : slurm::kPrimaryStates) t.primary[{std::string(s)}] = 0;
  for (const auto& f : slurm::kReportedFlags) t.flagged[{std::string(f.name)}] = 0;
  for (const auto& p : data.partitions) add_partition(t, p.name);
}

// Summed per state and per (partition, state) first, keyed by views into the nodes: the
// label-keyed sample maps are then updated once per group instead of ~80 times per node.
struct PerState {
  double cpus = 0, nodes = 0;
};
struct PerPartitionState {
  double total = 0, idle = 0, real = 0, free = 0, weight = 0, alloc = 0, used = 0, nodes = 0;
};
struct NodeSums {
  // Load averages are fractions: summed per partition in node order, as before, so the sums
  // stay bit-for-bit what a plain loop over the nodes gives.
  std::map<std::string_view, double> per_partition_load;
  std::map<std::string_view, PerState> per_state;
  std::map<std::pair<std::string_view, std::string_view>, PerPartitionState> per_partition;
  std::map<std::string_view, double> per_primary;
  std::array<double, slurm::kReportedFlags.size()> per_flag{};
};

// One pass over the nodes: cluster totals into t, everything else grouped into s.
void sum_nodes(const slurm::NodeData& data, NodeTallies& t, NodeSums& s) {
  for (const auto& n : data.nodes) {
    const auto cpus = static_cast<double>(n.cpus);
    const auto idle = static_cast<double>(n.idle_cpus);
    const auto alloc = static_cast<double>(n.alloc_cpus);
    const auto real = static_cast<double>(n.real_memory_bytes);
    const auto used = static_cast<double>(n.alloc_memory_bytes);
    const auto free = static_cast<double>(n.free_memory_bytes);
    t.cpus_total += cpus;
    t.cpus_idle += idle;
    t.cpu_load += n.cpu_load;
    t.mem_real += real;
    t.mem_alloc += used;
    t.mem_free += free;
    PerState& st = s.per_state[n.state_name];
    st.cpus += cpus;
    st.nodes += 1;
    s.per_primary[slurm::primary_state(n.state, n.alloc_cpus, n.cpus)] += 1;
    for (std::size_t i = 0; i < slurm::kReportedFlags.size(); ++i) {
      if (n.state & slurm::kReportedFlags[i].bits) s.per_flag[i] += 1;
    }
    for (const auto& p : n.partitions) {
      PerPartitionState& ps = s.per_partition[{p, n.state_name}];
      ps.total += cpus;
      ps.idle += idle;
      ps.real += real;
      ps.free += free;
      s.per_partition_load[p] += n.cpu_load;
      ps.weight += n.weight;
      ps.alloc += alloc;
      ps.used += used;
      ps.nodes += 1;
    }
  }
}

// The grouped sums into the per-state, primary, flag and per-partition families.
void fold_sums(const NodeSums& s, NodeTallies& t) {
  for (const auto& [state, st] : s.per_state) {
    t.cpus_per_state[{std::string(state)}] += st.cpus;
    t.nodes_per_state[{std::string(state)}] += st.nodes;
  }
  for (const auto& [state, count] : s.per_primary) t.primary[{std::string(state)}] += count;
  for (std::size_t i = 0; i < slurm::kReportedFlags.size(); ++i) {
    t.flagged[{std::string(slurm::kReportedFlags[i].name)}] += s.per_flag[i];
  }
  for (const auto& [key, ps] : s.per_partition) {
    const std::string p(key.first), state(key.second);
    add_partition(t, p);
    t.p_total[{p}] += ps.total;
    t.p_idle[{p}] += ps.idle;
    t.p_real[{p}] += ps.real;
    t.p_free[{p}] += ps.free;
    t.p_weight[{p}] += ps.weight;
    t.p_alloc_cpus[{p, state}] += ps.alloc;
    t.p_alloc_mem[{p, state}] += ps.used;
    t.p_nodes[{p, state}] += ps.nodes;
  }
  for (const auto& [p, load] : s.per_partition_load) t.p_load[{std::string(p)}] = load;
}

// Cluster totals and per-state families.
void add_cluster_families(std::vector<metrics::Family>& out, const NodeTallies& t) {
  out.push_back(legacy_untyped(
      gauge("slurm_cpus_total", "Total CPUs of all nodes (slurm_load_node cpus; sinfo %C total)",
            t.cpus_total)));
  out.push_back(gauge("slurm_cpus_idle",
                      "Idle CPUs of all nodes, none on drained or down nodes (sinfo %C idle)",
                      t.cpus_idle));
  out.push_back(gauge("slurm_cpu_load",
                      "Sum of the nodes' load averages (slurm_load_node cpu_load; sinfo %O)",
                      t.cpu_load));
  out.push_back(gauge("slurm_cpus_per_state",
                      "Total CPUs of the nodes in each state; state as sinfo -N %T prints it",
                      {"state"}, t.cpus_per_state));
  out.push_back(gauge("slurm_node_count_per_state",
                      "Nodes in each state; state as sinfo -N %T prints it", {"state"},
                      t.nodes_per_state));
  out.push_back(
      gauge("slurm_mem_real",
            "Configured memory of all nodes in bytes (slurm_load_node real_memory; sinfo %m)",
            t.mem_real));
  out.push_back(gauge("slurm_mem_alloc",
                      "Memory allocated to jobs on all nodes in bytes (slurm_load_node alloc "
                      "memory; scontrol AllocMem)",
                      t.mem_alloc));
  out.push_back(gauge(
      "slurm_mem_free",
      "Free memory of all nodes in bytes, N/A counted as 0 (slurm_load_node free_mem; sinfo %e)",
      t.mem_free));
}

// Per-partition CPU, memory, node, load and weight families.
void add_partition_load_families(std::vector<metrics::Family>& out, const NodeTallies& t) {
  out.push_back(gauge("slurm_partition_total_cpus",
                      "Total CPUs of the partition's nodes (sinfo %C total)", {"partition"},
                      t.p_total));
  out.push_back(gauge("slurm_partition_idle_cpus",
                      "Idle CPUs of the partition's nodes (sinfo %C idle)", {"partition"},
                      t.p_idle));
  out.push_back(
      gauge("slurm_partition_alloc_cpus",
            "Allocated CPUs of the partition's nodes, by node state (sinfo %C allocated, %T)",
            {"partition", "state"}, t.p_alloc_cpus));
  out.push_back(gauge("slurm_partition_real_mem",
                      "Configured memory of the partition's nodes in bytes (sinfo %m)",
                      {"partition"}, t.p_real));
  out.push_back(gauge("slurm_partition_free_mem",
                      "Free memory of the partition's nodes in bytes (sinfo %e)", {"partition"},
                      t.p_free));
  out.push_back(gauge("slurm_partition_alloc_mem",
                      "Allocated memory of the partition's nodes in bytes, by node state (scontrol "
                      "AllocMem, sinfo %T)",
                      {"partition", "state"}, t.p_alloc_mem));
  out.push_back(legacy_untyped(gauge("slurm_partition_node_count",
                                     "Nodes of the partition by node state (sinfo -N %T)",
                                     {"partition", "state"}, t.p_nodes)));
  out.push_back(gauge("slurm_partition_cpu_load",
                      "Sum of the load averages of the partition's nodes (sinfo %O)", {"partition"},
                      t.p_load));
  out.push_back(gauge("slurm_partition_weight",
                      "Sum of the scheduling weights of the partition's nodes (sinfo %w)",
                      {"partition"}, t.p_weight));
}

// Primary state and state flag families.
void add_state_families(std::vector<metrics::Family>& out, const NodeTallies& t) {
  out.push_back(gauge("slurm_nodes",
                      "Nodes in each primary state: every node counted once, by the precedence "
                      "documented in the README (slurm_load_node node_state and allocated CPUs; "
                      "sinfo -N %T, StateComplete)",
                      {"state"}, t.primary));
  out.push_back(gauge("slurm_nodes_flagged",
                      "Nodes carrying each state flag, a node counted under every flag it has "
                      "(slurm_load_node node_state flags; sinfo StateComplete)",
                      {"flag"}, t.flagged));
}

void add_partition_settings(const slurm::NodeData& data, std::vector<metrics::Family>& out) {
  // Partition settings; a partition whose settings the backend could not read (empty state)
  // has none of these series.
  SampleMap p_info, p_nodes_total, p_cpus_total, p_max_time;
  for (const auto& p : data.partitions) {
    if (p.state.empty()) continue;
    p_info[{p.name, p.state}] = 1;
    p_nodes_total[{p.name}] = static_cast<double>(p.total_nodes);
    p_cpus_total[{p.name}] = static_cast<double>(p.total_cpus);
    p_max_time[{p.name}] = p.max_time_seconds ? static_cast<double>(*p.max_time_seconds)
                                              : std::numeric_limits<double>::infinity();
  }
  out.push_back(gauge("slurm_partition_info",
                      "Partition state, 1 per partition (slurm_load_partitions state_up; "
                      "scontrol show partition State, lower case)",
                      {"partition", "state"}, p_info));
  out.push_back(gauge("slurm_partition_nodes",
                      "Nodes in the partition (slurm_load_partitions total_nodes; scontrol "
                      "TotalNodes)",
                      {"partition"}, p_nodes_total));
  out.push_back(gauge("slurm_partition_cpus",
                      "CPUs in the partition (slurm_load_partitions total_cpus; scontrol "
                      "TotalCPUs)",
                      {"partition"}, p_cpus_total));
  out.push_back(gauge("slurm_partition_max_time_seconds",
                      "Maximum job run time in the partition in seconds, +Inf when UNLIMITED "
                      "(slurm_load_partitions max_time; scontrol MaxTime)",
                      {"partition"}, p_max_time));
}

void add_gpu_families(const slurm::NodeData& data, std::vector<metrics::Family>& out) {
  // GPUs per type ("" for GPUs configured without a type). Every configured type gets an
  // allocated series, 0 when none is in use; a cluster without GPUs has no samples.
  SampleMap gpus, gpus_alloc, p_gpus, p_gpus_alloc;
  for (const auto& n : data.nodes) {
    for (const auto& g : n.gres) {
      if (g.name != "gpu") continue;
      gpus[{g.type}] += static_cast<double>(g.count);
      gpus_alloc.try_emplace({g.type}, 0);
      for (const auto& p : n.partitions) {
        p_gpus[{p, g.type}] += static_cast<double>(g.count);
        p_gpus_alloc.try_emplace({p, g.type}, 0);
      }
    }
    for (const auto& g : n.gres_used) {
      if (g.name != "gpu" || g.count == 0) continue;
      gpus_alloc[{g.type}] += static_cast<double>(g.count);
      for (const auto& p : n.partitions) p_gpus_alloc[{p, g.type}] += static_cast<double>(g.count);
    }
  }
  out.push_back(gauge("slurm_gpus",
                      "Configured GPUs per GPU type, type empty when untyped (slurm_load_node "
                      "gres; sinfo Gres, scontrol show node Gres=gpu:TYPE:COUNT)",
                      {"type"}, gpus));
  out.push_back(gauge("slurm_gpus_allocated",
                      "GPUs allocated to jobs per GPU type (slurm_load_node gres_used; sinfo "
                      "GresUsed)",
                      {"type"}, gpus_alloc));
  out.push_back(gauge("slurm_partition_gpus",
                      "Configured GPUs of the partition's nodes per GPU type (slurm_load_node "
                      "gres; sinfo Gres)",
                      {"partition", "type"}, p_gpus));
  out.push_back(gauge("slurm_partition_gpus_allocated",
                      "GPUs of the partition's nodes allocated to jobs, per GPU type "
                      "(slurm_load_node gres_used; sinfo GresUsed)",
                      {"partition", "type"}, p_gpus_alloc));
}

}  // namespace

std::vector<metrics::Family> collect_nodes(const slurm::NodeData& data) {
  NodeTallies t;
  init_tallies(data, t);
  {
    NodeSums s;
    sum_nodes(data, t, s);
    fold_sums(s, t);
  }
  std::vector<metrics::Family> out;
  out.reserve(19);
  add_cluster_families(out, t);
  add_partition_load_families(out, t);
  add_state_families(out, t);
  add_partition_settings(data, out);
  add_gpu_families(data, out);
  append_gres_families(data, out);
  return out;
}

void append_gres_families(const slurm::NodeData& data, std::vector<metrics::Family>& out) {
  // Every GRES by name and type, counted as Slurm counts it ("bandwidth:lustre:no_consume:4G"
  // is 4 × 1024³). Each configured name/type gets an allocated series, 0 when none is in use.
  SampleMap gres, gres_alloc, p_gres, p_gres_alloc;
  for (const auto& n : data.nodes) {
    for (const auto& g : n.gres) {
      gres[{g.name, g.type}] += static_cast<double>(g.count);
      gres_alloc.try_emplace({g.name, g.type}, 0);
      for (const auto& p : n.partitions) {
        p_gres[{p, g.name, g.type}] += static_cast<double>(g.count);
        p_gres_alloc.try_emplace({p, g.name, g.type}, 0);
      }
    }
    for (const auto& g : n.gres_used) {
      if (g.count == 0) continue;
      gres_alloc[{g.name, g.type}] += static_cast<double>(g.count);
      for (const auto& p : n.partitions) {
        p_gres_alloc[{p, g.name, g.type}] += static_cast<double>(g.count);
      }
    }
  }
  out.push_back(gauge("slurm_gres",
                      "Configured generic resources per GRES name and type, GPUs included, in "
                      "Slurm's count (a size suffix is multiplied out: 4G is 4*1024^3); type "
                      "empty when untyped (slurm_load_node gres; sinfo Gres, scontrol show node "
                      "Gres=NAME:TYPE:COUNT)",
                      {"name", "type"}, gres));
  out.push_back(gauge("slurm_gres_allocated",
                      "Generic resources allocated to jobs per GRES name and type; 0 for "
                      "no_consume GRES (slurm_load_node gres_used; sinfo GresUsed)",
                      {"name", "type"}, gres_alloc));
  out.push_back(gauge("slurm_partition_gres",
                      "Configured generic resources of the partition's nodes per GRES name and "
                      "type (slurm_load_node gres; sinfo Gres)",
                      {"partition", "name", "type"}, p_gres));
  out.push_back(gauge("slurm_partition_gres_allocated",
                      "Generic resources of the partition's nodes allocated to jobs per GRES "
                      "name and type (slurm_load_node gres_used; sinfo GresUsed)",
                      {"partition", "name", "type"}, p_gres_alloc));
}

}  // namespace slurm_exporter::collectors
