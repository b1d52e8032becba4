// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/licenses.hpp"

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

std::vector<metrics::Family> collect_licenses(const std::vector<slurm::License>& licenses) {
  SampleMap total, used, free, reserved, remote, last_consumed, last_deficit;
  for (const auto& l : licenses) {
    if (l.last_consumed) last_consumed[{l.name}] = static_cast<double>(*l.last_consumed);
    if (l.last_deficit) last_deficit[{l.name}] = static_cast<double>(*l.last_deficit);
    total[{l.name}] = static_cast<double>(l.total);
    used[{l.name}] = static_cast<double>(l.used);
    free[{l.name}] = static_cast<double>(l.free);
    reserved[{l.name}] = static_cast<double>(l.reserved);
    remote[{l.name}] = l.remote ? 1 : 0;
  }
  std::vector<metrics::Family> out;
  out.reserve(11);
  // The name ends in _total: untyped, as the other inherited _total gauges.
  out.push_back(legacy_untyped(gauge("slurm_license_total",
                                     "Licenses configured (slurm_load_licenses total; scontrol "
                                     "show licenses Total)",
                                     {"license"}, total)));
  out.push_back(gauge("slurm_license_used", "Licenses held by running jobs (scontrol Used)",
                      {"license"}, used));
  out.push_back(
      gauge("slurm_license_free", "Licenses available to jobs (scontrol Free)", {"license"}, free));
  out.push_back(gauge("slurm_license_reserved",
                      "Licenses held by active reservations (scontrol Reserved)", {"license"},
                      reserved));
  out.push_back(gauge("slurm_license_remote",
                      "1 for a remote license (from slurmdbd, sacctmgr), 0 for one from "
                      "slurm.conf (scontrol Remote)",
                      {"license"}, remote));
  // The rivosinc exporter's names (-slurm.collect-licenses), for existing dashboards.
  out.push_back(legacy_untyped(
      gauge("slurm_lic_total", "License total (rivosinc name; scontrol Total)", {"name"}, total)));
  out.push_back(
      gauge("slurm_lic_used", "License used (rivosinc name; scontrol Used)", {"name"}, used));
  out.push_back(
      gauge("slurm_lic_free", "License free (rivosinc name; scontrol Free)", {"name"}, free));
  out.push_back(gauge("slurm_lic_reserved", "License reserved (rivosinc name; scontrol Reserved)",
                      {"name"}, reserved));
  // Only remote licenses on Slurm 23.11+ have them: no series otherwise (no made-up zeros).
  out.push_back(gauge("slurm_lic_last_consumed",
                      "Last consumption the license server reported for a remote license "
                      "(rivosinc name; scontrol LastConsumed, Slurm 23.11+)",
                      {"name"}, last_consumed));
  out.push_back(gauge("slurm_lic_last_deficit",
                      "Last deficit the license server reported for a remote license (rivosinc "
                      "name; scontrol LastDeficit, Slurm 23.11+)",
                      {"name"}, last_deficit));
  return out;
}

}  // namespace slurm_exporter::collectors
