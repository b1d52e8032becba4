// SPDX-License-Identifier: GPL-2.0-or-later
// scontrol -o: nodes (-d show node), job GRES (-d show job), partitions (-a show partition).
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

constexpr std::string_view kScontrolNodesSource = "scontrol -d -o show node";

// A node's reason and the " [user@YYYY-MM-DDTHH:MM:SS]" scontrol appends to it when the
// reason has a time: `text` is everything after "Reason=".
void parse_node_reason(std::string_view text, Node& node) {
  for (std::size_t at = 0; (at = text.find(" [", at)) != std::string_view::npos; at += 2) {
    const auto close = text.find(']', at);
    if (close == std::string_view::npos) break;
    const std::string_view stamp = text.substr(at + 2, close - at - 2);
    const auto sep = stamp.rfind('@');
    if (sep == std::string_view::npos || sep == 0) continue;
    if (const auto t = text::parse_local_time(stamp.substr(sep + 1))) {
      node.reason = std::string(text.substr(0, at));
      node.reason_user = std::string(stamp.substr(0, sep));
      node.reason_time = *t;
      return;
    }
  }
  // No time: the reason runs to the optional fields scontrol prints after it.
  std::size_t end = text.size();
  for (const std::string_view key :
       {" Comment=", " Extra=", " InstanceId=", " InstanceType=", " ReservationName="}) {
    end = std::min(end, text.find(key));
  }
  node.reason = std::string(text.substr(0, end));
}

// A node in no partition, from its scontrol fields (those before " Reason=") and `reason`
// (what follows " Reason=", empty when there is none).
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
  if (!reason.empty()) parse_node_reason(reason, node);
  parse_node_gres(fields.get("Gres"), fields.get("GresUsed"), node, errors);
  return node;
}

}  // namespace

ScontrolNodes parse_scontrol_nodes(std::string_view text) {
  ScontrolNodes out;
  parse_lines(
      text, kScontrolNodesSource, out.parse_errors, [&](std::string_view line, std::size_t) {
        // The reason is free text and may hold anything, "Partitions=" included: the fields are
        // the text before it.
        std::string_view before = line;
        std::string_view reason;
        if (const auto r = line.find(" Reason="); r != std::string_view::npos) {
          before = line.substr(0, r);
          reason = line.substr(r + 8);
        }
        const text::Fields fields(before);
        const std::string_view name = fields.get("NodeName");
        if (name.empty()) return;
        if (!valid_name(name))
          throw ParseError(fmt::format("NodeName {} is not a name", quote(name)));
        if (out.arch.contains(std::string(name))) {
          throw ParseError(fmt::format("node {} listed twice", quote(name)));
        }
        std::string_view arch = fields.get("Arch");
        if (arch == "(null)") arch = {};
        if (fields.get("Partitions").empty()) {
          out.unpartitioned.push_back(parse_scontrol_node(name, fields, reason, out.parse_errors));
          out.unpartitioned.back().arch = std::string(arch);
        }
        out.arch.emplace(name, arch);
        out.order.emplace_back(name);
      });
  return out;
}

void merge_scontrol_nodes(NodeData& data, ScontrolNodes&& more) {
  for (std::string& e : more.parse_errors) data.parse_errors.push_back(std::move(e));
  // Room first: the views into the names must survive the appends (short names live inside
  // the Node).
  data.nodes.reserve(data.nodes.size() + more.unpartitioned.size());
  std::unordered_set<std::string_view> known;
  for (const Node& n : data.nodes) known.insert(n.name);
  for (Node& n : data.nodes) {
    if (auto it = more.arch.find(n.name); it != more.arch.end()) n.arch = it->second;
  }
  // A node sinfo printed is in a partition after all (it joined one between the two commands):
  // sinfo's record wins.
  for (Node& n : more.unpartitioned) {
    if (!known.contains(n.name)) data.nodes.push_back(std::move(n));
  }
  // scontrol's order, as the libslurm backend has it; a node scontrol did not print (added
  // between the two commands) goes after the others, in sinfo's order. Usually sinfo's order
  // is that already (both sort by slurmctld's node table), and nothing moves.
  std::unordered_map<std::string_view, std::size_t> rank;
  rank.reserve(more.order.size());
  for (std::size_t i = 0; i < more.order.size(); ++i) rank.emplace(more.order[i], i);
  const auto reorder = [&](auto& items, auto name_of) {
    std::vector<std::size_t> ranks(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto it = rank.find(name_of(items[i]));
      ranks[i] = it == rank.end() ? more.order.size() : it->second;
    }
    if (std::is_sorted(ranks.begin(), ranks.end())) return;
    std::vector<std::size_t> by_rank(items.size());
    for (std::size_t i = 0; i < by_rank.size(); ++i) by_rank[i] = i;
    std::stable_sort(by_rank.begin(), by_rank.end(),
                     [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
    std::remove_reference_t<decltype(items)> sorted;
    sorted.reserve(items.size());
    for (const std::size_t i : by_rank) sorted.push_back(std::move(items[i]));
    items = std::move(sorted);
  };
  reorder(data.nodes, [](const Node& n) -> std::string_view { return n.name; });
  for (Partition& p : data.partitions) {
    reorder(p.nodes, [](const std::string& n) -> std::string_view { return n; });
  }
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

std::map<std::string, Partition> parse_scontrol_partitions(std::string_view text) {
  std::map<std::string, Partition> out;
  text::for_each_line(text, [&](std::string_view line, std::size_t number) {
    const text::Fields fields(line);
    const std::string_view name = fields.get("PartitionName");
    if (name.empty()) return;
    Partition p;
    p.name = std::string(name);
    const std::string_view state = fields.get("State");
    for (const std::string_view known : {"UP", "DOWN", "DRAIN", "INACTIVE"}) {
      if (state == known) {
        p.state.reserve(state.size());
        for (char c : state) p.state.push_back(static_cast<char>(c - 'A' + 'a'));
      }
    }
    try {
      if (p.state.empty()) {
        throw ParseError(fmt::format("State {} is not UP, DOWN, DRAIN or INACTIVE", quote(state)));
      }
      p.total_nodes = text::parse_uint<std::uint64_t>(fields.get("TotalNodes"), "TotalNodes");
      p.total_cpus = text::parse_uint<std::uint64_t>(fields.get("TotalCPUs"), "TotalCPUs");
      p.max_time_seconds = parse_time_limit(fields.get("MaxTime"));
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("partition {}: {}", quote(name), e.what()), number);
    }
    out[p.name] = std::move(p);
  });
  return out;
}

}  // namespace slurm_exporter::slurm::cli
