// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"

namespace slurm_exporter::collectors {

/// Scheduler and RPC statistics (sdiag) as families: slurm_scheduler_* and slurm_backfill_*
/// gauges in base units (seconds; Slurm reports microseconds), the _total counters (Slurm
/// restarts them at its daily reset and on restart), slurm_rpc_calls_total{type},
/// slurm_rpc_duration_seconds_total{type}, slurm_rpc_user_calls_total{user} and
/// slurm_rpc_user_duration_seconds_total{user}; then the rivosinc exporter's names
/// (slurm_daemon_thread_count, slurm_dbd_agent_queue_size, slurm_rpc_msg_type_count /
/// _avg_time / _total_time{type}, slurm_rpc_user_count / _total_time{user}; times in
/// microseconds as it reports them). Pure and deterministic (samples sorted by labels).
std::vector<metrics::Family> collect_scheduler(const slurm::SchedulerStats& stats);

}  // namespace slurm_exporter::collectors
