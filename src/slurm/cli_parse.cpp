// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/cli_parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
namespace ns = node_state;
using text::quote;
namespace {

// Names as Slurm 22.05's node_state_base_string() / node_state_flag_string() print them
// (checked against libslurm.so.38 of Debian's 22.05.8), lower case as sinfo's StateComplete
// shows them. 22.05 has no name for UNDRAIN, REBOOT_CANCEL and POWER_DRAIN: it prints "?".
constexpr std::array<std::pair<std::string_view, std::uint32_t>, 7> kBaseNames{{
    {"unknown", ns::kUnknown},
    {"down", ns::kDown},
    {"idle", ns::kIdle},
    {"allocated", ns::kAllocated},
    {"error", ns::kError},
    {"mixed", ns::kMixed},
    {"future", ns::kFuture},
}};

constexpr std::array<StateFlagName, 20> kFlagNames{{
    {"perfctrs", ns::kNet},
    {"reserved", ns::kRes},
    {"cloud", ns::kCloud},
    {"resume", ns::kResume},
    {"drain", ns::kDrain},
    {"completing", ns::kCompleting},
    {"not_responding", ns::kNoRespond},
    {"powered_down", ns::kPoweredDown},
    {"fail", ns::kFail},
    {"powering_up", ns::kPoweringUp},
    {"maintenance", ns::kMaint},
    {"reboot_requested", ns::kRebootRequested},
    {"powering_down", ns::kPoweringDown},
    {"dynamic_future", ns::kDynamicFuture},
    {"reboot_issued", ns::kRebootIssued},
    {"planned", ns::kPlanned},
    {"invalid_reg", ns::kInvalidReg},
    {"power_down", ns::kPowerDown},
    {"power_up", ns::kPowerUp},
    {"dynamic_norm", ns::kDynamicNorm},
}};

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Runs parse(line, number) on every line. A ParseError on one line skips that line and is
// recorded in `errors` as "<source>: <quoted line>: <problem>" (no line number: the same
// datum gives the same text every poll). When no line parsed but some failed, the output is
// wholly wrong (another command's, another version's): throws the first error, with its line.
template <typename F>
void parse_lines(std::string_view text, std::string_view source, std::vector<std::string>& errors,
                 F&& parse) {
  std::size_t good = 0;
  std::optional<ParseError> first;
  const std::size_t before = errors.size();
  text::for_each_line(text, [&](std::string_view line, std::size_t number) {
    try {
      parse(line, number);
      ++good;
    } catch (const ParseError& e) {
      if (!first) first.emplace(fmt::format("{}: {}: {}", source, e.what(), quote(line)), number);
      errors.push_back(fmt::format("{}: {}: {}", source, quote(line), e.what()));
    }
  });
  if (good == 0 && first) {
    errors.resize(before);
    throw *first;
  }
}

template <typename T>
T parse_uint(std::string_view text, std::string_view what) {
  return text::parse_uint<T>(text, what);
}

std::uint64_t mib_to_bytes(std::string_view text, std::string_view what) {
  return text::checked_mul(parse_uint<std::uint64_t>(text, what), text::kMiB,
                           fmt::format("{} {} MiB", what, quote(text)));
}

double parse_load(std::string_view text, std::string_view what) {
  if (text == "N/A") return 0.0;
  double v = 0.0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v) || v < 0.0) {
    throw ParseError(fmt::format("{} {} is not a load average", what, quote(text)));
  }
  return v;
}

struct CpuCounts {
  std::uint32_t alloc = 0, idle = 0, total = 0;
};

// sinfo's CPUsState: "allocated/idle/other/total".
CpuCounts parse_cpus_state(std::string_view text) {
  std::array<std::string_view, 4> parts{};
  std::string_view rest = text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto slash = rest.find('/');
    if ((slash == std::string_view::npos) != (i + 1 == parts.size())) {
      throw ParseError(fmt::format("CPUsState {} is not A/I/O/T", quote(text)));
    }
    parts[i] = rest.substr(0, slash);
    if (slash != std::string_view::npos) rest.remove_prefix(slash + 1);
  }
  CpuCounts c;
  c.alloc = parse_uint<std::uint32_t>(parts[0], "CPUsState allocated");
  c.idle = parse_uint<std::uint32_t>(parts[1], "CPUsState idle");
  parse_uint<std::uint32_t>(parts[2], "CPUsState other");
  c.total = parse_uint<std::uint32_t>(parts[3], "CPUsState total");
  return c;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F || c == '|';
  });
}

// sinfo's placeholders for a string it has no value for.
std::string optional_text(std::string_view text) {
  if (text == "(null)" || text == "N/A" || text == "none" || text == "Unknown") return {};
  return std::string(text);
}

// TimeStamp with SLURM_TIME_FORMAT=standard: "2026-11-25T18:00:00" in the local timezone
// (Slurm prints local time); "Unknown" (no time) and "N/A" → 0.
std::int64_t parse_timestamp(std::string_view text) {
  if (text == "Unknown" || text == "N/A" || text == "None" || text.empty()) return 0;
  if (auto t = text::parse_local_time(text)) return *t;
  throw ParseError(fmt::format("TimeStamp {} is not YYYY-MM-DDTHH:MM:SS", quote(text)));
}

// UserLong "name(uid)" → the uid as text; "" for anything else (e.g. "Unknown").
std::string reason_uid_text(std::string_view text) {
  if (text.size() < 3 || text.back() != ')') return {};
  const auto open = text.rfind('(');
  if (open == std::string_view::npos) return {};
  const std::string_view uid = text.substr(open + 1, text.size() - open - 2);
  if (uid.empty() ||
      !std::all_of(uid.begin(), uid.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {};
  }
  return std::string(uid);
}

// The source names used in error messages.
constexpr std::string_view kSinfoNodesSource = "sinfo -N";
constexpr std::string_view kSinfoPartitionsSource = "sinfo -o %R";
constexpr std::string_view kSqueueSource = "squeue";

}  // namespace

std::span<const StateFlagName> state_flag_names() { return kFlagNames; }

namespace {

constexpr std::string_view kScontrolNodesSource = "scontrol -d -o show node";

// Node GRES that does not parse costs the node its GRES only: the rest of it is still right.
void parse_node_gres(std::string_view gres, std::string_view used, Node& node,
                     std::vector<std::string>& errors) {
  for (const auto& [field, value, out] :
       {std::tuple{"Gres", gres, &node.gres}, std::tuple{"GresUsed", used, &node.gres_used}}) {
    try {
      *out = parse_gres_list(value);
    } catch (const ParseError& e) {
      errors.push_back(fmt::format("node {} {}: {}: {}", node.name, field, quote(value), e.what()));
      node.gres.clear();
      node.gres_used.clear();
      return;
    }
  }
}

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
  node.cpus = parse_uint<std::uint32_t>(fields.required("CPUTot"), "CPUTot");
  node.alloc_cpus = parse_uint<std::uint32_t>(fields.required("CPUAlloc"), "CPUAlloc");
  node.state_name = sinfo_state_name(node.state, node.alloc_cpus, node.cpus);
  node.idle_cpus = sinfo_idle_cpus(node.state, node.alloc_cpus, node.cpus);
  node.cpu_load = parse_load(fields.required("CPULoad"), "CPULoad");
  node.real_memory_bytes = mib_to_bytes(fields.required("RealMemory"), "RealMemory");
  node.alloc_memory_bytes = mib_to_bytes(fields.required("AllocMem"), "AllocMem");
  const std::string_view free = fields.required("FreeMem");
  node.free_memory_bytes = free == "N/A" ? 0 : mib_to_bytes(free, "FreeMem");
  node.weight = parse_uint<std::uint32_t>(fields.required("Weight"), "Weight");
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
                const auto job_id = parse_uint<std::uint32_t>(id, "JobId");
                out[job_id] = parse_gres_list(fields.get("JOB_GRES"));
              });
  if (!errors && !local.empty()) throw ParseError(local.front());
  return out;
}

std::optional<std::uint64_t> parse_time_limit(std::string_view text) {
  if (text == "UNLIMITED" || text == "INFINITE") return std::nullopt;
  const auto bad = [&] {
    return ParseError(
        fmt::format("time limit {} is not UNLIMITED or [days-]hh:mm:ss", quote(text)));
  };
  std::uint64_t days = 0;
  std::string_view rest = text;
  if (const auto dash = rest.find('-'); dash != std::string_view::npos) {
    try {
      days = parse_uint<std::uint64_t>(rest.substr(0, dash), "days");
    } catch (const ParseError&) {
      throw bad();
    }
    rest.remove_prefix(dash + 1);
  }
  std::array<std::uint64_t, 3> hms{};
  for (std::size_t i = 0; i < hms.size(); ++i) {
    const auto colon = rest.find(':');
    if ((i < 2) == (colon == std::string_view::npos)) throw bad();
    const std::string_view part = rest.substr(0, colon);
    if (part.empty() || part.size() > 9 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw bad();
    }
    hms[i] = std::stoull(std::string(part));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  }
  if (days > 1'000'000'000) throw bad();
  return ((days * 24 + hms[0]) * 60 + hms[1]) * 60 + hms[2];
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
      p.total_nodes = parse_uint<std::uint64_t>(fields.get("TotalNodes"), "TotalNodes");
      p.total_cpus = parse_uint<std::uint64_t>(fields.get("TotalCPUs"), "TotalCPUs");
      p.max_time_seconds = parse_time_limit(fields.get("MaxTime"));
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("partition {}: {}", quote(name), e.what()), number);
    }
    out[p.name] = std::move(p);
  });
  return out;
}

std::uint32_t parse_state_complete(std::string_view text) {
  if (text.empty()) throw ParseError("empty node state");
  std::uint32_t state = 0;
  bool first = true;
  while (true) {
    const auto plus = text.find('+');
    const std::string_view name = text.substr(0, plus);
    if (name.empty()) throw ParseError(fmt::format("empty name in node state {}", quote(text)));
    if (first) {
      const auto* it = std::find_if(kBaseNames.begin(), kBaseNames.end(),
                                    [&](const auto& b) { return equals_lower(name, b.first); });
      if (it == kBaseNames.end()) {
        throw ParseError(fmt::format("unknown base node state {}", quote(name)));
      }
      state = it->second;
      first = false;
    } else if (name != "?") {
      const bool word = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      });
      if (!word) throw ParseError(fmt::format("malformed node state flag {}", quote(name)));
      const auto* it = std::find_if(kFlagNames.begin(), kFlagNames.end(),
                                    [&](const auto& f) { return equals_lower(name, f.name); });
      // The CLI backend exists for hosts whose Slurm differs from the one this was built
      // against; a flag that a newer Slurm added (e.g. "blocked") must not fail the node
      // collector. It sets no bit; the sinfo state name is taken verbatim anyway.
      if (it != kFlagNames.end()) state |= it->bit;
    }
    if (plus == std::string_view::npos) break;
    text.remove_prefix(plus + 1);
  }
  return state;
}

namespace {

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
  node.weight = parse_uint<std::uint32_t>(f[7], "Weight");
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

namespace {

// The fields of one squeue line, kSqueueFieldCount values each followed by '|': JobID,
// UserName, Account, Partition and State first, then Reason, which is free text, so the
// fields after it (NumCPUs … NumTasks) are taken from the end.
struct SqueueLine {
  std::array<std::string_view, 5> head;
  std::string_view reason, num_cpus, tres;
  std::array<std::string_view, kSqueueFieldCount - 8> tail;  // SubmitTime … NumTasks
};

SqueueLine split_squeue_line(std::string_view line) {
  const auto shape = [] {
    return ParseError(fmt::format("expected {} fields each ending in '|'", kSqueueFieldCount));
  };
  SqueueLine out;
  if (line.back() != '|') throw shape();
  std::string_view rest = line.substr(0, line.size() - 1);
  for (auto& field : out.head) {
    const auto bar = rest.find('|');
    if (bar == std::string_view::npos) throw shape();
    field = rest.substr(0, bar);
    rest.remove_prefix(bar + 1);
  }
  for (std::size_t i = out.tail.size(); i-- > 0;) {
    const auto bar = rest.rfind('|');
    if (bar == std::string_view::npos || bar == 0) throw shape();
    out.tail[i] = rest.substr(bar + 1);
    rest = rest.substr(0, bar);
  }
  const auto last = rest.rfind('|');
  if (last == std::string_view::npos || last == 0) throw shape();
  out.tres = rest.substr(last + 1);
  const auto before = rest.rfind('|', last - 1);
  if (before == std::string_view::npos) throw shape();
  out.num_cpus = rest.substr(before + 1, last - before - 1);
  out.reason = rest.substr(0, before);
  return out;
}

Job squeue_job(const SqueueLine& l, std::vector<std::string>& errors) {
  Job job;
  job.job_id = parse_uint<std::uint32_t>(l.head[0], "JobID");
  if (l.head[1].empty()) throw ParseError("empty UserName");
  job.user = std::string(l.head[1]);
  job.account = std::string(l.head[2]);
  job.partition = std::string(l.head[3]);
  const std::string_view state = l.head[4];
  if (state.empty() || !std::all_of(state.begin(), state.end(),
                                    [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; })) {
    throw ParseError(fmt::format("State {} is not a job state", quote(state)));
  }
  job.state = std::string(state);
  job.reason = reason_code(l.reason);
  job.cpus = parse_uint<std::uint32_t>(l.num_cpus, "NumCPUs");
  if (!l.tres.empty() && l.tres != "N/A") {
    try {
      job.memory_bytes = tres_memory_bytes(l.tres).value_or(0);
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("tres-alloc: {}", e.what()));
    }
  }
  job.task_count = 1;
  job.submit_time = parse_timestamp(l.tail[0]);
  job.eligible_time = parse_timestamp(l.tail[1]);
  job.start_time = parse_timestamp(l.tail[2]);
  const auto nodes = parse_uint<std::uint64_t>(l.tail[7], "NumNodes");
  const auto tasks = l.tail[8] == "N/A" ? 1 : parse_uint<std::uint64_t>(l.tail[8], "NumTasks");
  try {
    job.gpus_requested = requested_gpus(l.tail[3], l.tail[4], l.tail[5], l.tail[6], nodes, tasks);
  } catch (const ParseError& e) {
    // The job's GPU request is lost; the job itself is still right.
    errors.push_back(fmt::format(
        "job {} tres-per-*: {}: {}", job.job_id,
        quote(fmt::format("{}|{}|{}|{}", l.tail[3], l.tail[4], l.tail[5], l.tail[6])), e.what()));
  }
  return job;
}

}  // namespace

JobData parse_squeue(std::string_view text) {
  JobData data;
  data.jobs.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  parse_lines(text, kSqueueSource, data.parse_errors, [&](std::string_view line, std::size_t) {
    data.jobs.push_back(squeue_job(split_squeue_line(line), data.parse_errors));
  });
  return data;
}

std::vector<Job> parse_squeue_jobs(std::string_view text) { return parse_squeue(text).jobs; }

std::string parse_version(std::string_view text) {
  const std::string_view t = text::trim(text.substr(0, text.find_last_not_of(" \t\r\n") + 1));
  const auto space = t.find_last_of(" \t\n");
  const std::string_view word = space == std::string_view::npos ? t : t.substr(space + 1);
  const bool ok = !word.empty() && word.front() >= '0' && word.front() <= '9' &&
                  std::all_of(word.begin(), word.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                           (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
                  });
  if (!ok) throw ParseError(fmt::format("sinfo --version: no version in {}", quote(text)));
  return std::string(word);
}

}  // namespace slurm_exporter::slurm::cli
