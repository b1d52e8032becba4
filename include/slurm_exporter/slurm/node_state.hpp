// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace slurm_exporter::slurm {

/// Slurm 22.05's node state encoding (slurm.h enum node_states and NODE_STATE_* flags). The
/// libslurm backend static_asserts that these equal the header's values.
namespace node_state {
inline constexpr std::uint32_t kBaseMask = 0x0000000f;
inline constexpr std::uint32_t kUnknown = 0;
inline constexpr std::uint32_t kDown = 1;
inline constexpr std::uint32_t kIdle = 2;
inline constexpr std::uint32_t kAllocated = 3;
inline constexpr std::uint32_t kError = 4;
inline constexpr std::uint32_t kMixed = 5;
inline constexpr std::uint32_t kFuture = 6;

inline constexpr std::uint32_t kNet = 1u << 4;
inline constexpr std::uint32_t kRes = 1u << 5;
inline constexpr std::uint32_t kUndrain = 1u << 6;
inline constexpr std::uint32_t kCloud = 1u << 7;
inline constexpr std::uint32_t kResume = 1u << 8;
inline constexpr std::uint32_t kDrain = 1u << 9;
inline constexpr std::uint32_t kCompleting = 1u << 10;
inline constexpr std::uint32_t kNoRespond = 1u << 11;
inline constexpr std::uint32_t kPoweredDown = 1u << 12;
inline constexpr std::uint32_t kFail = 1u << 13;
inline constexpr std::uint32_t kPoweringUp = 1u << 14;
inline constexpr std::uint32_t kMaint = 1u << 15;
inline constexpr std::uint32_t kRebootRequested = 1u << 16;
inline constexpr std::uint32_t kRebootCancel = 1u << 17;
inline constexpr std::uint32_t kPoweringDown = 1u << 18;
inline constexpr std::uint32_t kDynamicFuture = 1u << 19;
inline constexpr std::uint32_t kRebootIssued = 1u << 20;
inline constexpr std::uint32_t kPlanned = 1u << 21;
inline constexpr std::uint32_t kInvalidReg = 1u << 22;
inline constexpr std::uint32_t kPowerDown = 1u << 23;
inline constexpr std::uint32_t kPowerUp = 1u << 24;
inline constexpr std::uint32_t kPowerDrain = 1u << 25;
inline constexpr std::uint32_t kDynamicNorm = 1u << 26;
}  // namespace node_state

/// The state as Slurm 22.05's node_state_string() spells it, upper case ("DRAINED*", "IDLE~").
/// `state` is the raw base|flags value, already adjusted for MIXED.
std::string slurm_state_string(std::uint32_t state);

/// sinfo's view of a raw state: a node with some but not all CPUs allocated is MIXED
/// (22.05 reports such a node as ALLOCATED; sinfo loads nodes with SHOW_MIXED).
std::uint32_t with_mixed(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus);

/// What `sinfo -N -o %T` prints for the node: lower case, suffixes kept ("mixed", "down*").
std::string sinfo_state_name(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus);

/// sinfo's idle CPUs for a node: 0 when drained/draining or down, else cpus - alloc.
std::uint32_t sinfo_idle_cpus(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus);

/// The primary states of slurm_nodes{state}: every node is in exactly one. First, as sinfo
/// does, a node with some but not all CPUs allocated gets base MIXED whatever its raw base
/// (with_mixed), so the libslurm encoding (ALLOCATED) and sinfo's StateComplete (mixed) agree.
/// Then the first of these that holds, where "word" and "suffix" are of the name sinfo %T
/// prints for the node (slurm_state_string: "DRAINED", "MIXED-" is word MIXED, suffix "-"):
///   down          INVALID_REG, NOT_RESPONDING, base DOWN or base ERROR
///   drained, draining, fail (FAIL or FAILING), maint, reboot (REBOOT or REBOOT_ISSUED):
///                 the word
///   maint         suffix $;   reboot  suffix @ or ^
///   powered_down  word POWERED_DOWN, POWERING_UP or POWERING_DOWN, or suffix ~, # or %
///   reserved, completing, planned, mixed, allocated, idle (IDLE or PERFCTRS), future: the word
///   unknown       anything else (UNKNOWN, CLOUD, RESUME, …)
/// So an allocated or mixed node flagged reserved, planned or completing is counted as sinfo
/// names it (ALLOCATED+RES is allocated, MIXED+PLANNED mixed, ALLOCATED+COMPLETING allocated,
/// MIXED+COMPLETING completing).
inline constexpr std::array<std::string_view, 15> kPrimaryStates{
    "down",       "fail",    "drained", "draining",  "maint", "reboot", "reserved", "powered_down",
    "completing", "planned", "mixed",   "allocated", "idle",  "future", "unknown"};

/// The node's primary state, one of kPrimaryStates (see there for the rule). Pure.
std::string_view primary_state(std::uint32_t state, std::uint32_t alloc_cpus, std::uint32_t cpus);

/// A flag of slurm_nodes_flagged{flag}: its label and the state bits any of which set it.
struct ReportedFlag {
  std::string_view name;
  std::uint32_t bits;
};

/// Every flag slurm_nodes_flagged reports, in output order (dynamic = DYNAMIC_FUTURE or
/// DYNAMIC_NORM).
inline constexpr std::array<ReportedFlag, 16> kReportedFlags{{
    {"drain", node_state::kDrain},
    {"not_responding", node_state::kNoRespond},
    {"powered_down", node_state::kPoweredDown},
    {"powering_up", node_state::kPoweringUp},
    {"powering_down", node_state::kPoweringDown},
    {"power_down", node_state::kPowerDown},
    {"fail", node_state::kFail},
    {"maint", node_state::kMaint},
    {"reserved", node_state::kRes},
    {"completing", node_state::kCompleting},
    {"planned", node_state::kPlanned},
    {"reboot_requested", node_state::kRebootRequested},
    {"reboot_issued", node_state::kRebootIssued},
    {"invalid_reg", node_state::kInvalidReg},
    {"cloud", node_state::kCloud},
    {"dynamic", node_state::kDynamicFuture | node_state::kDynamicNorm},
}};

}  // namespace slurm_exporter::slurm
