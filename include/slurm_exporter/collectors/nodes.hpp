// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The node states that always get a series (0 when no node is in them).
inline constexpr const char* kUsualNodeStates[] = {"idle",    "mixed",    "allocated", "down",
                                                   "drained", "draining", "completing"};

/// Cluster and per-partition families (rivosinc-compatible names) from one node load:
/// slurm_cpus_*, slurm_cpu_load, slurm_node_count_per_state, slurm_mem_* and slurm_partition_*;
/// then slurm_nodes{state} (each node once, in its primary state; every state of
/// slurm::kPrimaryStates present, 0 when empty) and slurm_nodes_flagged{flag} (every flag of
/// slurm::kReportedFlags, 0 when none); then, for every partition whose settings are known
/// (Partition::state not empty), slurm_partition_info{partition,state} (1),
/// slurm_partition_nodes, slurm_partition_cpus and slurm_partition_max_time_seconds (+Inf
/// when UNLIMITED).
/// Memory in bytes. Cluster totals count each node once; partition families count a node in
/// every partition it belongs to. Pure and deterministic (samples sorted by labels).
std::vector<metrics::Family> collect_nodes(const slurm::NodeData& data);

/// The GRES families collect_nodes ends with: slurm_gres{name,type} and
/// slurm_gres_allocated{name,type} (every GRES, GPUs included, in Slurm's count with size
/// suffixes multiplied out; each configured name/type has an allocated series, 0 when unused),
/// and per partition slurm_partition_gres{partition,name,type} and
/// slurm_partition_gres_allocated. A cluster without GRES has no samples.
void append_gres_families(const slurm::NodeData& data, std::vector<metrics::Family>& out);

}  // namespace slurm_exporter::collectors
