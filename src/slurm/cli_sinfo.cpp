// SPDX-License-Identifier: GPL-2.0-or-later
// sinfo: the node lines (-N -O kSinfoNodeFields) and the partition list (-o %R).
#include "slurm_exporter/slurm/cli_parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/detail/cli_fields.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
using namespace detail;
using text::quote;
namespace {

constexpr std::string_view kSinfoNodesSource = "sinfo -N";
constexpr std::string_view kSinfoPartitionsSource = "sinfo -o %R";

// The fields of one sinfo -N line: kSinfoNodeFieldCount values each followed by '|'. The
// first fields can't hold '|'; Reason, last, is the rest of the line.
std::array<std::string_view, kSinfoNodeFieldCount> split_sinfo_line(std::string_view line) {
  const auto shape = [] {
    return ParseError(fmt::format("expected {} fields each ending in '|'", kSinfoNodeFieldCount));
  };
  std::array<std::string_view, kSinfoNodeFieldCount> f{};
  if (line.empty() || line.back() != '|') throw shape();
  std::string_view rest = line.substr(0, line.size() - 1);
  for (std::size_t i = 0; i + 1 < kSinfoNodeFieldCount; ++i) {
    const auto bar = rest.find('|');
    if (bar == std::string_view::npos) throw shape();
    f[i] = rest.substr(0, bar);
    rest.remove_prefix(bar + 1);
  }
  f[kSinfoNodeFieldCount - 1] = rest;
  return f;
}

// A Node from the fields of its first sinfo -N line (its partitions come later).
Node sinfo_node(const std::array<std::string_view, kSinfoNodeFieldCount>& f,
                std::vector<std::string>& errors) {
  if (f[1].empty()) throw ParseError("empty StateLong");
  Node node;
  node.name = std::string(f[0]);
  node.state_name = std::string(f[1]);
  try {
    node.state = parse_state_complete(f[2]);
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("StateComplete: {}", e.what()));
  }
  const CpuCounts cpus = parse_cpus_state(f[3]);
  node.alloc_cpus = cpus.alloc;
  node.idle_cpus = cpus.idle;
  node.cpus = cpus.total;
  node.real_memory_bytes = mib_to_bytes(f[4], "Memory");
  node.free_memory_bytes = f[5] == "N/A" ? 0 : mib_to_bytes(f[5], "FreeMem");
  node.cpu_load = parse_load(f[6], "CPUsLoad");
  node.weight = text::parse_uint<std::uint32_t>(f[7], "Weight");
  node.alloc_memory_bytes = mib_to_bytes(f[8], "AllocMem");
  node.features = optional_text(f[9]);
  node.reason = optional_text(f[kSinfoNodeFieldCount - 1]);
  if (!node.reason.empty()) {
    node.reason_time = parse_timestamp(f[10]);
    node.reason_user = reason_uid_text(f[11]);
  }
  parse_node_gres(f[12], f[13], node, errors);
  return node;
}

// What parse_sinfo_nodes keeps while it reads the node lines.
struct SinfoState {
  struct NodeLines {
    std::string_view fields;              // StateLong … GresUsed as printed on the first line
    std::string_view reason;              // and Reason
    std::vector<std::size_t> partitions;  // indices into data.partitions
  };
  NodeData& data;
  std::unordered_map<std::string, std::size_t> part_index;
  std::vector<NodeLines> seen;
  std::unordered_map<std::string, std::size_t> node_index;

  std::size_t partition(std::string_view name) {
    if (auto it = part_index.find(std::string(name)); it != part_index.end()) return it->second;
    // Created between the two sinfo runs: keep it rather than lose the node's membership.
    const std::size_t p = data.partitions.size();
    part_index.emplace(name, p);
    data.partitions.emplace_back().name = std::string(name);
    return p;
  }

  void line(std::string_view text) {
    const auto f = split_sinfo_line(text);
    constexpr std::size_t kPartition = kSinfoNodeFieldCount - 2;
    constexpr std::size_t kReason = kSinfoNodeFieldCount - 1;
    const std::string_view name = f[0];
    if (!valid_name(name) || name.find_first_of(",[") != std::string_view::npos) {
      throw ParseError(fmt::format("NodeList {} is not one node name", quote(name)));
    }
    std::string_view part = f[kPartition];
    if (!part.empty() && part.back() == '*') part.remove_suffix(1);  // the default partition
    if (!valid_name(part)) {
      throw ParseError(fmt::format("Partition {} is not a name", quote(f[kPartition])));
    }
    // The per-node fields run contiguously from StateLong to GresUsed, then Reason.
    const std::string_view fields(
        f[1].data(), static_cast<std::size_t>(f[kPartition - 1].data() + f[kPartition - 1].size() -
                                              f[1].data()));
    if (auto it = node_index.find(std::string(name)); it != node_index.end()) {
      NodeLines& prev = seen[it->second];
      if (fields != prev.fields || f[kReason] != prev.reason) {
        throw ParseError(
            fmt::format("node {} differs from its line in another partition", quote(name)));
      }
      const std::size_t p = partition(part);
      if (std::find(prev.partitions.begin(), prev.partitions.end(), p) != prev.partitions.end()) {
        throw ParseError(
            fmt::format("node {} listed twice in partition {}", quote(name), quote(part)));
      }
      prev.partitions.push_back(p);
      return;
    }
    Node node = sinfo_node(f, data.parse_errors);
    const std::size_t p = partition(part);
    node_index.emplace(node.name, data.nodes.size());
    seen.push_back(NodeLines{fields, f[kReason], {p}});
    data.nodes.push_back(std::move(node));
  }
};

}  // namespace

NodeData parse_sinfo_nodes(std::string_view nodes_text, std::string_view partitions_text) {
  NodeData data;
  SinfoState state{data, {}, {}, {}};
  parse_lines(partitions_text, kSinfoPartitionsSource, data.parse_errors,
              [&](std::string_view line, std::size_t) {
                const std::string_view name = text::trim(line);
                if (!valid_name(name)) throw ParseError("not a partition name");
                state.partition(name);
              });
  parse_lines(nodes_text, kSinfoNodesSource, data.parse_errors,
              [&](std::string_view line, std::size_t) { state.line(line); });

  // Each node's partitions in partition order (the order slurmctld keeps them in, as the
  // libslurm backend reports them), and each partition's nodes in node order.
  for (std::size_t i = 0; i < data.nodes.size(); ++i) {
    std::vector<std::size_t>& parts = state.seen[i].partitions;
    std::sort(parts.begin(), parts.end());
    data.nodes[i].partitions.reserve(parts.size());
    for (const std::size_t p : parts) {
      data.nodes[i].partitions.push_back(data.partitions[p].name);
      data.partitions[p].nodes.push_back(data.nodes[i].name);
    }
  }
  return data;
}
}  // namespace slurm_exporter::slurm::cli
