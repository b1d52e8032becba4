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

namespace slurm_exporter::slurm::cli {
namespace ns = node_state;
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::size_t kMaxQuotedBytes = 200;

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

// A field that doesn't parse; turned into a ParseError naming the line by the line loop.
struct BadField {
  std::string problem;
};

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank_char(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank_char(s.back())) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail_line(std::string_view source, std::size_t number, std::string_view line,
                            std::string_view problem) {
  throw ParseError(fmt::format("{}: {}: {}", source, problem, quote(line)), number);
}

// Calls f(line, number) for every non-blank line, "\r\n" and a missing last "\n" allowed;
// a BadField thrown by f becomes a ParseError with the line.
template <typename F>
void for_each_line(std::string_view text, std::string_view source, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    try {
      f(line, number);
    } catch (const BadField& e) {
      fail_line(source, number, line, e.problem);
    }
  }
}

// Splits "f1|f2|…|fN|" into exactly N fields; false when the shape is different.
template <std::size_t N>
bool split_fields(std::string_view line, std::array<std::string_view, N>& out) {
  if (line.empty() || line.back() != '|') return false;
  line.remove_suffix(1);
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const auto bar = line.find('|');
    if (bar == std::string_view::npos) return false;
    out[i] = line.substr(0, bar);
    line.remove_prefix(bar + 1);
  }
  if (line.find('|') != std::string_view::npos) return false;
  out[N - 1] = line;
  return true;
}

template <typename T>
T parse_uint(std::string_view text, std::string_view what) {
  T v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec == std::errc::result_out_of_range) {
    throw BadField{fmt::format("{} {} is out of range", what, quote(text))};
  }
  if (text.empty() || r.ec != std::errc() || r.ptr != end) {
    throw BadField{fmt::format("{} {} is not a number", what, quote(text))};
  }
  return v;
}

std::uint64_t mib_to_bytes(std::string_view text, std::string_view what) {
  const auto mib = parse_uint<std::uint64_t>(text, what);
  if (mib > std::numeric_limits<std::uint64_t>::max() / kMiB) {
    throw BadField{fmt::format("{} {} MiB is out of range", what, quote(text))};
  }
  return mib * kMiB;
}

double parse_load(std::string_view text, std::string_view what) {
  if (text == "N/A") return 0.0;
  double v = 0.0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v) || v < 0.0) {
    throw BadField{fmt::format("{} {} is not a load average", what, quote(text))};
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
      throw BadField{fmt::format("CPUsState {} is not A/I/O/T", quote(text))};
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
  if (auto t = parse_local_time(text)) return *t;
  throw BadField{fmt::format("TimeStamp {} is not YYYY-MM-DDTHH:MM:SS", quote(text))};
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

// The text as it goes into an error message: in double quotes, at most kMaxQuotedBytes (cut on
// a UTF-8 character boundary, then "..."), control bytes, quotes and backslashes escaped.
std::string quote(std::string_view text) {
  const bool cut = text.size() > kMaxQuotedBytes;
  if (cut) {
    std::size_t n = kMaxQuotedBytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text = text.substr(0, n);
  }
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

std::optional<std::int64_t> parse_local_time(std::string_view text) {
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator = i == 4 || i == 7 || i == 10 || i == 13 || i == 16;
    if (!separator && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  }
  const auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  tm.tm_isdst = -1;  // let the timezone rules decide, as Slurm's localtime_r output implies
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::span<const StateFlagName> state_flag_names() { return kFlagNames; }

namespace {

// The value of `key` ("Name=") in a `scontrol -o show …` line: up to the next space.
std::string_view scontrol_value(std::string_view line, std::string_view key) {
  std::size_t at = 0;
  while ((at = line.find(key, at)) != std::string_view::npos) {
    if (at == 0 || line[at - 1] == ' ') {
      const auto start = at + key.size();
      const auto end = line.find(' ', start);
      return line.substr(start, end == std::string_view::npos ? end : end - start);
    }
    at += key.size();
  }
  return {};
}

// Calls f(line) for each line of `text` without its "\r\n" / "\n".
template <typename F>
void for_each_raw_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
  }
}

}  // namespace

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
    if (const auto t = parse_local_time(stamp.substr(sep + 1))) {
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

// A node in no partition, from its scontrol line: `fields` is the line before " Reason=",
// `reason` what follows it (empty when there is none).
Node parse_scontrol_node(std::string_view name, std::string_view fields, std::string_view reason) {
  Node node;
  node.name = std::string(name);
  try {
    node.state = parse_state_complete(scontrol_value(fields, "State="));
  } catch (const ParseError& e) {
    throw BadField{fmt::format("State: {}", e.what())};
  }
  node.cpus = parse_uint<std::uint32_t>(scontrol_value(fields, "CPUTot="), "CPUTot");
  node.alloc_cpus = parse_uint<std::uint32_t>(scontrol_value(fields, "CPUAlloc="), "CPUAlloc");
  node.state_name = sinfo_state_name(node.state, node.alloc_cpus, node.cpus);
  node.idle_cpus = sinfo_idle_cpus(node.state, node.alloc_cpus, node.cpus);
  node.cpu_load = parse_load(scontrol_value(fields, "CPULoad="), "CPULoad");
  node.real_memory_bytes = mib_to_bytes(scontrol_value(fields, "RealMemory="), "RealMemory");
  node.alloc_memory_bytes = mib_to_bytes(scontrol_value(fields, "AllocMem="), "AllocMem");
  const std::string_view free = scontrol_value(fields, "FreeMem=");
  node.free_memory_bytes = free == "N/A" ? 0 : mib_to_bytes(free, "FreeMem");
  node.weight = parse_uint<std::uint32_t>(scontrol_value(fields, "Weight="), "Weight");
  node.features = optional_text(scontrol_value(fields, "AvailableFeatures="));
  try {
    node.gres = parse_gres_list(scontrol_value(fields, "Gres="));
    node.gres_used = parse_gres_list(scontrol_value(fields, "GresUsed="));
  } catch (const ParseError& e) {
    throw BadField{fmt::format("Gres/GresUsed: {}", e.what())};
  }
  if (!reason.empty()) parse_node_reason(reason, node);
  return node;
}

}  // namespace

ScontrolNodes parse_scontrol_nodes(std::string_view text) {
  ScontrolNodes out;
  for_each_line(text, kScontrolNodesSource, [&](std::string_view line, std::size_t) {
    // Every key scontrol prints before the reason has a value without spaces; the reason is
    // free text and may hold anything, "Partitions=" included.
    std::string_view fields = line;
    std::string_view reason;
    if (const auto r = line.find(" Reason="); r != std::string_view::npos) {
      fields = line.substr(0, r);
      reason = line.substr(r + 8);
    }
    const std::string_view name = scontrol_value(fields, "NodeName=");
    if (name.empty()) return;
    if (!valid_name(name)) throw BadField{fmt::format("NodeName {} is not a name", quote(name))};
    std::string_view arch = scontrol_value(fields, "Arch=");
    if (arch == "(null)") arch = {};
    if (!out.arch.emplace(name, arch).second) {
      throw BadField{fmt::format("node {} listed twice", quote(name))};
    }
    out.order.emplace_back(name);
    if (scontrol_value(fields, "Partitions=").empty()) {
      out.unpartitioned.push_back(parse_scontrol_node(name, fields, reason));
      out.unpartitioned.back().arch = std::string(arch);
    }
  });
  return out;
}

void merge_scontrol_nodes(NodeData& data, ScontrolNodes&& more) {
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

std::map<std::uint32_t, std::vector<GresCount>> parse_scontrol_job_gres(std::string_view text) {
  std::map<std::uint32_t, std::vector<GresCount>> out;
  for_each_raw_line(text, [&](std::string_view line) {
    const std::string_view id = scontrol_value(line, "JobId=");
    if (id.empty()) return;
    std::uint32_t job_id = 0;
    try {
      job_id = parse_uint<std::uint32_t>(id, "JobId");
    } catch (const BadField& e) {
      throw ParseError(fmt::format("scontrol show job: {}", e.problem));
    }
    out[job_id] = parse_gres_list(scontrol_value(line, "JOB_GRES="));
  });
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
    } catch (const BadField&) {
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
  for_each_raw_line(text, [&](std::string_view line) {
    const std::string_view name = scontrol_value(line, "PartitionName=");
    if (name.empty()) return;
    Partition p;
    p.name = std::string(name);
    const std::string_view state = scontrol_value(line, "State=");
    for (const std::string_view known : {"UP", "DOWN", "DRAIN", "INACTIVE"}) {
      if (state == known) {
        p.state.reserve(state.size());
        for (char c : state) p.state.push_back(static_cast<char>(c - 'A' + 'a'));
      }
    }
    if (p.state.empty()) {
      throw ParseError(fmt::format("partition {}: State {} is not UP, DOWN, DRAIN or INACTIVE",
                                   quote(name), quote(state)));
    }
    try {
      p.total_nodes = parse_uint<std::uint64_t>(scontrol_value(line, "TotalNodes="), "TotalNodes");
      p.total_cpus = parse_uint<std::uint64_t>(scontrol_value(line, "TotalCPUs="), "TotalCPUs");
    } catch (const BadField& e) {
      throw ParseError(fmt::format("partition {}: {}", quote(name), e.problem));
    }
    p.max_time_seconds = parse_time_limit(scontrol_value(line, "MaxTime="));
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

NodeData parse_sinfo_nodes(std::string_view nodes_text, std::string_view partitions_text) {
  NodeData data;
  std::unordered_map<std::string, std::size_t> part_index;
  for_each_line(partitions_text, kSinfoPartitionsSource, [&](std::string_view line, std::size_t) {
    const std::string_view name = trim(line);
    if (!valid_name(name)) throw BadField{"not a partition name"};
    if (part_index.emplace(name, data.partitions.size()).second) {
      data.partitions.emplace_back().name = std::string(name);
    }
  });

  struct NodeLines {
    std::string_view fields;              // StateLong … UserLong as printed on the first line
    std::string_view reason;              // and Reason
    std::size_t first_line = 0;           // where those came from
    std::vector<std::size_t> partitions;  // indices into data.partitions
  };
  std::vector<NodeLines> seen;
  std::unordered_map<std::string, std::size_t> node_index;

  for_each_line(nodes_text, kSinfoNodesSource, [&](std::string_view line, std::size_t number) {
    // The first fields can't hold '|'; Reason, last, is the rest of the line.
    std::array<std::string_view, kSinfoNodeFieldCount> f{};
    {
      const auto shape = [] {
        return BadField{fmt::format("expected {} fields each ending in '|'", kSinfoNodeFieldCount)};
      };
      if (line.empty() || line.back() != '|') throw shape();
      std::string_view rest = line.substr(0, line.size() - 1);
      for (std::size_t i = 0; i + 1 < kSinfoNodeFieldCount; ++i) {
        const auto bar = rest.find('|');
        if (bar == std::string_view::npos) throw shape();
        f[i] = rest.substr(0, bar);
        rest.remove_prefix(bar + 1);
      }
      f[kSinfoNodeFieldCount - 1] = rest;
    }
    constexpr std::size_t kPartition = kSinfoNodeFieldCount - 2;
    constexpr std::size_t kReason = kSinfoNodeFieldCount - 1;
    const std::string_view name = f[0];
    if (!valid_name(name) || name.find_first_of(",[") != std::string_view::npos) {
      throw BadField{fmt::format("NodeList {} is not one node name", quote(name))};
    }
    std::string_view part = f[kPartition];
    if (!part.empty() && part.back() == '*') part.remove_suffix(1);  // the default partition
    if (!valid_name(part)) {
      throw BadField{fmt::format("Partition {} is not a name", quote(f[kPartition]))};
    }
    // The per-node fields run contiguously from StateLong to UserLong, then Reason.
    const std::string_view fields(
        f[1].data(), static_cast<std::size_t>(f[kPartition - 1].data() + f[kPartition - 1].size() -
                                              f[1].data()));

    std::size_t p = 0;
    if (auto it = part_index.find(std::string(part)); it != part_index.end()) {
      p = it->second;
    } else {
      // Created between the two sinfo runs: keep it rather than lose the node's membership.
      p = data.partitions.size();
      part_index.emplace(part, p);
      data.partitions.emplace_back().name = std::string(part);
    }

    if (auto it = node_index.find(std::string(name)); it != node_index.end()) {
      NodeLines& prev = seen[it->second];
      if (fields != prev.fields || f[kReason] != prev.reason) {
        throw BadField{fmt::format("node {} differs from its line {} in another partition",
                                   quote(name), prev.first_line)};
      }
      if (std::find(prev.partitions.begin(), prev.partitions.end(), p) != prev.partitions.end()) {
        throw BadField{
            fmt::format("node {} listed twice in partition {}", quote(name), quote(part))};
      }
      prev.partitions.push_back(p);
      return;
    }

    if (f[1].empty()) throw BadField{"empty StateLong"};
    Node node;
    node.name = std::string(name);
    node.state_name = std::string(f[1]);
    try {
      node.state = parse_state_complete(f[2]);
    } catch (const ParseError& e) {
      throw BadField{fmt::format("StateComplete: {}", e.what())};
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
    try {
      node.gres = parse_gres_list(f[12]);
      node.gres_used = parse_gres_list(f[13]);
    } catch (const ParseError& e) {
      throw BadField{fmt::format("Gres/GresUsed: {}", e.what())};
    }
    node.reason = optional_text(f[kReason]);
    if (!node.reason.empty()) {
      node.reason_time = parse_timestamp(f[10]);
      node.reason_user = reason_uid_text(f[11]);
    }

    node_index.emplace(node.name, data.nodes.size());
    seen.push_back(NodeLines{fields, f[kReason], number, {p}});
    data.nodes.push_back(std::move(node));
  });

  // Each node's partitions in partition order (the order slurmctld keeps them in, as the
  // libslurm backend reports them), and each partition's nodes in node order.
  for (std::size_t i = 0; i < data.nodes.size(); ++i) {
    std::vector<std::size_t>& parts = seen[i].partitions;
    std::sort(parts.begin(), parts.end());
    data.nodes[i].partitions.reserve(parts.size());
    for (const std::size_t p : parts) {
      data.nodes[i].partitions.push_back(data.partitions[p].name);
      data.partitions[p].nodes.push_back(data.nodes[i].name);
    }
  }
  return data;
}

std::vector<Job> parse_squeue_jobs(std::string_view text) {
  std::vector<Job> jobs;
  jobs.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  for_each_line(text, kSqueueSource, [&](std::string_view line, std::size_t) {
    // JobID|UserName|Account|Partition|State|Reason…|NumCPUs|tres-alloc|SubmitTime|
    // EligibleTime|StartTime|tres-per-job|tres-per-node|tres-per-socket|tres-per-task|
    // NumNodes|NumTasks|  (Reason is free text: the fields after it are taken from the end)
    const auto shape_error = [] {
      return BadField{fmt::format("expected {} fields each ending in '|'", kSqueueFieldCount)};
    };
    if (line.back() != '|') throw shape_error();
    std::string_view rest = line.substr(0, line.size() - 1);
    std::array<std::string_view, 5> head{};
    for (auto& field : head) {
      const auto bar = rest.find('|');
      if (bar == std::string_view::npos) throw shape_error();
      field = rest.substr(0, bar);
      rest.remove_prefix(bar + 1);
    }
    constexpr std::size_t kTail = kSqueueFieldCount - 8;  // SubmitTime … NumTasks
    std::array<std::string_view, kTail> tail{};
    for (std::size_t i = kTail; i-- > 0;) {
      const auto bar = rest.rfind('|');
      if (bar == std::string_view::npos || bar == 0) throw shape_error();
      tail[i] = rest.substr(bar + 1);
      rest = rest.substr(0, bar);
    }
    const std::string_view submit = tail[0];
    const auto last = rest.rfind('|');
    if (last == std::string_view::npos || last == 0) throw shape_error();
    const std::string_view tres = rest.substr(last + 1);
    const auto before = rest.rfind('|', last - 1);
    if (before == std::string_view::npos) throw shape_error();
    const std::string_view num_cpus = rest.substr(before + 1, last - before - 1);
    const std::string_view reason = rest.substr(0, before);

    Job job;
    job.job_id = parse_uint<std::uint32_t>(head[0], "JobID");
    if (head[1].empty()) throw BadField{"empty UserName"};
    job.user = std::string(head[1]);
    job.account = std::string(head[2]);
    job.partition = std::string(head[3]);
    const std::string_view state = head[4];
    if (state.empty() || !std::all_of(state.begin(), state.end(),
                                      [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; })) {
      throw BadField{fmt::format("State {} is not a job state", quote(state))};
    }
    job.state = std::string(state);
    job.reason = reason_code(reason);
    job.cpus = parse_uint<std::uint32_t>(num_cpus, "NumCPUs");
    if (!tres.empty() && tres != "N/A") {
      try {
        job.memory_bytes = tres_memory_bytes(tres).value_or(0);
      } catch (const ParseError& e) {
        throw BadField{fmt::format("tres-alloc: {}", e.what())};
      }
    }
    job.task_count = 1;
    job.submit_time = parse_timestamp(submit);
    job.eligible_time = parse_timestamp(tail[1]);
    job.start_time = parse_timestamp(tail[2]);
    try {
      job.gpus_requested = requested_gpus(
          tail[3], tail[4], tail[5], tail[6], parse_uint<std::uint64_t>(tail[7], "NumNodes"),
          tail[8] == "N/A" ? 1 : parse_uint<std::uint64_t>(tail[8], "NumTasks"));
    } catch (const ParseError& e) {
      throw BadField{fmt::format("tres-per-*: {}", e.what())};
    }
    jobs.push_back(std::move(job));
  });
  return jobs;
}

std::string parse_version(std::string_view text) {
  const std::string_view t = trim(text.substr(0, text.find_last_not_of(" \t\r\n") + 1));
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
