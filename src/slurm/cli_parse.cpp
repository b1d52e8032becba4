// SPDX-License-Identifier: GPL-2.0-or-later
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

// The parts of the CLI parsers that no single command owns: node state names, time limits,
// the version, and the field parsers of detail/cli_fields.hpp. The commands' own parsers are
// cli_sinfo.cpp, cli_squeue.cpp and cli_scontrol.cpp.
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

}  // namespace

namespace detail {

std::uint64_t mib_to_bytes(std::string_view text, std::string_view what) {
  return text::checked_mul(text::parse_uint<std::uint64_t>(text, what), text::kMiB,
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
  c.alloc = text::parse_uint<std::uint32_t>(parts[0], "CPUsState allocated");
  c.idle = text::parse_uint<std::uint32_t>(parts[1], "CPUsState idle");
  text::parse_uint<std::uint32_t>(parts[2], "CPUsState other");
  c.total = text::parse_uint<std::uint32_t>(parts[3], "CPUsState total");
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

}  // namespace detail

std::span<const StateFlagName> state_flag_names() { return kFlagNames; }

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
      days = text::parse_uint<std::uint64_t>(rest.substr(0, dash), "days");
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
