// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/features.hpp"

#include <string_view>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

std::vector<metrics::Family> collect_features(const slurm::JobData& data) {
  if (!data.features_known) return {};
  SampleMap total, cpus, mem;
  for (const slurm::Job& job : data.jobs) {
    std::string_view rest = job.features;
    const bool allocated = job.state != "PENDING";
    while (true) {
      const auto amp = rest.find('&');
      const std::string feature(rest.substr(0, amp));
      total[{feature}] += job.task_count;
      if (allocated) {
        cpus[{feature}] += static_cast<double>(job.cpus) * job.task_count;
        mem[{feature}] += static_cast<double>(job.memory_bytes) * job.task_count;
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  const auto positive = [](SampleMap m) {
    std::erase_if(m, [](const auto& kv) { return kv.second <= 0; });
    return m;
  };
  std::vector<metrics::Family> out;
  // An inherited name ending in _total: untyped, as the other six (promtool, OpenMetrics).
  out.push_back(
      legacy_untyped(gauge("slurm_feature_total",
                           "Jobs per requested feature (--constraint split at '&'; rivosinc name)",
                           {"feature"}, positive(total))));
  out.push_back(
      gauge("slurm_feature_cpu_alloc",
            "CPUs of the jobs that are not pending, per requested feature (rivosinc name)",
            {"feature"}, positive(cpus)));
  out.push_back(gauge("slurm_feature_mem_alloc",
                      "Memory of the jobs that are not pending, per requested feature, bytes "
                      "(rivosinc name)",
                      {"feature"}, positive(mem)));
  return out;
}

}  // namespace slurm_exporter::collectors
