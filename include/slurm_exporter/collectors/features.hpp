// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <span>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// rivosinc's slurm_feature_total / _cpu_alloc / _mem_alloc{feature}, computed as it does: each
/// job's requested features (--constraint) split at '&', every part a label value (a job
/// without features counts under feature=""; "a|b" stays one value). _total counts every job of
/// the load (task_count each); _cpu_alloc and _mem_alloc add the CPUs and memory (bytes) of
/// the jobs that are not PENDING (rivosinc reads allocated resources, none while pending). Like
/// rivosinc, a series is exported only when its value is above 0. Nothing when the backend
/// does not know the features (JobData::features_known false).
std::vector<metrics::Family> collect_features(const slurm::JobData& jobs);

}  // namespace slurm_exporter::collectors
