// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Controller-side data: what slurmctld says about itself (sdiag), its licenses, reservations
/// and which controllers answer. Plain structs filled by a Backend; times are unix seconds,
/// durations as Slurm reports them (microseconds) and converted by the collectors.
namespace slurm_exporter::slurm {

/// One row of sdiag's RPC tables: per message type or per user.
struct RpcStat {
  std::string name;                 ///< message type as sdiag prints it, or the user name
  std::uint64_t count = 0;          ///< calls since the statistics were last reset
  std::uint64_t total_time_us = 0;  ///< summed handling time, microseconds
};

/// slurm_get_statistics() / `sdiag`. Counters restart at slurmctld's daily reset and restart.
struct SchedulerStats {
  std::int64_t req_time = 0;        ///< when slurmctld answered (sdiag "sdiag output at")
  std::int64_t req_time_start = 0;  ///< start of the statistics period ("Data since")
  std::uint64_t server_thread_count = 0;
  std::uint64_t agent_queue_size = 0;
  std::uint64_t agent_count = 0;
  std::uint64_t agent_thread_count = 0;
  std::uint64_t dbd_agent_queue_size = 0;

  std::uint64_t jobs_submitted = 0;
  std::uint64_t jobs_started = 0;
  std::uint64_t jobs_completed = 0;
  std::uint64_t jobs_canceled = 0;
  std::uint64_t jobs_failed = 0;

  // Main scheduler; times in microseconds. The means are integer sum/cycles as sdiag prints
  // them, 0 before the first cycle.
  std::uint64_t schedule_cycle_last_us = 0;
  std::uint64_t schedule_cycle_max_us = 0;
  std::uint64_t schedule_cycle_counter = 0;
  std::uint64_t schedule_cycle_mean_us = 0;
  std::uint64_t schedule_cycle_mean_depth = 0;
  std::uint64_t schedule_queue_len = 0;

  // Backfill scheduler; times in microseconds, means as above.
  bool bf_active = false;
  std::uint64_t bf_backfilled_jobs = 0;
  /// Jobs backfilled since the statistics were last reset (sdiag "since last stats cycle
  /// start"; libslurm bf_last_backfilled_jobs).
  std::uint64_t bf_last_backfilled_jobs = 0;
  std::uint64_t bf_backfilled_het_jobs = 0;
  std::uint64_t bf_cycle_counter = 0;
  /// Sum of backfill cycle times, µs. libslurm: bf_cycle_sum; sdiag prints no sum, so the cli
  /// backend gives Mean cycle × Total cycles (short by less than one µs per cycle).
  std::uint64_t bf_cycle_sum_us = 0;
  std::int64_t bf_when_last_cycle = 0;  ///< unix seconds; 0 when none yet (sdiag "N/A")
  std::uint64_t bf_cycle_last_us = 0;
  std::uint64_t bf_cycle_max_us = 0;
  std::uint64_t bf_cycle_mean_us = 0;
  std::uint64_t bf_last_depth = 0;
  std::uint64_t bf_last_depth_try = 0;
  std::uint64_t bf_depth_mean = 0;
  std::uint64_t bf_queue_len = 0;
  std::uint64_t bf_table_size = 0;

  std::vector<RpcStat> rpc_types;  ///< per message type, sdiag's names (rpc_type_name)
  std::vector<RpcStat> rpc_users;  ///< per user name (UserNames: the uid when it has no name)
};

/// What the exporter needs of slurmctld's configuration (slurm_load_ctl_conf; CLI:
/// `scontrol show config`).
struct SlurmConfig {
  /// PrivateData kinds in effect: Slurm's names ("jobs", "usage", …), sorted; empty for none.
  std::vector<std::string> private_data;
  std::string slurm_user;                     ///< SlurmUser's name ("" when unknown)
  std::uint32_t slurm_user_id = 0xffffffffu;  ///< its uid (0xffffffff when unknown)
  /// AccountingStorageType ("accounting_storage/slurmdbd"; "" for none: scontrol prints
  /// "(null)" or "accounting_storage/none" for it).
  std::string accounting_storage_type;
};

/// Whether the cluster keeps accounting (AccountingStorageType=accounting_storage/slurmdbd, the
/// only storage slurmctld itself talks to), i.e. whether slurmctld has an association manager
/// worth asking. Pure.
bool has_accounting(std::string_view accounting_storage_type);

/// One license (slurm_load_licenses / `scontrol show licenses -o`).
struct License {
  std::string name;
  std::uint64_t total = 0;
  std::uint64_t used = 0;
  std::uint64_t free = 0;
  std::uint64_t reserved = 0;  ///< held by active reservations
  bool remote = false;         ///< from slurmdbd (sacctmgr), not slurm.conf
  /// A remote license's last consumption and deficit as the license server reported them
  /// (Slurm 23.11+: `scontrol show licenses` LastConsumed / LastDeficit); nullopt otherwise.
  std::optional<std::uint64_t> last_consumed;
  std::optional<std::uint64_t> last_deficit;
};

/// One reservation (slurm_load_reservations / `scontrol show reservation -o`).
struct Reservation {
  std::string name;
  std::string partition;         ///< empty when none ("(null)")
  std::string flags;             ///< as scontrol prints Flags=, e.g. "MAINT,IGNORE_JOBS,SPEC_NODES"
  std::int64_t start_time = 0;   ///< unix seconds
  std::int64_t end_time = 0;     ///< unix seconds
  std::uint64_t node_count = 0;  ///< NodeCnt
  std::uint64_t core_count = 0;  ///< CoreCnt
  std::vector<std::string> nodes;  ///< reserved node names, expanded
};

/// One configured SlurmctldHost and whether it answered a ping.
struct Controller {
  std::string name;         ///< SlurmctldHost name as scontrol ping prints it
  std::uint32_t index = 0;  ///< 0 = primary, 1.. = backups in slurm.conf order
  bool up = false;
  double ping_seconds = 0.0;  ///< how long the ping took (or took to fail)
};

/// The result of pinging every configured controller.
struct ControllerStatus {
  std::vector<Controller> controllers;
  /// This host's short name (gethostname up to the first '.'), compared with the controllers'.
  std::string local_host;
  /// Why pings failed, for the log when none answered: libslurm's error per controller
  /// ("host: Protocol authentication error"), or scontrol ping's first stderr line; may be empty.
  std::string error;
  /// No controller answered and the primary's failure is a connection failure or timeout (not
  /// e.g. an authentication error): further calls in the same poll would only wait for it too.
  bool unreachable = false;
};

/// sdiag's name of message type `id` (Slurm 22.05's rpc_num2string); the decimal number when
/// the type is unknown, as sdiag prints it then.
std::string rpc_type_name(std::uint16_t id);

/// Whether this host is the active controller: the first controller that answered has the
/// name `status.local_host` (compared up to the first '.').
bool on_active_controller(const ControllerStatus& status);

/// Expands a Slurm host list ("node[1-3,5],gpu01", "(null)" and "" give none). Throws
/// ParseError on unbalanced brackets or a bad range.
std::vector<std::string> expand_host_list(std::string_view list);

}  // namespace slurm_exporter::slurm
