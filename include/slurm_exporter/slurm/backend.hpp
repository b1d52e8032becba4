// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/controller.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::slurm {

/// A source of Slurm state: libslurm RPCs or the Slurm commands' output.
/// Not thread-safe: the poller calls it from one thread only.
class Backend {
 public:
  virtual ~Backend() = default;

  /// "libslurm" or "cli" (the build_info `backend` label).
  virtual std::string_view name() const = 0;

  /// Version of the Slurm the backend talks to, e.g. "22.05.8".
  virtual std::string slurm_version() const = 0;

  /// Nodes and partitions, each node with its partitions. Throws BackendError.
  virtual NodeData load_nodes() = 0;

  /// Every job and array task slurmctld knows (squeue -r). Throws BackendError.
  virtual std::vector<Job> load_jobs() = 0;

  /// Like load_nodes(), but nullopt when slurmctld reports that nothing changed since this
  /// backend's previous load_nodes_if_changed() (the caller keeps what it made of that one).
  /// The default cannot tell and always loads. Throws BackendError.
  virtual std::optional<NodeData> load_nodes_if_changed() { return load_nodes(); }

  /// Like load_jobs(), but nullopt when nothing changed since the previous
  /// load_jobs_if_changed(). The default always loads. Throws BackendError.
  virtual std::optional<std::vector<Job>> load_jobs_if_changed() { return load_jobs(); }

  // Controller-side data (scheduler, licenses, reservations, controllers). The defaults throw
  // BackendError, for backends (and test fakes) that don't provide them.

  /// slurmctld's scheduler and RPC statistics (sdiag); never resets them. Throws BackendError.
  virtual SchedulerStats load_scheduler_stats() { throw BackendError(unsupported("sdiag")); }
  /// Every license slurmctld knows. Throws BackendError.
  virtual std::vector<License> load_licenses() { throw BackendError(unsupported("licenses")); }
  /// Every reservation, active or future. Throws BackendError.
  virtual std::vector<Reservation> load_reservations() {
    throw BackendError(unsupported("reservations"));
  }
  /// Pings every configured SlurmctldHost (primary first). A controller that doesn't answer is
  /// reported down, not thrown; throws BackendError only when the list can't be read.
  virtual ControllerStatus ping_controllers() { throw BackendError(unsupported("ping")); }

 private:
  std::string unsupported(std::string_view what) const {
    return std::string(name()) + " backend: " + std::string(what) + " is not supported";
  }
};

}  // namespace slurm_exporter::slurm
