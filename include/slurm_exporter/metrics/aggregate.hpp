// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::metrics {

/// Removes the labels named `labels` from every family that has them and sums the samples
/// that then share a series (same remaining label values, suffix and `le`), in the order of
/// their first sample. A family with only such labels becomes one total. Pure.
void aggregate_away(std::vector<Family>& families, std::initializer_list<std::string_view> labels);

}  // namespace slurm_exporter::metrics
