// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/controller.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::collectors {

/// slurm_reservation_info{reservation,partition,flags} (1), _start_timestamp_seconds,
/// _end_timestamp_seconds, _nodes, _cores, _active (1 when start <= now < end) and
/// slurm_reservation_nodes_by_state{reservation,state}: the reserved nodes found in `nodes`
/// by primary state (every state of slurm::kPrimaryStates, 0 when none). `now` is unix seconds.
/// Pure; sorted by labels.
std::vector<metrics::Family> collect_reservations(const std::vector<slurm::Reservation>& resv,
                                                  const std::vector<slurm::Node>& nodes,
                                                  std::int64_t now);

}  // namespace slurm_exporter::collectors
