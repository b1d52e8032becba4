// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/accounting.hpp"

/// The accounting collectors (a cluster with slurmdbd): fairshare, association limits and
/// their use, QOS, and slurmdbd's own statistics. Pure; samples sorted by labels. A value
/// Slurm does not have (no limit, an empty sshare column) has no sample, never a huge number.
namespace slurm_exporter::collectors {

/// `fairshare` (accounts) or `fairshare_users` (user associations): sshare's numbers.
/// Accounts: slurm_fairshare_account_{raw_shares,norm_shares,raw_usage,norm_usage,
/// effective_usage,level_fs}{account} and rivosinc's slurm_account_fairshare{account}
/// (NormShares, as rivosinc reports it), with rivosinc's slurm_fairshare_scrape_duration (ms),
/// slurm_fairshare_scrape_error (failed loads) and slurm_fairshare_collect_error (rows left
/// out; only when there are rows: a cluster without accounting gets no slurm_fairshare_*). Users:
/// slurm_fairshare_user_{…, factor}{account,user}. LevelFS may be +Inf (no usage yet). A repeated
/// association (partition associations) keeps its first row.
std::vector<metrics::Family> collect_fairshare(const slurm::ShareData& shares, bool users);

/// What the rivosinc-compatible limit families need besides the associations: the duration
/// of the load in milliseconds (slurm_limit_scrape_duration) and the failed loads so far.
struct LimitCounters {
  std::optional<double> load_milliseconds;
  std::uint64_t scrape_errors = 0;   ///< slurm_account_scrape_error: loads that failed
  std::uint64_t collect_errors = 0;  ///< slurm_account_collect_error: records left out
};

/// `limits` (account associations) or `limits_users` (user associations): configured limits
/// and what running and pending jobs use of them (slurmctld's association manager).
/// Accounts: slurm_assoc_grp_tres_limit / _used {account,tres} (mem in bytes; used for every
/// allocation TRES: cpu, mem, node, billing, gres/*, license/*), slurm_assoc_grp_jobs_limit /
/// _used, slurm_assoc_grp_submit_limit / _used, slurm_assoc_max_jobs_limit,
/// slurm_assoc_max_submit_limit, slurm_assoc_max_wall_seconds {account}; with `counters`
/// rivosinc's slurm_account_cpu_limit, _mem_limit (bytes), _job_alloc_limit (GrpJobs),
/// _job_limit (GrpSubmit) {account}, slurm_limit_scrape_duration, slurm_account_scrape_error,
/// slurm_account_collect_error. Users: slurm_user_assoc_* {account,user,partition} likewise,
/// plus slurm_user_assoc_max_jobs_used / _max_submit_used (the user's own jobs).
std::vector<metrics::Family> collect_limits(const slurm::AccountingState& state, bool users,
                                            const std::optional<LimitCounters>& counters);

/// Logs once per process (info) that slurmctld's association manager holds no association
/// (a cluster without slurmdbd): the accounting collectors then succeed with no series.
/// Thread-safe; later calls do nothing.
void note_no_associations();

/// `qos`: slurm_qos_priority, slurm_qos_usage_raw, slurm_qos_grp_tres_limit / _used {qos,tres},
/// slurm_qos_grp_jobs_limit / _used, slurm_qos_grp_submit_limit / _used,
/// slurm_qos_max_wall_seconds {qos}.
std::vector<metrics::Family> collect_qos(const slurm::AccountingState& state);

/// `slurmdbd`: slurm_slurmdbd_up, slurm_slurmdbd_stats_since_timestamp_seconds, the rollups
/// (slurm_slurmdbd_rollup_last_cycle_seconds, _max_cycle_seconds, _seconds_total,
/// slurm_slurmdbd_rollups_total, slurm_slurmdbd_rollup_last_run_timestamp_seconds
/// {cluster,interval}) and RPCs (slurm_slurmdbd_rpc_calls_total, _rpc_duration_seconds_total
/// {type}; slurm_slurmdbd_user_rpc_calls_total, _user_rpc_duration_seconds_total {user}).
/// A non-empty `stats.error`: slurmdbd did not answer (slurm_slurmdbd_up 0 alone).
std::vector<metrics::Family> collect_slurmdbd(const slurm::DbdStats& stats);

}  // namespace slurm_exporter::collectors
