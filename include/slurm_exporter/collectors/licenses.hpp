// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"

namespace slurm_exporter::collectors {

/// slurm_license_total / _used / _free / _reserved / _remote {license}, then the rivosinc
/// exporter's slurm_lic_total / _used / _free / _reserved {name}. Pure; sorted by name.
std::vector<metrics::Family> collect_licenses(const std::vector<slurm::License>& licenses);

}  // namespace slurm_exporter::collectors
