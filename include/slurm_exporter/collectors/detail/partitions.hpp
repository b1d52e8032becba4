// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>

namespace slurm_exporter::collectors::detail {

/// Calls `f(name)` for each partition of a job's partition list as squeue %P prints it ("a,b"
/// for a job pending in two; "debug" for one; "" once for an empty list).
template <typename F>
void for_each_partition(std::string_view partitions, F&& f) {
  for (;;) {
    const auto comma = partitions.find(',');
    f(partitions.substr(0, comma));
    if (comma == std::string_view::npos) return;
    partitions.remove_prefix(comma + 1);
  }
}

}  // namespace slurm_exporter::collectors::detail
