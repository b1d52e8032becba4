#pragma once

#include <cstdint>
#include <string>

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

}  // namespace slurm_exporter::slurm
