// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/licenses.hpp"

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

std::vector<metrics::Family> collect_licenses(const std::vector<slurm::License>& licenses) {
  SampleMap total, used, free, reserved, remote;
  for (const auto& l : licenses) {
    total[{l.name}] = static_cast<double>(l.total);
    used[{l.name}] = static_cast<double>(l.used);
    free[{l.name}] = static_cast<double>(l.free);
    reserved[{l.name}] = static_cast<double>(l.reserved);
    remote[{l.name}] = l.remote ? 1 : 0;
  }
  std::vector<metrics::Family> out;
  out.reserve(9);
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
  return out;
}

}  // namespace slurm_exporter::collectors
