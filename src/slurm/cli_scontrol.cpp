// SPDX-License-Identifier: GPL-2.0-or-later
// scontrol -o: nodes and partitions (-a -d show node, -a show partition), job GRES (-d show job).
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

constexpr std::string_view kScontrolNodesSource = "scontrol -a -d -o show node";
constexpr std::string_view kScontrolPartitionsSource = "scontrol -a -o show partition";

// The fields scontrol prints after a node's reason (free text themselves), in 22.05 and later.
constexpr std::array<std::string_view, 5> kAfterReason{
    " Comment=", " Extra=", " InstanceId=", " InstanceType=", " ReservationName="};
// scontrol prints a reason line by line; with -o each line after the first follows the one
// before as " " (the one-liner's line end) plus its 7-space continuation indent.
constexpr std::string_view kReasonLineJoin = "        ";

// Where the reason's text ends: at the first field scontrol prints after it.
std::string_view before_later_fields(std::string_view text) {
  std::size_t end = text.size();
  for (const std::string_view key : kAfterReason) end = std::min(end, text.find(key));
  return text.substr(0, end);
}

// Whether `rest`, the text after a " [user@time]" candidate, is what scontrol prints after the
// reason's first line: nothing, the next line, or a later field.
bool ends_first_reason_line(std::string_view rest) {
  if (rest.empty() || rest.starts_with(kReasonLineJoin)) return true;
  return std::any_of(kAfterReason.begin(), kAfterReason.end(),
                     [&](std::string_view key) { return rest.starts_with(key); });
}

// A node's reason, and the " [user@YYYY-MM-DDTHH:MM:SS]" scontrol appends to its first line
// when the reason has a time: `text` is everything after "Reason=". The stamp is the first
// " [user@time]" that ends the first line (so one inside the reason's text is the reason's),
// and the lines after the first are joined back with '\n', as slurmctld holds them.
void parse_node_reason(std::string_view text, Node& node) {
  std::string_view first = before_later_fields(text);
  std::string_view more;
  for (std::size_t at = 0; (at = text.find(" [", at)) != std::string_view::npos; at += 2) {
    const auto close = text.find(']', at);
    if (close == std::string_view::npos) break;
    const std::string_view stamp = text.substr(at + 2, close - at - 2);
    const auto sep = stamp.rfind('@');
    if (sep == std::string_view::npos || sep == 0) continue;
    if (!ends_first_reason_line(text.substr(close + 1))) continue;
    if (const auto t = text::parse_local_time(stamp.substr(sep + 1))) {
      first = text.substr(0, at);
      more = before_later_fields(text.substr(close + 1));
      node.reason_user = std::string(stamp.substr(0, sep));
      node.reason_time = *t;
      break;
    }
  }
  if (node.reason_time == 0) {
    // No time: the first line ends where the second is joined on.
    if (const auto j = first.find(kReasonLineJoin); j != std::string_view::npos) {
      more = first.substr(j);
      first = first.substr(0, j);
    }
  }
  node.reason = std::string(first);
  while (more.starts_with(kReasonLineJoin)) {
    more.remove_prefix(kReasonLineJoin.size());
    const auto j = more.find(kReasonLineJoin);
    node.reason += '\n';
    node.reason += more.substr(0, j);
    more = j == std::string_view::npos ? std::string_view{} : more.substr(j);
  }
}

// A node from its scontrol fields (those before " Reason=") and `reason` (what follows
// " Reason=", empty when there is none).
Node parse_scontrol_node(std::string_view name, const text::Fields& fields, std::string_view reason,
                         std::vector<std::string>& errors) {
  Node node;
  node.name = std::string(name);
  try {
    node.state = parse_state_complete(fields.required("State"));
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("State: {}", e.what()));
  }
  node.cpus = text::parse_uint<std::uint32_t>(fields.required("CPUTot"), "CPUTot");
  node.alloc_cpus = text::parse_uint<std::uint32_t>(fields.required("CPUAlloc"), "CPUAlloc");
  node.state_name = sinfo_state_name(node.state, node.alloc_cpus, node.cpus);
  node.idle_cpus = sinfo_idle_cpus(node.state, node.alloc_cpus, node.cpus);
  node.cpu_load = parse_load(fields.required("CPULoad"), "CPULoad");
  node.real_memory_bytes = mib_to_bytes(fields.required("RealMemory"), "RealMemory");
  node.alloc_memory_bytes = mib_to_bytes(fields.required("AllocMem"), "AllocMem");
  const std::string_view free = fields.required("FreeMem");
  node.free_memory_bytes = free == "N/A" ? 0 : mib_to_bytes(free, "FreeMem");
  node.weight = text::parse_uint<std::uint32_t>(fields.required("Weight"), "Weight");
  node.features = optional_text(fields.get("AvailableFeatures"));
  std::string_view arch = fields.get("Arch");
  if (arch == "(null)") arch = {};
  node.arch = std::string(arch);
  if (!reason.empty()) parse_node_reason(reason, node);
  parse_node_gres(fields.get("Gres"), fields.get("GresUsed"), node, errors);
  return node;
}

// One partition's settings from its `scontrol -a -o show partition` fields.
Partition parse_scontrol_partition(std::string_view name, const text::Fields& fields) {
  Partition p;
  p.name = std::string(name);
  const std::string_view state = fields.get("State");
  for (const std::string_view known : {"UP", "DOWN", "DRAIN", "INACTIVE"}) {
    if (state == known) {
      p.state.reserve(state.size());
      for (char c : state) p.state.push_back(static_cast<char>(c - 'A' + 'a'));
    }
  }
  if (p.state.empty()) {
    throw ParseError(fmt::format("State {} is not UP, DOWN, DRAIN or INACTIVE", quote(state)));
  }
  p.total_nodes = text::parse_uint<std::uint64_t>(fields.get("TotalNodes"), "TotalNodes");
  p.total_cpus = text::parse_uint<std::uint64_t>(fields.get("TotalCPUs"), "TotalCPUs");
  p.max_time_seconds = parse_time_limit(fields.get("MaxTime"));
  return p;
}

// What parse_scontrol_nodes keeps while it reads the node lines.
struct ScontrolState {
  NodeData& data;
  std::unordered_map<std::string, std::size_t> part_index;
  std::unordered_set<std::string> names;
  std::vector<std::vector<std::size_t>> node_parts;  // per node: indices into data.partitions

  std::size_t partition(std::string_view name) {
    if (auto it = part_index.find(std::string(name)); it != part_index.end()) return it->second;
    // Created between the two commands: keep it rather than lose the node's membership.
    const std::size_t p = data.partitions.size();
    part_index.emplace(name, p);
    data.partitions.emplace_back().name = std::string(name);
    return p;
  }

  void line(std::string_view line) {
    // The reason is free text and may hold anything, "Partitions=" included: the fields are
    // the text before it.
    std::string_view before = line;
    std::string_view reason;
    if (const auto r = line.find(" Reason="); r != std::string_view::npos) {
      before = line.substr(0, r);
      reason = line.substr(r + 8);
    }
    const text::Fields fields(before);
    // With -o every line is a node's: anything else is not scontrol's output.
    const std::string_view name = fields.required("NodeName");
    if (!valid_name(name)) throw ParseError(fmt::format("NodeName {} is not a name", quote(name)));
    if (names.contains(std::string(name))) {
      throw ParseError(fmt::format("node {} listed twice", quote(name)));
    }
    std::vector<std::size_t> parts;
    std::string_view list = fields.get("Partitions");
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view part = list.substr(0, comma);
      if (!valid_name(part))
        throw ParseError(fmt::format("Partitions {} is not a list", quote(list)));
      const std::size_t p = partition(part);
      if (std::find(parts.begin(), parts.end(), p) != parts.end()) {
        throw ParseError(fmt::format("partition {} listed twice", quote(part)));
      }
      parts.push_back(p);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    data.nodes.push_back(parse_scontrol_node(name, fields, reason, data.parse_errors));
    names.emplace(name);
    node_parts.push_back(std::move(parts));
  }
};

}  // namespace

NodeData parse_scontrol_nodes(std::string_view nodes_text, std::string_view partitions_text) {
  NodeData data;
  ScontrolState state{data, {}, {}, {}};
  parse_lines(partitions_text, kScontrolPartitionsSource, data.parse_errors,
              [&](std::string_view line, std::size_t) {
                const text::Fields fields(line);
                const std::string_view name = fields.get("PartitionName");
                if (name.empty()) return;
                if (!valid_name(name)) {
                  throw ParseError(fmt::format("PartitionName {} is not a name", quote(name)));
                }
                if (state.part_index.contains(std::string(name))) {
                  throw ParseError(fmt::format("partition {} listed twice", quote(name)));
                }
                Partition p = parse_scontrol_partition(name, fields);
                state.part_index.emplace(p.name, data.partitions.size());
                data.partitions.push_back(std::move(p));
              });
  parse_lines(nodes_text, kScontrolNodesSource, data.parse_errors,
              [&](std::string_view line, std::size_t) { state.line(line); });
  // Each node's partitions in partition order (slurmctld's, as the libslurm backend reports
  // them), and each partition's nodes in node order (slurmctld's node table).
  for (std::size_t i = 0; i < data.nodes.size(); ++i) {
    std::vector<std::size_t>& parts = state.node_parts[i];
    std::sort(parts.begin(), parts.end());
    data.nodes[i].partitions.reserve(parts.size());
    for (const std::size_t p : parts) {
      data.nodes[i].partitions.push_back(data.partitions[p].name);
      data.partitions[p].nodes.push_back(data.nodes[i].name);
    }
  }
  return data;
}

std::map<std::uint32_t, std::vector<GresCount>> parse_scontrol_job_gres(
    std::string_view text, std::vector<std::string>* errors) {
  std::map<std::uint32_t, std::vector<GresCount>> out;
  std::vector<std::string> local;
  parse_lines(text, "scontrol -d -o show job", errors ? *errors : local,
              [&](std::string_view line, std::size_t) {
                const text::Fields fields(line);
                const std::string_view id = fields.get("JobId");
                if (id.empty()) return;
                const auto job_id = text::parse_uint<std::uint32_t>(id, "JobId");
                out[job_id] = parse_gres_list(fields.get("JOB_GRES"));
              });
  if (!errors && !local.empty()) throw ParseError(local.front());
  return out;
}

}  // namespace slurm_exporter::slurm::cli
