// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <string>

#include "slurm_exporter/slurm/backend.hpp"

namespace slurm_exporter::slurm {

/// Talks to slurmctld through libslurm's RPCs (slurm_load_node, slurm_load_partitions,
/// slurm_load_jobs). Keeps only the (small) partition message between calls and each load's
/// last_update, which it passes to the next load: on SLURM_NO_CHANGE_IN_DATA
/// load_nodes()/load_jobs() return the data converted last time and the *_if_changed() calls
/// return nullopt. Every call must come from the thread that constructed it (libslurm is not
/// documented as thread-safe).
class LibslurmBackend final : public Backend {
 public:
  /// Calls slurm_init() with `slurm_conf` (empty: SLURM_CONF or Slurm's default path). Only
  /// one instance per process. Throws BackendError if the configuration file is missing or
  /// unreadable (libslurm itself would exit the process).
  explicit LibslurmBackend(const std::string& slurm_conf);
  ~LibslurmBackend() override;

  std::string_view name() const override { return "libslurm"; }
  std::string slurm_version() const override;
  NodeData load_nodes() override;
  std::vector<Job> load_jobs() override;
  /// slurm_get_statistics (STAT_COMMAND_GET only: never resets Slurm's statistics).
  SchedulerStats load_scheduler_stats() override;
  /// slurm_load_licenses.
  std::vector<License> load_licenses() override;
  /// slurm_load_reservations; flags as scontrol prints them.
  std::vector<Reservation> load_reservations() override;
  /// slurm_ping for every SlurmctldHost of the configuration libslurm read.
  ControllerStatus ping_controllers() override;
  /// Passes the previous answers' last_update: SLURM_NO_CHANGE_IN_DATA for both nodes and
  /// partitions gives nullopt; when only the partitions changed, the nodes are loaded in full
  /// again. The node message is freed once converted and no copy of the result is kept.
  std::optional<NodeData> load_nodes_if_changed() override;
  /// As load_nodes_if_changed(). The job message is freed once converted (only its
  /// last_update is kept), so a 50,000-job answer does not stay in memory between polls.
  std::optional<std::vector<Job>> load_jobs_if_changed() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The configuration file libslurm will read: `flag_value`, else $SLURM_CONF, else the
/// compiled-in default (/etc/slurm/slurm.conf on Debian).
std::string effective_slurm_conf(const std::string& flag_value);

}  // namespace slurm_exporter::slurm
