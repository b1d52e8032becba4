// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/snapshot.hpp"

/// Pure parsers for the output of the Slurm commands the CLI backend runs: text in, snapshot
/// records out, no I/O. Lines may end in "\n" or "\r\n", the last one may lack its newline,
/// and blank lines are skipped (line numbers still count them).
///
/// One bad datum costs one datum: where a result has `parse_errors`, a line that does not parse
/// is left out and recorded there as "<command>: <quoted line>: <problem>", and a node's GRES
/// that does not parse costs the node only its GRES ("node NAME Gres: <quoted text>:
/// <problem>"). Output that is wholly wrong (lines, and not one of them parses) throws
/// ParseError instead, with the 1-based line number of the first bad line and the line quoted
/// (at most 200 bytes, control characters escaped, text::quote).
namespace slurm_exporter::slurm::cli {

/// `sinfo -N -h -a -O <this>`: one line per node and partition. A field with no width prints
/// its whole value, and every field ends with '|', so a line is kSinfoNodeFieldCount values
/// each followed by '|'. Reason is free text (it may hold '|'), so it comes last and is
/// everything after the Partition field.
inline constexpr std::string_view kSinfoNodeFields =
    "NodeList:|,StateLong:|,StateComplete:|,CPUsState:|,Memory:|,FreeMem:|,CPUsLoad:|,Weight:|,"
    "AllocMem:|,Features:|,TimeStamp:|,UserLong:|,Gres:|,GresUsed:|,Partition:|,Reason:|";
inline constexpr std::size_t kSinfoNodeFieldCount = 16;

/// `sinfo -h -a -o <this>`: one partition name per line, partitions without nodes included.
inline constexpr std::string_view kSinfoPartitionFormat = "%R";

/// `squeue -h -r -a -O <this>`: one line per job or array task. JobID is the numeric job id
/// (what slurm_load_jobs calls job_id: an array task split from its array has its own).
/// Feature (the job's --constraint) may hold '|' (an OR), so it comes last and the field before
/// it ends in the unit separator 0x1F instead of '|': a constraint never holds that byte.
inline constexpr std::string_view kSqueueFields =
    "JobID:|,UserName:|,Account:|,Partition:|,State:|,Reason:|,NumCPUs:|,tres-alloc:|,"
    "SubmitTime:|,EligibleTime:|,StartTime:|,tres-per-job:|,tres-per-node:|,tres-per-socket:|,"
    "tres-per-task:|,NumNodes:|,NumTasks:\x1f,Feature:|";
/// The fields before Feature.
inline constexpr std::size_t kSqueueFieldCount = 17;

/// Nodes and partitions from `sinfo -N … -O kSinfoNodeFields` (`nodes_text`) and
/// `sinfo … -o %R` (`partitions_text`).
///
/// A node listed in several partitions (one line each) becomes one Node whose partitions are
/// in the order of `partitions_text`; all its other fields must be equal on every line, else
/// ParseError. The default partition's trailing '*' is removed. Nodes keep the order of their
/// first line (sinfo sorts by name). Partitions keep the order of `partitions_text` (duplicate
/// names collapse); a partition named only on node lines (created between the two sinfo runs)
/// is appended. Partition::nodes lists the nodes in node order.
///
/// Fields: StateLong → state_name verbatim; StateComplete → state (parse_state_complete);
/// CPUsState "A/I/O/T" → alloc_cpus, idle_cpus, cpus; Memory, FreeMem, AllocMem are MiB →
/// bytes; CPUsLoad → cpu_load; Weight → weight. FreeMem and CPUsLoad may be "N/A" (→ 0);
/// numbers are plain decimal, no sign, no junk, no overflow (else ParseError).
/// Features → features ("(null)", "N/A", "none", "Unknown" → empty); arch stays empty (22.05's
/// sinfo has no Arch field);
/// Reason → reason ("none" → empty: a reason that is literally "none" is lost); when there is
/// a reason, TimeStamp "YYYY-MM-DDTHH:MM:SS" (local time, SLURM_TIME_FORMAT=standard) →
/// reason_time (unix seconds via mktime; "Unknown"/"N/A" → 0), and UserLong "name(uid)" →
/// reason_user holding the decimal uid (the backend turns it into a name with UserNames, as
/// libslurm's backend does; anything else → empty).
/// An empty `nodes_text` is a valid empty cluster. A line that does not parse, a node line that
/// differs from the node's earlier line, and a node listed twice in one partition are left out
/// and recorded in parse_errors.
NodeData parse_sinfo_nodes(std::string_view nodes_text, std::string_view partitions_text);

/// Jobs from `squeue -h -r -a -O kSqueueFields`, one Job per line (task_count 1: -r prints
/// every array task). user, account ("(null)" when unset), partition ("a,b" while pending in
/// two) and state are verbatim; reason is reason_code(Reason), empty when Reason is a free-text
/// description (see parse_squeue_json_reasons); cpus is NumCPUs; memory_bytes
/// is the `mem=` of tres-alloc, 0 when it has none or is "N/A" or empty; submit_time is
/// SubmitTime "YYYY-MM-DDTHH:MM:SS" (local time, SLURM_TIME_FORMAT=standard) as unix seconds
/// via mktime (tm_isdst=-1), the same instant libslurm's submit_time holds ("N/A" → 0).
///
/// Reason is Slurm-generated free text, so it is taken positionally: the first five fields and
/// the last three can't contain '|', and Reason is everything between them. features is
/// Feature, after the last 0x1F ("(null)" → empty); JobData::features_known is true when every
/// line has it (a line of the older 17-field shape, without Feature, leaves it false).
/// A line that does not parse is left out and recorded in parse_errors; a job whose tres-per-*
/// fields do not parse keeps gpus_requested 0 and is recorded.
JobData parse_squeue(std::string_view text);

/// job id → reason code (state_reason) of each job in `squeue --json` output (any release's
/// layout: a top-level "jobs" array whose records hold "job_id" and "state_reason"). Records
/// without both, or whose reason is not shaped like a code (letters, digits, '_', at most 64),
/// are left out. Throws ParseError when the text is not such a document.
std::map<std::uint32_t, std::string> parse_squeue_json_reasons(std::string_view text);

/// parse_squeue(text).jobs (what a load that returns only the jobs needs).
std::vector<Job> parse_squeue_jobs(std::string_view text);

/// Raw node state bits (node_state.hpp) from sinfo's StateComplete, e.g. "idle+drain",
/// "allocated+drain+completing", "unknown+not_responding": a base name (unknown, down, idle,
/// allocated, error, mixed, future) then '+'-joined flag names as Slurm 22.05's
/// node_state_flag_string() spells them, in any case. A "?" flag (22.05 prints it for bits it
/// has no name for: UNDRAIN, REBOOT_CANCEL, POWER_DRAIN) adds no bit, and so does a well-formed
/// flag name this build does not know (a newer Slurm's). Throws ParseError (no line) on an
/// unknown base state, an empty name or a flag that is not a word.
std::uint32_t parse_state_complete(std::string_view text);

/// Nodes and partitions from `scontrol -a -d -o show node` (`nodes_text`, one "NodeName=… Arch=…
/// … Reason=…" line per node) and `scontrol -a -o show partition` (`partitions_text`, one
/// "PartitionName=… State=… …" line per partition): what the libslurm backend's node load
/// gives, field for field, and the CLI backend's node source whenever a scontrol is there
/// (`sinfo -N` costs 20 to 500 times more at 2,000 to 10,000 nodes).
///
/// Nodes are in scontrol's order (slurmctld's node table, the libslurm order), nodes in no
/// partition included. Fields: State= → state (parse_state_complete: scontrol prints the same
/// names as sinfo's StateComplete, upper case), and from it state_name and idle_cpus as sinfo
/// prints them (sinfo_state_name, sinfo_idle_cpus, as the libslurm backend computes them);
/// cpus CPUTot, alloc_cpus CPUAlloc, cpu_load CPULoad ("N/A" → 0), RealMemory/AllocMem/FreeMem
/// MiB → bytes (FreeMem "N/A" → 0), Weight, features AvailableFeatures ("(null)" → empty),
/// arch Arch ("(null)" and missing → empty), Gres and GresUsed (only -d prints it; missing →
/// none), partitions Partitions= (a comma list; sorted into partition order).
/// Reason= is free text and runs to the end of the line (or to a later field: Comment=,
/// Extra=, InstanceId=, InstanceType=, ReservationName=), so the other keys are looked up
/// (text::Fields) before " Reason=" only. scontrol prints the reason line by line, the first
/// followed by " [user@YYYY-MM-DDTHH:MM:SS]" when it has a time, each later one after 8
/// spaces: reason is the lines joined with '\n' (8 spaces inside a later line read as a line
/// break), reason_user the name (the uid where it has none, as scontrol prints it),
/// reason_time the local time as unix seconds. The stamp is the first " [user@time]" followed
/// by the end, 8 spaces or a later field, so a stamp-like text inside the reason stays in it.
///
/// Partitions are in scontrol's order (slurmctld's): state (State= UP/DOWN/DRAIN/INACTIVE in
/// lower case), total_nodes (TotalNodes=), total_cpus (TotalCPUs=), max_time_seconds
/// (MaxTime=, parse_time_limit), nodes the nodes whose Partitions= names it, in node order.
/// A partition only nodes name (created between the two commands) is appended without
/// settings. A node line without NodeName= is a bad line; a partition line without PartitionName=
/// ("No partitions in the system") is skipped. A line that does not parse (a malformed field, a
/// node or partition listed twice, a key twice) is left out and recorded in parse_errors; a node's
/// GRES that does not parse costs it only its GRES.
NodeData parse_scontrol_nodes(std::string_view nodes_text, std::string_view partitions_text);

/// Job id → allocated GRES over all its nodes, from `scontrol -d -o show job` (JOB_GRES=, which
/// only -d prints; "(null)" or missing → empty). Lines without JobId= are skipped. A line with
/// a malformed JobId or GRES list is left out and recorded in `errors`; without `errors`,
/// throws ParseError on it.
std::map<std::uint32_t, std::vector<GresCount>> parse_scontrol_job_gres(
    std::string_view text, std::vector<std::string>* errors = nullptr);

/// A Slurm time limit as scontrol prints it: "UNLIMITED" (or "INFINITE") → nullopt, else
/// "[days-]hh:mm:ss" → seconds. Throws ParseError otherwise.
std::optional<std::uint64_t> parse_time_limit(std::string_view text);

/// The flag names parse_state_complete() knows, lower case, with their bits (22.05 order).
struct StateFlagName {
  std::string_view name;
  std::uint32_t bit;
};
std::span<const StateFlagName> state_flag_names();

/// "22.05.8" from `sinfo --version` ("slurm-wlm 22.05.8" on Debian, "slurm 22.05.8" upstream):
/// the last word, which must start with a digit. Throws ParseError otherwise.
std::string parse_version(std::string_view text);

}  // namespace slurm_exporter::slurm::cli
