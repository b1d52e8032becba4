// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"

namespace slurm_exporter::collectors {

/// slurm_controller_up{controller,index} (index 0 = primary), slurm_controller_ping_seconds
/// {controller} and slurm_exporter_on_active_controller (1 when this host is the first
/// controller that answered, else 0). Pure.
std::vector<metrics::Family> collect_controllers(const slurm::ControllerStatus& status);

}  // namespace slurm_exporter::collectors
