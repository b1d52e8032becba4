// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slurm_exporter::slurm {

/// A count of one generic resource, e.g. {"gpu", "a100", 4}; type is empty when the GRES has
/// no type ("gpu:4").
struct GresCount {
  std::string name;
  std::string type;
  std::uint64_t count = 0;

  friend bool operator==(const GresCount&, const GresCount&) = default;
};

/// A GRES list as Slurm prints a node's Gres/GresUsed or a job's JOB_GRES (libslurm gres,
/// gres_used, gres_total): comma-separated `name[:type][:no_consume][:count][(…)]` items, e.g.
/// "gpu:a100:4(S:0-1),shard:8", "gpu:a100:2(IDX:0,2),gpu:v100:0(IDX:N/A)",
/// "gpu:2,shard:(null):0(IDX:N/A)", "bandwidth:lustre:no_consume:4G", "shard:(null):2(0/4,2/4)".
/// Commas inside parentheses don't split; the parenthesised socket/index detail is dropped; a
/// "(null)" type means none; "no_consume" is skipped; a missing count is 1; a count may carry
/// Slurm's binary suffix (K = 1024, M, G, T, P: "gpu:2K" is 2048, "4G" 4 × 1024³).
/// "", "(null)" and "N/A" are the empty list. Throws ParseError on a malformed item (empty name,
/// non-numeric count, unknown suffix, overflow, unbalanced parentheses).
std::vector<GresCount> parse_gres_list(std::string_view text);

/// The GRES a job asked for in one of its TRES request fields (libslurm tres_per_job,
/// tres_per_node, tres_per_socket, tres_per_task; squeue tres-per-*): items separated by ','
/// or ';', each "gres:name[:type]:count" or "gres/name[:type]:count" (later Slurm versions);
/// items that are not GRES (e.g. "license/x=2", "cpu=2") are skipped. "", "(null)" and "N/A"
/// are the empty list. Throws ParseError on a malformed GRES item.
std::vector<GresCount> parse_tres_gres_request(std::string_view text);

/// Sum of the counts of GRES `name` (all types) in `list`.
std::uint64_t total_of(const std::vector<GresCount>& list, std::string_view name);

/// GPUs a job asks for, from its request fields: per job + per node × nodes + per task × tasks
/// + per socket × nodes (sockets per node are unknown before allocation: a lower bound).
/// Throws ParseError on a malformed field or when the sum overflows.
std::uint64_t requested_gpus(std::string_view per_job, std::string_view per_node,
                             std::string_view per_socket, std::string_view per_task,
                             std::uint64_t nodes, std::uint64_t tasks);

}  // namespace slurm_exporter::slurm
