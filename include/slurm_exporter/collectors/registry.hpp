// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace slurm_exporter::collectors {

/// A collector that --collector.<name> / --no-collector.<name> switch.
struct CollectorInfo {
  std::string_view name;
  bool default_on;
  std::string_view help;
};

/// Every collector, in the order they run. The node-based ones (nodes, node, node_reason)
/// share one node load per poll.
inline constexpr std::array<CollectorInfo, 8> kCollectors{{
    {"nodes", true, "cluster and partition families from the node load, slurm_nodes{state}"},
    {"node", false, "per-node families slurm_node_* (one series per node: opt-in)"},
    {"node_reason", true, "slurm_node_reason_info / _timestamp_seconds of nodes with a reason"},
    {"jobs", true, "job families from the job load"},
    {"controllers", true,
     "slurm_controller_up/_ping_seconds per SlurmctldHost, slurm_exporter_on_active_controller"},
    {"scheduler", true, "scheduler and RPC statistics (sdiag): slurm_scheduler_*, slurm_rpc_*"},
    {"licenses", true, "slurm_license_* per license (scontrol show licenses)"},
    {"reservations", true, "slurm_reservation_* per reservation (scontrol show reservation)"},
}};

/// Which collectors run. Defaults are kCollectors' default_on.
struct EnabledCollectors {
  bool nodes = true;
  bool node = false;
  bool node_reason = true;
  bool jobs = true;
  bool controllers = true;
  bool scheduler = true;
  bool licenses = true;
  bool reservations = true;

  /// The switch of collector `name`; nullptr for an unknown name.
  bool* find(std::string_view name);
  /// Whether collector `name` runs (false for an unknown name).
  bool enabled(std::string_view name) const;
};

/// "nodes, node, node_reason, jobs, …": the known names, for error messages and usage.
std::string collector_names();

}  // namespace slurm_exporter::collectors
