// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace fixtures {

namespace se = slurm_exporter::slurm;
constexpr std::uint64_t kMiB = 1024 * 1024;

inline se::Node node(std::string name, std::uint32_t state, std::uint32_t cpus, std::uint32_t alloc,
                     std::uint64_t real_mib, std::uint64_t alloc_mib, std::uint64_t free_mib,
                     double load, std::vector<std::string> parts) {
  se::Node n;
  n.name = std::move(name);
  n.state = state;
  n.cpus = cpus;
  n.alloc_cpus = alloc;
  n.idle_cpus = se::sinfo_idle_cpus(state, alloc, cpus);
  n.state_name = se::sinfo_state_name(state, alloc, cpus);
  n.real_memory_bytes = real_mib * kMiB;
  n.alloc_memory_bytes = alloc_mib * kMiB;
  n.free_memory_bytes = free_mib * kMiB;
  n.cpu_load = load;
  n.weight = 1;
  n.partitions = std::move(parts);
  return n;
}

/// Four nodes: idle, mixed (in two partitions), drained, down* (never reported: N/A free mem).
inline se::NodeData cluster() {
  namespace ns = se::node_state;
  se::NodeData d;
  d.nodes.push_back(node("node1", ns::kIdle, 4, 0, 8000, 0, 7000, 0.25, {"debug"}));
  d.nodes.push_back(
      node("node2", ns::kAllocated, 8, 2, 16000, 1400, 12000, 1.5, {"debug", "batch"}));
  d.nodes.push_back(node("node3", ns::kIdle | ns::kDrain, 4, 0, 8000, 0, 7500, 0, {"debug"}));
  d.nodes.push_back(node("node4", ns::kDown | ns::kNoRespond, 4, 0, 8000, 0, 0, 0, {"batch"}));
  d.partitions.resize(3);
  d.partitions[0].name = "debug";
  d.partitions[0].nodes = {"node1", "node2", "node3"};
  d.partitions[1].name = "batch";
  d.partitions[1].nodes = {"node2", "node4"};
  d.partitions[2].name = "empty";
  d.partitions[0].state = "up";
  d.partitions[0].total_nodes = 3;
  d.partitions[0].total_cpus = 16;
  d.partitions[0].max_time_seconds = 90061;  // 1-01:01:01
  d.partitions[1].state = "drain";
  d.partitions[1].total_nodes = 2;
  d.partitions[1].total_cpus = 12;  // max_time UNLIMITED
  d.partitions[2].state = "inactive";
  for (auto& n : d.nodes) n.arch = "x86_64";
  d.nodes[1].features = "fast,ssd";
  d.nodes[2].reason = "disk \"sda\" failing\\again";  // quotes and a backslash to escape
  d.nodes[2].reason_time = 1700000000;
  d.nodes[2].reason_user = "root";
  d.nodes[3].reason = "Not responding";
  d.nodes[3].reason_user = "slurm";
  d.nodes[3].arch.clear();  // never registered
  // GPUs: node1 four a100 (none in use), node2 two a100 + two untyped (one of each in use),
  // node4 (down) one v100; shards are not GPUs. node1 also has 4 GiB of no_consume lustre
  // bandwidth (Gres=bandwidth:lustre:no_consume:4G, GresUsed bandwidth:lustre:0).
  d.nodes[0].gres = {{"gpu", "a100", 4}, {"shard", "", 8}, {"bandwidth", "lustre", 4ULL << 30}};
  d.nodes[0].gres_used = {{"gpu", "a100", 0}, {"shard", "", 3}, {"bandwidth", "lustre", 0}};
  d.nodes[1].gres = {{"gpu", "a100", 2}, {"gpu", "", 2}};
  d.nodes[1].gres_used = {{"gpu", "a100", 1}, {"gpu", "", 1}};
  d.nodes[3].gres = {{"gpu", "v100", 1}};
  return d;
}

inline se::Job job(std::string user, std::string account, std::string partition, std::string state,
                   std::string reason, std::uint32_t cpus, std::uint64_t mem_mib,
                   std::uint32_t tasks = 1, std::int64_t submit_time = 0) {
  se::Job j;
  j.user = std::move(user);
  j.account = std::move(account);
  j.partition = std::move(partition);
  j.state = std::move(state);
  j.reason = std::move(reason);
  j.cpus = cpus;
  j.memory_bytes = mem_mib * kMiB;
  j.task_count = tasks;
  j.submit_time = submit_time;
  return j;
}

/// The "now" the job fixtures are aged against (unix seconds).
inline constexpr std::int64_t kNow = 1700010000;

/// Seven jobs (the last one finished); alice's running job holds one a100 and one untyped GPU, her
/// pending one asks for two GPUs, bob's pending array one per task.
inline std::vector<se::Job> jobs() {
  std::vector<se::Job> j{
      job("alice", "physics", "debug", "RUNNING", "None", 2, 1400, 1, kNow - 5000),
      job("alice", "physics", "debug", "PENDING", "Resources", 4, 1000, 1, kNow - 600),
      // array, 5 tasks
      job("bob", "chem", "debug,batch", "PENDING", "Priority", 1, 500, 5, kNow - 7200),
      job("root", "(null)", "batch", "COMPLETING", "None", 1, 100, 1, kNow - 9000),
      job("bob", "chem", "batch", "PENDING", "JobHeldUser", 2, 200, 1, kNow - 30),
      // submitted "after now" (clock skew): no wait
      job("bob", "chem", "debug", "PENDING", "Priority", 1, 1, 1, kNow + 10),
      // finished (slurmctld lists it for MinJobAge): in no queue family
      job("carol", "bio", "debug", "FAILED", "NonZeroExitCode", 8, 4000, 1, kNow - 300),
  };
  j[0].job_id = 1;
  j[0].eligible_time = kNow - 5000;
  j[0].start_time = kNow - 4000;  // waited 1000 s
  j[0].gres_alloc = {{"gpu", "a100", 1}, {"gpu", "", 1}, {"shard", "", 2}};
  j[0].gpus_requested = 2;
  j[1].job_id = 2;
  j[1].eligible_time = kNow - 600;  // pending 600 s: bucket 900
  j[1].gpus_requested = 2;
  j[2].job_id = 3;
  j[2].eligible_time = kNow - 7200;  // five tasks pending 7200 s: bucket 7200
  j[2].gpus_requested = 1;
  j[3].job_id = 4;
  j[3].eligible_time = kNow - 9000;
  j[3].start_time = kNow - 8990;  // waited 10 s
  j[3].gres_alloc = {{"gpu", "v100", 1}};
  j[4].job_id = 5;  // held: not eligible, not in the pending wait histogram
  j[5].job_id = 6;
  j[5].eligible_time = kNow + 10;  // eligible in the future: not waiting yet
  j[6].job_id = 7;
  j[6].eligible_time = kNow - 300;
  j[6].start_time = kNow - 200;
  j[6].gres_alloc = {{"gpu", "a100", 1}};
  j[6].gpus_requested = 1;
  return j;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace fixtures
