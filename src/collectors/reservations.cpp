// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/reservations.hpp"

#include <string>
#include <unordered_map>

#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;

std::vector<metrics::Family> collect_reservations(const std::vector<slurm::Reservation>& resv,
                                                  const std::vector<slurm::Node>& nodes,
                                                  std::int64_t now) {
  std::unordered_map<std::string, const slurm::Node*> by_name;
  for (const auto& n : nodes) by_name.emplace(n.name, &n);

  SampleMap info, start, end, node_count, cores, active, by_state;
  for (const auto& r : resv) {
    info[{r.name, r.partition, r.flags}] = 1;
    start[{r.name}] = static_cast<double>(r.start_time);
    end[{r.name}] = static_cast<double>(r.end_time);
    node_count[{r.name}] = static_cast<double>(r.node_count);
    cores[{r.name}] = static_cast<double>(r.core_count);
    active[{r.name}] = (r.start_time <= now && now < r.end_time) ? 1 : 0;
    for (const auto s : slurm::kPrimaryStates) by_state[{r.name, std::string(s)}] += 0;
    for (const auto& host : r.nodes) {
      const auto it = by_name.find(host);
      if (it == by_name.end()) continue;
      const slurm::Node& n = *it->second;
      by_state[{r.name, std::string(slurm::primary_state(n.state, n.alloc_cpus, n.cpus))}] += 1;
    }
  }
  std::vector<metrics::Family> out;
  out.reserve(7);
  out.push_back(gauge("slurm_reservation_info",
                      "Reservation, always 1: partition (empty when none) and flags as scontrol "
                      "show reservation prints them (slurm_load_reservations)",
                      {"reservation", "partition", "flags"}, info));
  out.push_back(gauge("slurm_reservation_start_timestamp_seconds",
                      "When the reservation starts, unix seconds (scontrol StartTime)",
                      {"reservation"}, start));
  out.push_back(gauge("slurm_reservation_end_timestamp_seconds",
                      "When the reservation ends, unix seconds (scontrol EndTime)", {"reservation"},
                      end));
  out.push_back(gauge("slurm_reservation_nodes", "Nodes in the reservation (scontrol NodeCnt)",
                      {"reservation"}, node_count));
  out.push_back(gauge("slurm_reservation_cores", "Cores in the reservation (scontrol CoreCnt)",
                      {"reservation"}, cores));
  out.push_back(gauge("slurm_reservation_active",
                      "1 while now is inside the reservation's window (scontrol State=ACTIVE), "
                      "else 0",
                      {"reservation"}, active));
  out.push_back(gauge("slurm_reservation_nodes_by_state",
                      "The reservation's nodes by primary state (as slurm_nodes; scontrol Nodes= "
                      "with sinfo -N)",
                      {"reservation", "state"}, by_state));
  return out;
}

}  // namespace slurm_exporter::collectors
