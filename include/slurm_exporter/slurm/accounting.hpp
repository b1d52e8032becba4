// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/// What an accounting-enabled cluster (slurmdbd) knows about associations, QOS and itself, in
/// base units: plain structs filled by the CLI parsers (sshare, sacctmgr, scontrol show
/// assoc_mgr) or by libslurm (slurm_load_assoc_mgr_info, slurmdb_get_stats).
namespace slurm_exporter::slurm {

/// A limit and what is in use against it, as slurmctld's association manager keeps them
/// ("GrpJobs=8(3)", "cpu=N(6)"). `max` is nullopt when there is no limit (Slurm's "N"), never
/// a huge number.
struct Limit {
  std::optional<double> max;
  double used = 0;
};

/// One TRES of a limit list: Slurm's name ("cpu", "mem", "node", "billing", "gres/gpu",
/// "license/matlab", …); "mem" in bytes, the others in their own count.
struct TresLimit {
  std::string name;
  Limit value;
};

/// A configured TRES amount without usage (sacctmgr's "cpu=8,mem=16000M"); "mem" in bytes.
struct TresAmount {
  std::string name;
  double value = 0;
};

/// The fairshare numbers of one association, as `sshare -a -l` prints them. Every field is
/// nullopt where sshare prints nothing (the root line, FairShare of an account line) or a
/// word (RawShares "parent"); level_fs may be +infinity (sshare's "inf": no usage yet).
struct Shares {
  std::optional<double> raw_shares;
  std::optional<double> norm_shares;
  std::optional<double> raw_usage;
  std::optional<double> norm_usage;
  std::optional<double> effective_usage;
  std::optional<double> fairshare;
  std::optional<double> level_fs;
};

/// One line of `sshare -a`: an account (user empty) or a user within an account; depth is the
/// level in the tree (root 0).
struct ShareRow {
  std::string account;
  std::string user;
  unsigned depth = 0;
  Shares shares;
};

/// One association of slurmctld's association manager (`scontrol show assoc_mgr
/// flags=assoc`): the configured limits and what running and pending jobs use of them.
struct Association {
  std::string cluster;
  std::string account;
  std::string user;  ///< empty: the account's own association
  std::string partition;
  std::string parent;  ///< ParentAccount (only on account associations)
  std::uint32_t id = 0;
  bool is_default = false;  ///< DefAssoc=Yes: the user's default account
  /// From assoc_mgr: shares and usage rounded as scontrol prints them (%.2f); sshare's and
  /// libslurm's are exact.
  Shares shares;
  Limit grp_jobs;         ///< running jobs
  Limit grp_submit_jobs;  ///< running + pending jobs
  Limit max_jobs;         ///< per user association: its running jobs
  Limit max_submit_jobs;
  std::optional<double> grp_wall_minutes;     ///< GrpWall limit
  std::optional<double> max_wall_seconds;     ///< MaxWallPJ
  std::vector<TresLimit> grp_tres;            ///< GrpTRES: limit and running jobs' use
  std::vector<TresAmount> max_tres_per_job;   ///< MaxTRESPJ
  std::vector<TresAmount> max_tres_per_node;  ///< MaxTRESPN
};

/// The per-account or per-user part of a QOS ("Account Limits" / "User Limits" of assoc_mgr):
/// name is the account, or the uid as scontrol prints it.
struct QosHolderUse {
  std::string name;
  Limit max_jobs;
  Limit max_submit_jobs;
  std::vector<TresLimit> max_tres;
};

/// One QOS: its group limits with usage, per-job limits and priority.
struct Qos {
  std::string name;
  std::uint32_t id = 0;
  std::optional<double> priority;
  std::optional<double> usage_raw;  ///< UsageRaw (billing-seconds, decayed)
  Limit grp_jobs;
  Limit grp_submit_jobs;
  std::optional<double> grp_wall_minutes;
  std::optional<double> max_wall_seconds;
  std::optional<double> max_jobs_per_user;    ///< sacctmgr's MaxJobsPU
  std::optional<double> max_submit_per_user;  ///< MaxSubmitPU
  std::optional<double> usage_factor;
  std::vector<TresLimit> grp_tres;
  std::vector<TresAmount> max_tres_per_job;
  std::vector<TresAmount> max_tres_per_user;
  std::vector<QosHolderUse> accounts;
  std::vector<QosHolderUse> users;
};

/// One user of the association manager (`flags=users`).
struct AccountingUser {
  std::string name;
  std::uint32_t uid = 0;
  std::string default_account;
  std::string admin_level;  ///< None, Operator, Administrator
};

/// Associations, QOS and users: everything `scontrol show assoc_mgr` returns, or what
/// `sacctmgr show assoc` / `show qos` return (configured limits only).
struct AccountingState {
  std::vector<Association> associations;
  std::vector<Qos> qos;
  std::vector<AccountingUser> users;
  /// Records left out because they did not parse: "<command>: <quoted text>: <problem>".
  std::vector<std::string> parse_errors;
  /// Set by the backends for rivosinc's limit families: how long this load took, and how
  /// many loads of this kind failed before it since the exporter started.
  double load_seconds = 0;
  std::uint64_t failed_loads = 0;
};

/// The rows of `sshare -a`, and the lines left out because they did not parse.
struct ShareData {
  std::vector<ShareRow> rows;
  std::vector<std::string> parse_errors;
  /// Set by the backends for rivosinc's fairshare families, as AccountingState's.
  double load_seconds = 0;
  std::uint64_t failed_loads = 0;
};

/// One rollup line of `sacctmgr show stats` (times in microseconds as slurmdbd counts them).
struct DbdRollup {
  std::string cluster;   ///< empty for slurmdbd's own ("Internal DBD rollup", "User RPC…")
  std::string interval;  ///< "internal", "user_rpc", or the cluster's "Hour", "Day", "Month"
  std::optional<std::int64_t> last_ran;  ///< unix seconds
  std::uint64_t last_cycle_us = 0;
  std::uint64_t max_cycle_us = 0;
  std::uint64_t total_time_us = 0;
  std::uint64_t total_cycles = 0;
};

/// One row of an RPC table of `sacctmgr show stats`: name is the message type or the user
/// name, id the type's number or the uid.
struct DbdRpc {
  std::string name;
  std::uint32_t id = 0;
  std::uint64_t count = 0;
  std::uint64_t total_time_us = 0;
};

/// slurmdbd's own statistics (`sacctmgr show stats` / slurmdb_get_stats).
struct DbdStats {
  /// Empty when slurmdbd answered; else why not (the backends return this instead of failing
  /// the load, so that slurm_slurmdbd_up 0 is served).
  std::string error;
  std::int64_t since = 0;  ///< unix seconds: when slurmdbd started counting
  std::vector<DbdRollup> rollups;
  std::vector<DbdRpc> by_type;
  std::vector<DbdRpc> by_user;
  std::vector<std::string> parse_errors;  ///< RPC rows left out
};

/// The name `sacctmgr show stats` of Slurm `release` (major * 100 + minor: 2205 … 2605) prints
/// for slurmdbd message type `id` (slurmdbd_msg_type_t: DBD_FINI, DBD_GET_ASSOCS, …,
/// SLURM_PERSIST_INIT); the decimal id for one it does not know. Pure.
std::string dbd_msg_type_name(std::uint32_t id, std::uint32_t release);

}  // namespace slurm_exporter::slurm
