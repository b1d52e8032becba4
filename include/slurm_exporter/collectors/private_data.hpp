// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"

namespace slurm_exporter::collectors {

/// The warning for PrivateData that hides data from the exporter's user `uid` (empty when
/// nothing is hidden: no kind the exporter reads is private, or `uid` is root or SlurmUser).
/// Operators and admins (sacctmgr) see everything too, which the exporter cannot tell.
std::string private_data_warning(const slurm::SlurmConfig& config, std::uint32_t uid);

/// The warning for PrivateData of jobs or usage while the metrics need no password (empty
/// otherwise): the exporter then publishes what Slurm hides from users.
std::string private_data_exposure_warning(const slurm::SlurmConfig& config, bool auth);

/// slurm_exporter_private_data{kind}: 1 for each PrivateData kind in effect, 0 for the others
/// (every kind Slurm knows).
metrics::Family private_data_family(const slurm::SlurmConfig& config);

/// The `private_data` collector row: the gauge at every poll, the warnings logged once per
/// change of the configuration. Not thread-safe: the poller thread.
class PrivateDataState final : public CollectorState {
 public:
  /// Whether the metrics need a password (web config basic auth); set by main before polls.
  static void set_auth(bool auth);
  void update(const Inputs& in, std::int64_t now) override;
  std::vector<metrics::Family> collect(std::int64_t now) const override;

 private:
  slurm::SlurmConfig config_;
  bool seen_ = false;
};

}  // namespace slurm_exporter::collectors
