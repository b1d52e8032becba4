// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slurm_exporter::slurm {

/// Slurm 22.05's job state encoding (slurm.h enum job_states and JOB_* flags); the libslurm
/// backend static_asserts that these match the header.
namespace job_state {
inline constexpr std::uint32_t kBaseMask = 0x000000ff;
inline constexpr std::uint32_t kPending = 0, kRunning = 1, kSuspended = 2, kComplete = 3,
                               kCancelled = 4, kFailed = 5, kTimeout = 6, kNodeFail = 7,
                               kPreempted = 8, kBootFail = 9, kDeadline = 10, kOom = 11;
inline constexpr std::uint32_t kRequeue = 1u << 10, kRequeueHold = 1u << 11,
                               kSpecialExit = 1u << 12, kResizing = 1u << 13,
                               kConfiguring = 1u << 14, kCompleting = 1u << 15, kStopped = 1u << 16,
                               kRevoked = 1u << 19, kRequeueFed = 1u << 20, kResvDelHold = 1u << 21,
                               kSignaling = 1u << 22, kStageOut = 1u << 23;
}  // namespace job_state

/// The state as squeue %T prints it (Slurm's job_state_string): flags first
/// (COMPLETING, CONFIGURING, …), then the base state (PENDING, RUNNING, …).
std::string job_state_name(std::uint32_t state);

/// The final job states as job_state_name() prints them: COMPLETED, CANCELLED, FAILED,
/// TIMEOUT, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, OUT_OF_MEMORY.
inline constexpr const char* kFinalJobStates[] = {"COMPLETED", "CANCELLED", "FAILED",
                                                  "TIMEOUT",   "NODE_FAIL", "PREEMPTED",
                                                  "BOOT_FAIL", "DEADLINE",  "OUT_OF_MEMORY"};

/// Whether a job in this state (as job_state_name() / squeue %T prints it) has left the
/// queue: one of kFinalJobStates. A finished base state with a flag still being handled
/// (COMPLETING, STAGE_OUT) prints the flag and is not final yet. Both backends list such jobs
/// (slurmctld keeps them for MinJobAge); the queue families leave them out.
bool is_final_job_state(std::string_view state);

/// Whether `name` is one of Slurm's job reason names (job_reason_string() of enum
/// job_state_reason, 22.05 to 26.05: "None", "Priority", "Resources", "JobHeldUser", …).
bool is_job_reason_name(std::string_view name);

/// The reason code in what squeue %r prints. squeue prints the job's state description
/// instead of its reason code when slurmctld, an accounting limit or a job_submit plugin set
/// one; the code is then still there when the description starts with it
/// ("ReqNodeNotAvail, UnavailableNodes:node1" → "ReqNodeNotAvail"). nullopt for a free-text
/// description ("job requeued in held state", "Job is at or exceeds QOS …"): only
/// `squeue --json` (parse_squeue_json_reasons) has the code of such a job.
std::optional<std::string_view> reason_code(std::string_view squeue_reason);

/// The label of a pending job's reason when not even `squeue --json` named it: a bounded
/// stand-in, never the free text.
inline constexpr std::string_view kOtherReason = "other";

/// The `mem=` value of a TRES string such as "cpu=2,mem=1400M,node=1" in bytes (no suffix or
/// M = MiB; K, G, T, P likewise binary). Slurm shortens values to two decimals ("1.50G" for
/// 1536M, "1.46G" for 1500M): the bytes are the printed value times the unit, rounded to the
/// nearest byte, so both backends and Slurm's own commands agree on the same number.
/// nullopt when absent. Throws ParseError on a malformed value, an unknown unit suffix (naming
/// it) or a size that does not fit 64 bits.
std::optional<std::uint64_t> tres_memory_bytes(std::string_view tres);

/// Number of task IDs in a job array expression as squeue/scontrol print it:
/// "1-5,7,10-20:2%4" → 5 + 1 + 6 = 12 (a "%N" throttle suffix is ignored). Throws ParseError.
std::uint64_t count_array_tasks(std::string_view expr);

}  // namespace slurm_exporter::slurm
