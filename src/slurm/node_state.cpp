// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/node_state.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace slurm_exporter::slurm {
namespace ns = node_state;
namespace {

// The suffix Slurm appends for power/reboot/maintenance/responsiveness flags, in the
// precedence of 22.05's node_state_string(); nullptr when none applies.
const char* common_suffix(std::uint32_t s) {
  if (s & ns::kMaint) return "$";
  if (s & ns::kRebootIssued) return "^";
  if (s & ns::kRebootRequested) return "@";
  if (s & ns::kPoweringUp) return "#";
  if (s & ns::kPoweringDown) return "%";
  if (s & ns::kPoweredDown) return "~";
  if (s & ns::kPowerDown) return "!";
  if (s & ns::kNoRespond) return "*";
  return nullptr;
}

std::string with_suffix(const char* word, std::uint32_t s) {
  const char* suffix = common_suffix(s);
  return suffix ? std::string(word) + suffix : std::string(word);
}

}  // namespace

std::string slurm_state_string(std::uint32_t s) {
  const std::uint32_t base = s & ns::kBaseMask;
  const bool no_resp = s & ns::kNoRespond;
  const bool comp = s & ns::kCompleting;
  const bool busy = base == ns::kAllocated || base == ns::kMixed;

  if (s & ns::kInvalidReg) return "INVAL";
  if ((s & ns::kMaint) && !(s & ns::kDrain) && !busy && base != ns::kDown) {
    return no_resp ? "MAINT*" : "MAINT";
  }
  if ((s & (ns::kRebootRequested | ns::kRebootIssued)) && !busy) {
    if (s & ns::kRebootIssued) return "REBOOT^";
    return no_resp ? "REBOOT*" : "REBOOT";
  }
  if (s & ns::kDrain) return with_suffix(comp || busy ? "DRAINING" : "DRAINED", s);
  if (s & ns::kFail) {
    const char* word = comp || base == ns::kAllocated ? "FAILING" : "FAIL";
    return no_resp ? std::string(word) + "*" : std::string(word);
  }
  // Whole-value matches: a bare flag with base UNKNOWN.
  switch (s) {
    case ns::kRebootIssued:
      return "REBOOT_ISSUED";
    case ns::kRebootCancel:
      return "CANCEL_REBOOT";
    case ns::kCloud:
      return "CLOUD";
    case ns::kPowerDown:
      return "POWER_DOWN";
    case ns::kPowerUp:
      return "POWER_UP";
    case ns::kPoweringDown:
      return "POWERING_DOWN";
    case ns::kPoweredDown:
      return "POWERED_DOWN";
    case ns::kPoweringUp:
      return "POWERING_UP";
    default:
      break;
  }
  if (base == ns::kDown) return with_suffix("DOWN", s);
  if (base == ns::kAllocated) {
    if (!common_suffix(s) && comp) return "ALLOCATED+";
    return with_suffix("ALLOCATED", s);
  }
  if (comp) return with_suffix("COMPLETING", s);
  if (base == ns::kIdle) {
    if (common_suffix(s)) return with_suffix("IDLE", s);
    if (s & ns::kNet) return "PERFCTRS";
    if (s & ns::kRes) return "RESERVED";
    if (s & ns::kPlanned) return "PLANNED";
    return "IDLE";
  }
  if (base == ns::kMixed) {
    if (!common_suffix(s) && (s & ns::kPlanned)) return "MIXED-";
    return with_suffix("MIXED", s);
  }
  if (base == ns::kFuture) return with_suffix("FUTURE", s);
  if (s & ns::kResume) return "RESUME";
  if (base == ns::kUnknown) return no_resp ? "UNKNOWN*" : "UNKNOWN";
  return "?";
}

std::uint32_t with_mixed(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus) {
  if (alloc_cpus != 0 && alloc_cpus != cpus) {
    return (state & ~ns::kBaseMask) | ns::kMixed;
  }
  return state;
}

std::string sinfo_state_name(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus) {
  std::string name = slurm_state_string(with_mixed(state, alloc_cpus, cpus));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::uint32_t sinfo_idle_cpus(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus) {
  if ((state & ns::kDrain) || (state & ns::kBaseMask) == ns::kDown) return 0;
  return cpus > alloc_cpus ? cpus - alloc_cpus : 0;
}

std::string_view primary_state(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus) {
  // sinfo's StateComplete already names a partly allocated node MIXED (whatever its base) where
  // libslurm keeps the raw base: applying the same rule first makes both encodings agree.
  const std::uint32_t s = with_mixed(state, alloc_cpus, cpus);
  const std::uint32_t base = s & ns::kBaseMask;
  if ((s & (ns::kInvalidReg | ns::kNoRespond)) || base == ns::kDown || base == ns::kError) {
    return "down";
  }
  // The rest follows the name sinfo prints: its word where the word is a state of its own,
  // else its suffix, else the word again.
  const std::string name = slurm_state_string(s);
  const auto split = name.find_first_of("*~#!%$@^-+");
  const std::string_view word = std::string_view(name).substr(0, split);
  const std::string_view suffix =
      split == std::string::npos ? std::string_view{} : std::string_view(name).substr(split);
  if (word == "DRAINED") return "drained";
  if (word == "DRAINING") return "draining";
  if (word == "FAIL" || word == "FAILING") return "fail";
  if (word == "MAINT" || suffix == "$") return "maint";
  if (word == "REBOOT" || word == "REBOOT_ISSUED" || suffix == "@" || suffix == "^") {
    return "reboot";
  }
  if (word == "POWERED_DOWN" || word == "POWERING_UP" || word == "POWERING_DOWN" || suffix == "~" ||
      suffix == "#" || suffix == "%") {
    return "powered_down";
  }
  static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
      {"RESERVED", "reserved"}, {"COMPLETING", "completing"}, {"PLANNED", "planned"},
      {"MIXED", "mixed"},       {"ALLOCATED", "allocated"},   {"IDLE", "idle"},
      {"PERFCTRS", "idle"},     {"FUTURE", "future"}};
  for (const auto& [w, primary] : kWords) {
    if (word == w) return primary;
  }
  return "unknown";
}

}  // namespace slurm_exporter::slurm
