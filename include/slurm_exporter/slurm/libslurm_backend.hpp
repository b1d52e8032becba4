// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <string>

#include "slurm_exporter/slurm/backend.hpp"

namespace slurm_exporter::slurm {

/// Talks to slurmctld through libslurm's RPCs. For nodes (slurm_load_node with
/// slurm_load_partitions) and jobs (slurm_load_jobs) it passes each answer's last_update to the
/// next call: on SLURM_NO_CHANGE_IN_DATA the load keeps its generation and nothing is
/// converted. The node and job messages are freed once converted (only the few-KB partition
/// message and each last_update are kept); the converted data stays only for kinds the caller
/// asks to keep (Backend::keep). The controller-side kinds are one call each: ping
/// (slurm_ping per SlurmctldHost), sdiag (slurm_get_statistics, STAT_COMMAND_GET only: never
/// resets Slurm's statistics), licenses (slurm_load_licenses), reservations
/// (slurm_load_reservations, flags as scontrol prints them); the accounting kinds: shares and
/// assoc_mgr (slurm_load_assoc_mgr_info), dbd_stats (slurmdb_get_stats). Every call must come from
/// the thread that constructed it (libslurm is not documented as thread-safe).
class LibslurmBackend final : public Backend {
 public:
  /// Calls slurm_init() with `slurm_conf` (empty: SLURM_CONF or Slurm's default path). Only
  /// one instance per process. Throws BackendError if the configuration file is missing or
  /// unreadable, ConfigError (exit 2) if libslurm cannot parse it: slurm_init() would exit
  /// the process, so a forked child parses it first and reports by its exit status. Once
  /// running, libslurm does not read the file again (a file edited badly later is only a
  /// problem at the next start).
  explicit LibslurmBackend(const std::string& slurm_conf);
  ~LibslurmBackend() override;

  std::string_view name() const override { return "libslurm"; }
  std::string slurm_version() const override;
  void begin_poll() override {
    poll_config_.reset();
    poll_assoc_mgr_.reset();
  }

 protected:
  std::optional<LoadData> fetch(LoadKind kind, bool full) override;

 private:
  SchedulerStats load_scheduler_stats();
  Licenses load_licenses();
  Reservations load_reservations();
  /// slurm_load_ctl_conf, once per poll (begin_poll): the private_data collector and the
  /// association manager's accounting check share it.
  SlurmConfig load_config();
  std::optional<SlurmConfig> poll_config_;  ///< this poll's load_config answer, if loaded
  ControllerStatus ping_controllers();
  /// slurm_load_assoc_mgr_info (associations and QOS with their usage; slurmctld answers it
  /// from memory, without slurmdbd). Empty on a cluster without accounting.
  AccountingState load_assoc_mgr();
  /// sshare's numbers from the same call.
  ShareData load_shares();
  /// This poll's slurm_load_assoc_mgr_info answer, converted: the call runs once per poll
  /// (begin_poll) however many of shares and assoc_mgr ask. Throws as load_assoc_mgr.
  const AccountingState& assoc_mgr_this_poll();
  std::optional<AccountingState> poll_assoc_mgr_;  ///< this poll's answer, if loaded
  /// slurmdb_connection_get + slurmdb_get_stats (slurmdbd); DbdStats::error when slurmdbd
  /// does not answer.
  DbdStats load_dbd_stats();
  std::uint64_t assoc_mgr_failures_ = 0;  ///< failed assoc_mgr loads (rivosinc's scrape_error)
  std::uint64_t shares_failures_ = 0;     ///< failed share loads (rivosinc's fairshare one)

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The configuration file libslurm will read: `flag_value`, else $SLURM_CONF, else the
/// compiled-in default (/etc/slurm/slurm.conf on Debian).
std::string effective_slurm_conf(const std::string& flag_value);

}  // namespace slurm_exporter::slurm
