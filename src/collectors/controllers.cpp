// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/controllers.hpp"

#include <string>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;

std::vector<metrics::Family> collect_controllers(const slurm::ControllerStatus& status) {
  SampleMap up, ping;
  for (const auto& c : status.controllers) {
    up[{c.name, std::to_string(c.index)}] = c.up ? 1 : 0;
    ping[{c.name}] = c.ping_seconds;
  }
  std::vector<metrics::Family> out;
  out.reserve(3);
  out.push_back(gauge("slurm_controller_up",
                      "1 if the SlurmctldHost answered a ping, else 0; index 0 is the primary "
                      "(slurm_ping; scontrol ping)",
                      {"controller", "index"}, up));
  out.push_back(gauge("slurm_controller_ping_seconds",
                      "How long the ping of the controller took or took to fail (slurm_ping; "
                      "with the CLI backend the whole scontrol ping)",
                      {"controller"}, ping));
  out.push_back(gauge("slurm_exporter_on_active_controller",
                      "1 if this exporter runs on the active controller (the first SlurmctldHost "
                      "that answered a ping is this host), else 0",
                      slurm::on_active_controller(status) ? 1 : 0));
  return out;
}

}  // namespace slurm_exporter::collectors
