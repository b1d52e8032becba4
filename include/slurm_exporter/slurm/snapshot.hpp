// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slurm_exporter/slurm/gres.hpp"

namespace slurm_exporter::slurm {

/// One node as slurmctld reports it, in base units. Filled by a Backend.
struct Node {
  std::string name;
  /// Slurm's raw node_state: base state (low 4 bits) | NODE_STATE_* flags, see node_state.hpp.
  std::uint32_t state = 0;
  /// The state as `sinfo -N -o %T` prints it (lower case, suffix included: "idle", "down*").
  std::string state_name;
  std::uint32_t cpus = 0;                ///< configured CPUs (sinfo %C total)
  std::uint32_t alloc_cpus = 0;          ///< CPUs allocated to jobs (sinfo %C allocated)
  std::uint32_t idle_cpus = 0;           ///< sinfo %C idle: 0 on drained/down nodes
  double cpu_load = 0.0;                 ///< load average (sinfo %O); 0 when unknown
  std::uint64_t real_memory_bytes = 0;   ///< configured memory (sinfo %m), bytes
  std::uint64_t alloc_memory_bytes = 0;  ///< memory allocated to jobs, bytes
  std::uint64_t free_memory_bytes = 0;   ///< free memory (sinfo %e), bytes; 0 when N/A
  std::uint32_t weight = 0;              ///< scheduling weight (sinfo %w)
  std::vector<std::string> partitions;   ///< partitions containing the node
  /// Why the node is unavailable, as `scontrol show node` Reason= (without " [user@time]");
  /// empty when none (sinfo prints "none").
  std::string reason;
  std::int64_t reason_time = 0;  ///< when the reason was set, unix seconds; 0 when none
  /// Who set the reason: the user name, or the numeric uid when it has none; empty when the
  /// node has no reason.
  std::string reason_user;
  std::string features;  ///< available features (sinfo %f); empty for none ("(null)")
  std::string arch;      ///< architecture (sinfo Arch); empty when unknown (no slurmd yet)
  /// Configured generic resources (libslurm gres; sinfo Gres), e.g. {gpu,a100,4}.
  std::vector<GresCount> gres;
  /// Generic resources allocated to jobs (libslurm gres_used; sinfo GresUsed), per type.
  std::vector<GresCount> gres_used;
};

/// One partition (slurm_load_partitions / sinfo).
struct Partition {
  std::string name;
  std::vector<std::string> nodes;  ///< member node names, expanded
  /// "up", "down", "drain" or "inactive" (scontrol's State= in lower case); empty when the
  /// backend could not read the partition's settings (CLI backend without scontrol).
  std::string state;
  std::uint64_t total_nodes = 0;  ///< TotalNodes
  std::uint64_t total_cpus = 0;   ///< TotalCPUs
  /// MaxTime in seconds; nullopt when UNLIMITED.
  std::optional<std::uint64_t> max_time_seconds;
};

/// Nodes and partitions from one poll.
struct NodeData {
  std::vector<Node> nodes;
  std::vector<Partition> partitions;
  /// One entry per datum the backend could not parse and left out (a node's GRES string, a
  /// malformed line): "what: text: reason". The rest of the data is still right.
  std::vector<std::string> parse_errors;
};

/// One line of `squeue -r`: a job, or one task of an array. A pending array whose tasks are
/// not split yet is one record with `task_count` > 1 (it stands for that many squeue lines).
struct Job {
  std::uint32_t job_id = 0;
  std::string user;                ///< squeue %u
  std::string account;             ///< squeue %a ("(null)" when unset, as squeue prints it)
  std::string partition;           ///< squeue %P ("a,b" for a job pending in two partitions)
  std::string state;               ///< squeue %T: RUNNING, PENDING, COMPLETING, …
  std::string reason;              ///< squeue %r: None, Priority, Resources, …
  std::uint32_t cpus = 0;          ///< squeue %C
  std::uint64_t memory_bytes = 0;  ///< allocated (or, pending, requested) memory, bytes
  std::uint32_t task_count = 1;    ///< squeue -r lines this record stands for
  /// When the job was submitted, unix seconds (squeue SubmitTime); 0 when unknown.
  std::int64_t submit_time = 0;
  /// When the job became eligible to run, unix seconds (squeue EligibleTime); 0 when not (yet):
  /// held, dependency, or "N/A". A --begin in the future is that future time.
  std::int64_t eligible_time = 0;
  /// When the job started, unix seconds (squeue StartTime); for a pending job the expected
  /// start, 0 when unknown.
  std::int64_t start_time = 0;
  /// GRES allocated to the job over all its nodes (libslurm gres_total; `scontrol -d show job`
  /// JOB_GRES), e.g. {gpu,a100,2},{gpu,v100,1}. Empty while pending.
  std::vector<GresCount> gres_alloc;
  /// GPUs the job asks for, however it asked (--gpus, --gres/--gpus-per-node, --gpus-per-task,
  /// --gpus-per-socket: see requested_gpus), for one task of an array.
  std::uint64_t gpus_requested = 0;
  /// Requested features (--constraint, libslurm job.features) as Slurm keeps them, e.g.
  /// "a100&ib"; empty for none. Only when JobData::features_known.
  std::string features;
};

/// Every job of one load, and what could not be parsed of it.
struct JobData {
  std::vector<Job> jobs;
  /// One entry per datum the backend could not parse and left out (a malformed squeue line,
  /// a job's GRES string): "what: text: reason". The other jobs are still right.
  std::vector<std::string> parse_errors;
  /// Job::features is filled (libslurm; cli: squeue's Feature, see parse_squeue).
  bool features_known = false;
};

}  // namespace slurm_exporter::slurm
