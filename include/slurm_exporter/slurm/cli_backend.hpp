// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstddef>
#include <future>
#include <map>
#include <mutex>
#include <semaphore>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/slurm/backend.hpp"
#include "slurm_exporter/slurm/user_names.hpp"

namespace slurm_exporter::slurm {

/// Where the Slurm commands are and how long they may take.
struct CliOptions {
  std::string sinfo = "sinfo";    ///< -slurm.sinfo-cli: a path (has a '/'), or a bare name
  std::string squeue = "squeue";  ///< -slurm.squeue-cli
  /// -slurm.lic-cli: the scontrol run for licenses (`<it> show licenses -o`); empty = the
  /// scontrol next to sinfo.
  std::string lic_scontrol;
  /// -slurm.diag-cli: the sdiag run for scheduler statistics; empty = the sdiag next to sinfo.
  std::string sdiag;
  /// -slurm.sacctmgr-cli: the sacctmgr run for slurmdbd's statistics (`<it> show stats`);
  /// empty = the sacctmgr next to sinfo.
  std::string sacctmgr;
  /// --slurm.bin-dir: where bare names are looked up; empty = kCliSearchPath.
  std::string bin_dir;
  std::chrono::milliseconds timeout{10'000};  ///< --slurm.cli-timeout, per command
  /// Passed to the commands as SLURM_CONF; empty = the exporter's own SLURM_CONF, if any.
  std::string slurm_conf;
};

/// Where bare command names are looked up without a bin_dir, and the PATH the commands get.
inline constexpr const char* kCliSearchPath = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Why a Slurm command could not talk to slurmctld, from its stderr: "version mismatch: …"
/// (slurmctld does not speak the protocol of `commands_version`: "Insane message length",
/// "Incompatible versions", "Protocol version"), "authentication: …" (munge, credentials),
/// "connection: …" (connect failure, timeout), or "" when stderr names none of these.
std::string client_failure_cause(std::string_view err, std::string_view commands_version);

/// Reads Slurm state by running scontrol and squeue and parsing their output (cli_parse.hpp) into
/// the same snapshot the libslurm backend produces, for hosts whose libslurm doesn't match.
///
/// Each kind of load() runs the typed call below. Commands: load_nodes() runs `scontrol -a -d
/// -o show node` and `scontrol -a -o show partition` (cli::parse_scontrol_nodes) with the
/// scontrol in sinfo's directory; only when there is none, `sinfo -N -h -a -O <fields>` and
/// `sinfo -h -a -o %R` (cli::parse_sinfo_nodes). load_jobs() runs `squeue -h -r -a -O
/// <fields>`. Each runs through
/// run_command(): no shell, stdin /dev/null, `timeout` per command (the whole process group is
/// killed), and this environment only: LC_ALL=C, SLURM_TIME_FORMAT=standard, PATH=kCliSearchPath,
/// SLURM_CONF (options.slurm_conf, else the exporter's SLURM_CONF when set) and HOME when set.
/// Nothing else is inherited, so a user's SQUEUE_FORMAT, SINFO_SORT, SLURM_CLUSTERS… can't change
/// the output.
///
/// Known differences from the libslurm snapshot (no collector depends on them):
/// - Node::state comes from scontrol's State= (or sinfo's StateComplete), which already names
///   the base MIXED where sinfo decides so (the libslurm backend keeps Slurm's raw ALLOCATED
///   there); bits 22.05 prints as "?" are absent.
/// - A node reason's line breaks come back from scontrol's one-line form (8 spaces inside a
///   later line of a reason read as a break; empty lines are lost); the reason's user is the
///   name scontrol prints.
/// - Without scontrol (sinfo only): nodes are in sinfo's order (by name), nodes in no
///   partition are missing, Arch and the partition settings are empty.
/// - Partition::nodes holds the nodes scontrol lists with that partition, so not FUTURE nodes
///   or powered-down CLOUD nodes it leaves out, which libslurm keeps in the partition's list.
/// - A pending array not yet split into tasks is one line per task (task_count 1 each) where
///   libslurm has one record with task_count N; the per-task fields are the same, so every
///   family weighed by task_count is identical. Jobs are in squeue's order.
/// - Job::reason is the part of squeue's Reason before the first ','; squeue prints the job's
///   state description instead of the reason code when there is one, so e.g. a requeued-held
///   job shows "job requeued in held state" where libslurm gives "JobHeldUser".
/// - Job::memory_bytes is only the `mem=` of the TRES squeue prints (allocated, else
///   requested); 0 when it has none (libslurm then falls back to the job's --mem request).
///
/// Commands run side by side, at most this many at once: the controller's cores are the
/// users', not ours.
inline constexpr std::ptrdiff_t kMaxParallelCommands = 3;
using CommandSlots = std::counting_semaphore<kMaxParallelCommands>;
/// Holds one of the slots while it lives.
class SlotGuard {
 public:
  explicit SlotGuard(CommandSlots& slots) : slots_(slots) { slots_.acquire(); }
  ~SlotGuard() { slots_.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  CommandSlots& slots_;
};

/// Not thread-safe (except cancel()): the poller calls it from one thread. The node load's
/// commands run side by side, and squeue beside them when the previous poll loaded jobs (the
/// job load of the same poll takes its output), at most kMaxParallelCommands at a time.
class CliBackend final : public Backend {
 public:
  /// Resolves both command paths (a name with '/' as it is, a bare name in bin_dir or
  /// kCliSearchPath) and runs `sinfo --version` once. Throws BackendError naming the command
  /// when one cannot be found, run, or its version read.
  explicit CliBackend(CliOptions options);

  std::string_view name() const override { return "cli"; }
  std::string slurm_version() const override { return version_; }
  /// Kills the commands running now (their load throws BackendError "… cancelled") and makes
  /// every later command fail the same way at once. For shutdown, from any thread.
  void cancel() noexcept override;
  /// Forgets this poll's `scontrol show config` (load_config).
  void begin_poll() override { poll_config_.reset(); }
  ~CliBackend() override;
  CliBackend(const CliBackend&) = delete;
  CliBackend& operator=(const CliBackend&) = delete;
  /// Throws BackendError when a command cannot run, times out, exits non-zero or dies by a
  /// signal (unreachable() when its stderr says slurmctld cannot be contacted), ParseError
  /// when its output doesn't parse.
  NodeData load_nodes();
  /// load_nodes() from scontrol, from sinfo when there is no scontrol.
  NodeData load_scontrol_nodes();
  NodeData load_sinfo_nodes();
  /// As load_nodes(); a malformed squeue or JOB_GRES line is left out and recorded in
  /// JobData::parse_errors.
  JobData load_jobs();
  /// `sdiag` (next to sinfo; read only, never `sdiag --reset`), parsed by cli::parse_sdiag.
  SchedulerStats load_scheduler_stats();
  /// `scontrol show licenses -o` (scontrol next to sinfo).
  std::vector<License> load_licenses();
  /// `scontrol show reservation -o`.
  std::vector<Reservation> load_reservations();
  /// `scontrol show config`, run once per poll (begin_poll): the private_data collector and
  /// load_assoc_mgr's accounting check share it.
  SlurmConfig load_config();
  /// `scontrol ping`; every controller's ping_seconds is the whole command's run time.
  ControllerStatus ping_controllers();
  /// `sshare -a -n -P -o <cli::kSshareFields>` (sshare next to sinfo).
  ShareData load_shares();
  /// `scontrol show assoc_mgr flags=assoc,qos` (empty on a cluster without slurmdbd).
  AccountingState load_assoc_mgr();
  /// `sacctmgr show stats` (next to sinfo). A sacctmgr that fails (slurmdbd down, no
  /// accounting) gives DbdStats::error instead of an exception; bad output throws.
  DbdStats load_dbd_stats();

 protected:
  /// Runs the commands of `kind` (see above); every answer is new (the commands cannot tell
  /// what changed).
  std::optional<LoadData> fetch(LoadKind kind, bool full) override;

 private:
  /// Runs `command` with `args`; returns stdout. `label` follows the path in messages
  /// (" -N"). Logs stderr of a successful run once per distinct text, and a warning (once per
  /// command) when a successful run took more than half of --slurm.cli-timeout.
  std::string run(const std::string& command, std::span<const std::string> args,
                  std::string_view label);

  CliOptions options_;
  std::string sinfo_path_;
  std::string squeue_path_;
  std::string scontrol_path_;  ///< next to sinfo; empty: nodes from sinfo -N instead
  /// The scontrol / sdiag / sshare / sacctmgr next to sinfo for the controller-side and
  /// accounting collectors; throws
  /// BackendError naming the missing command.
  const std::string& controller_command(std::string_view name);
  /// sdiag, sshare, sacctmgr: next to sinfo, found at their first use.
  std::map<std::string, std::string> next_to_sinfo_;
  std::optional<SlurmConfig> poll_config_;  ///< this poll's load_config answer, if loaded
  std::uint64_t assoc_mgr_failures_ = 0;    ///< failed assoc_mgr loads (rivosinc's scrape_error)
  std::uint64_t shares_failures_ = 0;       ///< failed sshare loads (rivosinc's fairshare one)
  std::string sdiag_path_;     ///< options.sdiag, else next to sinfo; empty when there is none
  std::string sacctmgr_path_;  ///< options.sacctmgr, else next to sinfo; empty when none
  std::string lic_path_;       ///< options.lic_scontrol resolved; empty = scontrol_path_
  std::vector<std::string> env_;
  std::string version_;
  std::set<std::string> warned_;       ///< describe() texts of stderr already logged
  std::set<std::string> slow_warned_;  ///< commands (with label) already reported as slow
  UserNames user_names_;               ///< names the uid of a node's reason
  std::mutex warn_mutex_;              ///< guards warned_/slow_warned_ (commands run in parallel)
  int cancel_fd_ = -1;                 ///< eventfd cancel() writes to; every command watches it
  CommandSlots slots_{kMaxParallelCommands};  ///< bounds the commands running at once
  /// The last load_nodes found that the poll before it loaded jobs: it starts squeue beside its
  /// own commands, and load_jobs of the same poll takes the result.
  bool jobs_wanted_ = false;
  std::future<std::string> squeue_prefetch_;
  std::string run_squeue();
  /// Waits for a prefetch nobody took and drops it.
  void drop_prefetch() noexcept;
  /// Gives each pending job whose squeue text shows a free-text description (Job::reason
  /// empty) its reason code from one `squeue --json`, or kOtherReason when that fails.
  void resolve_reasons(std::vector<Job>& jobs);
  bool json_warned_ = false;  ///< a failed squeue --json was logged
};

}  // namespace slurm_exporter::slurm
