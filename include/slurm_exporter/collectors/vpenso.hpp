// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// vpenso's family names (github.com/vpenso/prometheus-slurm-exporter), for dashboards such as
/// Grafana 4323 and NVIDIA DeepOps; `--compat=vpenso` (collector `vpenso`, off by default).
/// From the same snapshot as the other families:
/// - slurm_nodes_{alloc,comp,down,drain,err,fail,idle,maint,mix,resv}: nodes whose sinfo state
///   starts with that word, as vpenso's patterns match (`drain` takes drained and draining,
///   `down` takes down*, `idle` takes idle~ …); each node counted once (vpenso counted a node
///   once per partition it is in).
/// - slurm_queue_{pending,pending_dependency,running,suspended,cancelled,completing,completed,
///   configuring,failed,timeout,preempted,node_fail}: jobs per state, array tasks one by one
///   (vpenso counted a pending array once); pending_dependency: pending for reason Dependency.
/// - slurm_cpus_alloc, slurm_cpus_other (sinfo %C; _idle and _total are the rivosinc families
///   with the same meaning, exported by `nodes`).
/// - slurm_gpus_alloc, slurm_gpus_idle, slurm_gpus_other, slurm_gpus_total,
///   slurm_gpus_utilization (alloc/total, 0 without GPUs): other is the free GPUs of nodes whose
///   free CPUs sinfo counts as other (drained, down …), idle the rest of the free ones, so
///   alloc + idle + other = total as for the CPUs (vpenso 895c7c6 had no other: idle = total −
///   alloc; dashboard 4323's 2021 revision asks for slurm_gpus_other).
/// - slurm_partition_cpus_{allocated,idle,other,total}{partition}: CPUs of the partition's
///   nodes (sinfo -o %R,%C; a node in two partitions counts in both), and
///   slurm_partition_jobs_pending{partition}: pending jobs, array tasks one by one, a job
///   pending in "a,b" in each (vpenso left it out).
/// - slurm_node_cpu_{alloc,idle,other,total}, slurm_node_mem_{alloc,total}{node,status}: per node,
///   status its sinfo state (StateLong: "mixed", "down*", …); memory in bytes (vpenso:
///   megabytes); every node (vpenso: the nodes sinfo -N lists, those in a partition).
/// - slurm_{user,account}_jobs_{pending,running,suspended}, slurm_{user,account}_cpus_running
///   {user|account}: for each user/account with a job in one of those states (zeros for the
///   other states; vpenso left zeros out).
std::vector<metrics::Family> collect_vpenso(const slurm::NodeData& nodes,
                                            const slurm::JobData& jobs);

/// vpenso's scheduler names from sdiag (µs as vpenso): slurm_scheduler_queue_size,
/// _dbd_queue_size, _last_cycle, _mean_cycle, _cycle_per_minute (cycles per minute since the
/// statistics were reset, as sdiag prints it), _backfill_last_cycle, _backfill_mean_cycle,
/// _backfill_depth_mean, slurm_scheduler_backfilled_jobs_since_start_total,
/// _backfilled_jobs_since_cycle_total, slurm_scheduler_backfilled_heterogeneous_total.
/// slurm_scheduler_threads is the family of the scheduler collector (same meaning).
std::vector<metrics::Family> collect_vpenso_scheduler(const slurm::SchedulerStats& s);

}  // namespace slurm_exporter::collectors
