// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// The opt-in per-node collector (`--collector.node`): slurm_node_cpus, _cpus_allocated,
/// _memory_bytes, _memory_allocated_bytes, _memory_free_bytes, _cpu_load, slurm_node_state
/// {node,state} (1, for the node's primary state only) and slurm_node_info{node,state,
/// partitions,features,arch} (1). One series per node per family, sorted by node name.
/// Pure and deterministic.
std::vector<metrics::Family> collect_node(const slurm::NodeData& data);

/// The GRES families collect_node ends with: slurm_node_gres{node,name,type} and
/// slurm_node_gres_allocated{node,name,type}, as slurm_gres per node; only nodes with GRES.
void append_node_gres_families(const slurm::NodeData& data, std::vector<metrics::Family>& out);

/// The node_reason collector: for every node with a reason, slurm_node_reason_info{node,reason,
/// user} (1) and, when Slurm knows when it was set, slurm_node_reason_timestamp_seconds{node}.
/// Pure and deterministic.
std::vector<metrics::Family> collect_node_reasons(const slurm::NodeData& data);

}  // namespace slurm_exporter::collectors
