// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "../support/golden.hpp"
#include "fixtures.hpp"
#include "slurm_exporter/collectors/exporter.hpp"
#include "slurm_exporter/collectors/features.hpp"
#include "slurm_exporter/collectors/jobs.hpp"
#include "slurm_exporter/collectors/node.hpp"
#include "slurm_exporter/collectors/nodes.hpp"
#include "slurm_exporter/collectors/vpenso.hpp"
#include "slurm_exporter/metrics/exposition.hpp"

using namespace slurm_exporter;
using test_support::check_golden;
using test_support::render;

namespace {

// Every job family of one poll: the counts and the families that depend on "now".
std::vector<metrics::Family> job_families(std::span<const slurm::Job> jobs, std::int64_t now) {
  auto out = collectors::collect_jobs(jobs);
  for (auto& f : collectors::PendingAges(jobs).collect(now)) out.push_back(std::move(f));
  return out;
}

double value(const std::vector<metrics::Family>& fams, const std::string& name,
             const std::vector<std::string>& labels = {}) {
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& s : f.samples) {
      if (s.label_values == labels) return s.value;
    }
  }
  FAIL("no sample " << name);
  return -1;
}

bool has_family(const std::vector<metrics::Family>& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return true;
  }
  return false;
}

bool has_label_value(const std::vector<metrics::Family>& fams, const std::string& v) {
  for (const auto& f : fams) {
    for (const auto& s : f.samples) {
      for (const auto& l : s.label_values) {
        if (l == v) return true;
      }
    }
  }
  return false;
}

}  // namespace

TEST_CASE("node families match the golden file") {
  check_golden("nodes.prom", render(collectors::collect_nodes(fixtures::cluster())));
}

TEST_CASE("cluster totals count a node once, partitions count it in each") {
  const auto f = collectors::collect_nodes(fixtures::cluster());
  CHECK(value(f, "slurm_cpus_total") == 20);
  CHECK(value(f, "slurm_cpus_idle") == 4 + 6);  // drained and down nodes have no idle CPUs
  CHECK(value(f, "slurm_mem_real") == 40000.0 * 1048576);
  CHECK(value(f, "slurm_mem_alloc") == 1400.0 * 1048576);
  CHECK(value(f, "slurm_mem_free") == (7000.0 + 12000 + 7500) * 1048576);
  CHECK(value(f, "slurm_cpu_load") == 1.75);
  CHECK(value(f, "slurm_node_count_per_state", {"mixed"}) == 1);
  CHECK(value(f, "slurm_node_count_per_state", {"down*"}) == 1);
  CHECK(value(f, "slurm_node_count_per_state", {"completing"}) == 0);
  CHECK(value(f, "slurm_cpus_per_state", {"mixed"}) == 8);
  CHECK(value(f, "slurm_partition_total_cpus", {"debug"}) == 16);
  CHECK(value(f, "slurm_partition_total_cpus", {"batch"}) == 12);
  CHECK(value(f, "slurm_partition_total_cpus", {"empty"}) == 0);
  CHECK(value(f, "slurm_partition_alloc_cpus", {"batch", "mixed"}) == 2);
  CHECK(value(f, "slurm_partition_node_count", {"batch", "down*"}) == 1);
  CHECK(value(f, "slurm_partition_node_count", {"debug", "idle"}) == 1);
  CHECK(value(f, "slurm_partition_weight", {"debug"}) == 3);
}

TEST_CASE("slurm_nodes counts each node once in its primary state, zeros for the rest") {
  const auto f = collectors::collect_nodes(fixtures::cluster());
  CHECK(value(f, "slurm_nodes", {"idle"}) == 1);
  CHECK(value(f, "slurm_nodes", {"mixed"}) == 1);
  CHECK(value(f, "slurm_nodes", {"drained"}) == 1);
  CHECK(value(f, "slurm_nodes", {"down"}) == 1);
  CHECK(value(f, "slurm_nodes", {"planned"}) == 0);
  double sum = 0;
  std::size_t states = 0;
  for (const auto& fam : f) {
    if (fam.name != "slurm_nodes") continue;
    for (const auto& s : fam.samples) sum += s.value, ++states;
  }
  CHECK(sum == 4);
  CHECK(states == slurm::kPrimaryStates.size());
  CHECK(value(f, "slurm_nodes_flagged", {"drain"}) == 1);
  CHECK(value(f, "slurm_nodes_flagged", {"not_responding"}) == 1);
  CHECK(value(f, "slurm_nodes_flagged", {"dynamic"}) == 0);
}

TEST_CASE("per-node families match the golden file") {
  const auto f = collectors::collect_node(fixtures::cluster());
  check_golden("node.prom", render(f));
  CHECK(value(f, "slurm_node_state", {"node2", "mixed"}) == 1);
  CHECK(value(f, "slurm_node_cpus_allocated", {"node2"}) == 2);
  CHECK(value(f, "slurm_node_memory_free_bytes", {"node4"}) == 0);
  CHECK(value(f, "slurm_node_info", {"node2", "mixed", "debug,batch", "fast,ssd", "x86_64"}) == 1);
  for (const auto& fam : f) {
    if (fam.name == "slurm_node_state") CHECK(fam.samples.size() == 4);  // one per node
  }
}

TEST_CASE("reason families: only nodes with a reason, timestamp only when known") {
  const auto f = collectors::collect_node_reasons(fixtures::cluster());
  check_golden("node_reason.prom", render(f));
  CHECK(value(f, "slurm_node_reason_info", {"node4", "Not responding", "slurm"}) == 1);
  CHECK(value(f, "slurm_node_reason_timestamp_seconds", {"node3"}) == 1700000000);
  for (const auto& fam : f) {
    CHECK(fam.samples.size() == (fam.name == "slurm_node_reason_info" ? 2u : 1u));
  }
}

TEST_CASE("job families match the golden file") {
  check_golden("jobs.prom", render(job_families(fixtures::jobs(), fixtures::kNow)));
}

TEST_CASE("array tasks count individually; usual states are zero-filled") {
  const auto f = job_families(fixtures::jobs(), fixtures::kNow);
  CHECK(value(f, "slurm_jobs_pending") == 1 + 5 + 1 + 1);
  CHECK(value(f, "slurm_jobs_running") == 1);
  CHECK(value(f, "slurm_user_state_total", {"bob", "PENDING"}) == 7);
  CHECK(value(f, "slurm_user_cpu_alloc", {"bob", "PENDING"}) == 5 + 2 + 1);
  CHECK(value(f, "slurm_user_mem_alloc", {"bob", "PENDING"}) == (2500.0 + 200 + 1) * 1048576);
  CHECK(value(f, "slurm_user_state_total", {"bob", "RUNNING"}) == 0);
  CHECK(value(f, "slurm_account_job_state_total", {"(null)", "COMPLETING"}) == 1);
  CHECK(value(f, "slurm_partition_job_state_total", {"debug,batch", "PENDING"}) == 5);
  CHECK(value(f, "slurm_pending_reason_total", {"Priority"}) == 6);
  CHECK(value(f, "slurm_pending_reason_total", {"JobHeldUser"}) == 1);
  // rivosinc's {account} sums: what the account's jobs hold (pending jobs hold nothing).
  CHECK(value(f, "slurm_account_cpu_alloc", {"physics"}) == 2);
  CHECK(value(f, "slurm_account_mem_alloc", {"physics"}) == 1400.0 * 1048576);
  CHECK(value(f, "slurm_account_cpu_alloc", {"chem"}) == 0);
  CHECK(value(f, "slurm_account_cpu_alloc", {"(null)"}) == 1);  // COMPLETING still holds it
  CHECK(!has_label_value(f, "bio"));                            // finished: in no family
}

TEST_CASE("slurm_jobs and per-partition queue pressure") {
  const auto f = job_families(fixtures::jobs(), fixtures::kNow);
  CHECK(value(f, "slurm_jobs", {"PENDING"}) == 8);
  CHECK(value(f, "slurm_jobs", {"COMPLETING"}) == 1);
  CHECK(value(f, "slurm_partition_jobs", {"batch", "RUNNING"}) == 0);
  CHECK(value(f, "slurm_partition_jobs", {"debug", "RUNNING"}) == 1);
  // bob's 5-task array pending in debug,batch counts in each: 1 + 5 + 1 in debug, 5 + 1 in
  // batch.
  CHECK(value(f, "slurm_partition_jobs", {"debug", "PENDING"}) == 7);
  CHECK(value(f, "slurm_partition_jobs", {"batch", "PENDING"}) == 6);
  CHECK(value(f, "slurm_partition_pending_jobs", {"debug"}) == 7);
  CHECK(value(f, "slurm_partition_pending_jobs", {"batch"}) == 6);
  CHECK(value(f, "slurm_partition_pending_cpus", {"debug"}) == 4 + 5 + 1);
  CHECK(value(f, "slurm_partition_pending_cpus", {"batch"}) == 5 + 2);
  CHECK(value(f, "slurm_partition_pending_memory_bytes", {"debug"}) ==
        (1000.0 + 2500 + 1) * 1048576);
  CHECK(value(f, "slurm_partition_pending_memory_bytes", {"batch"}) == (2500.0 + 200) * 1048576);
  // The array (eligible for 7200 s) is the oldest eligible job in both; batch's held job
  // (submitted 30 s ago) and debug's future-eligible one don't count.
  CHECK(value(f, "slurm_partition_oldest_pending_job_seconds", {"debug"}) == 7200);
  CHECK(value(f, "slurm_partition_oldest_pending_job_seconds", {"batch"}) == 7200);
  // The rivosinc-named family keeps the combined label.
  CHECK(value(f, "slurm_partition_job_state_total", {"debug,batch", "PENDING"}) == 5);
  for (const auto& fam : f) {
    if (fam.name == "slurm_partition_job_state_total") continue;
    for (const auto& s : fam.samples) {
      for (const auto& l : s.label_values) CHECK(l != "debug,batch");
    }
  }
}

TEST_CASE("finished jobs are in no queue family, and terminal states are not zero-filled") {
  const auto f = job_families(fixtures::jobs(), fixtures::kNow);
  CHECK_FALSE(has_label_value(f, "carol"));
  CHECK_FALSE(has_label_value(f, "bio"));
  CHECK_FALSE(has_label_value(f, "FAILED"));
  CHECK_FALSE(has_label_value(f, "NonZeroExitCode"));
  for (const char* s : {"COMPLETED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                        "DEADLINE", "OUT_OF_MEMORY"}) {
    CHECK_FALSE(has_label_value(f, s));
  }
  for (const char* s : {"PENDING", "RUNNING", "SUSPENDED", "COMPLETING", "CONFIGURING"}) {
    CHECK(has_label_value(f, s));
  }
  CHECK(value(f, "slurm_user_gpus_allocated", {"alice", "a100"}) == 1);  // not carol's a100
}

TEST_CASE("oldest pending job: only jobs eligible to start") {
  using fixtures::job;
  std::vector<slurm::Job> jobs{
      job("u", "a", "held", "PENDING", "JobHeldUser", 1, 1, 1, fixtures::kNow - 5000),
      job("u", "a", "dep", "PENDING", "Dependency", 1, 1, 1, fixtures::kNow - 4000),
      job("u", "a", "begin", "PENDING", "BeginTime", 1, 1, 1, fixtures::kNow - 3000),
      job("u", "a", "begin", "PENDING", "Priority", 1, 1, 1, fixtures::kNow - 20),
      job("u", "a", "mixed", "PENDING", "JobHeldAdmin", 1, 1, 1, fixtures::kNow - 9000),
      job("u", "a", "mixed", "PENDING", "Priority", 1, 1, 1, fixtures::kNow - 100),
  };
  jobs[2].eligible_time = fixtures::kNow + 60;  // --begin in a minute
  jobs[3].eligible_time = fixtures::kNow - 10;
  jobs[5].eligible_time = fixtures::kNow - 100;
  const auto f = job_families(jobs, fixtures::kNow);
  const std::string n = "slurm_partition_oldest_pending_job_seconds";
  CHECK(value(f, n, {"held"}) == 0);
  CHECK(value(f, n, {"dep"}) == 0);
  CHECK(value(f, n, {"begin"}) == 20);  // since submission, of the eligible job
  CHECK(value(f, n, {"mixed"}) == 100);
  // Once the --begin time has passed, that job is the oldest (submitted 3000 s before).
  const auto later = job_families(jobs, fixtures::kNow + 60);
  CHECK(value(later, n, {"begin"}) == 3060);
  CHECK(value(f, "slurm_partition_pending_jobs", {"held"}) == 1);  // still pending
}

TEST_CASE("no jobs: the cluster-wide counts are still there") {
  const auto f = job_families({}, fixtures::kNow);
  CHECK(value(f, "slurm_jobs_pending") == 0);
  CHECK(value(f, "slurm_jobs_running") == 0);
  CHECK(value(f, "slurm_jobs", {"RUNNING"}) == 0);
}

TEST_CASE("exporter families") {
  collectors::ExporterStatus st;
  st.slurm_up = false;
  st.backend = "libslurm";
  st.slurm_version = "22.05.8";
  st.collectors = {{"nodes", false, 0.5}, {"jobs", true, 0.25}};
  st.node_load_ms = 12.5;
  const auto f = collectors::collect_exporter(st);
  CHECK(value(f, "slurm_up") == 0);
  CHECK(value(f, "slurm_exporter_collector_success", {"nodes"}) == 0);
  CHECK(value(f, "slurm_exporter_collector_success", {"jobs"}) == 1);
  CHECK(value(f, "slurm_exporter_collector_duration_seconds", {"nodes"}) == 0.5);
  CHECK(value(f, "slurm_node_scrape_duration") == 12.5);
  // rivosinc's error counters appear only for loads a collector reads.
  CHECK(!has_family(f, "slurm_diag_scrape_error"));
  CHECK(!has_family(f, "slurm_diag_scrape_duration"));
  st.node_load_failures = 3;
  st.sdiag_load_failures = 0;
  st.sdiag_load_ms = 4.0;
  const auto g = collectors::collect_exporter(st);
  CHECK(value(g, "slurm_node_scrape_error") == 3);
  CHECK(value(g, "slurm_diag_scrape_error") == 0);
  CHECK(value(g, "slurm_diag_scrape_duration") == 4.0);
  CHECK(!has_family(g, "slurm_lic_scrape_error"));
  CHECK(render(g).find("# TYPE slurm_node_scrape_error untyped\n") != std::string::npos);
  const std::string text = render(f);
  CHECK(text.find("slurm_exporter_build_info{version=\"") != std::string::npos);
  CHECK(text.find("slurm_version=\"22.05.8\",backend=\"libslurm\"} 1\n") != std::string::npos);
}

TEST_CASE("rivosinc feature families: --constraint split at '&', as rivosinc computes them") {
  slurm::JobData data;
  const auto job = [](std::string state, std::uint32_t cpus, std::uint64_t mem, std::string feat,
                      std::uint32_t tasks = 1) {
    slurm::Job j;
    j.state = std::move(state);
    j.cpus = cpus;
    j.memory_bytes = mem;
    j.features = std::move(feat);
    j.task_count = tasks;
    return j;
  };
  data.jobs = {job("RUNNING", 4, 1000, "a100&ib"), job("RUNNING", 2, 500, "ib"),
               job("PENDING", 8, 9000, "a100", 3), job("RUNNING", 1, 10, ""),
               job("RUNNING", 1, 10, "x|y")};
  CHECK(collectors::collect_features(data).empty());  // features not known: nothing
  data.features_known = true;
  const auto f = collectors::collect_features(data);
  CHECK(value(f, "slurm_feature_total", {"a100"}) == 1 + 3);
  CHECK(value(f, "slurm_feature_total", {"ib"}) == 2);
  CHECK(value(f, "slurm_feature_total", {""}) == 1);  // rivosinc: "" for a job without features
  CHECK(value(f, "slurm_feature_total", {"x|y"}) == 1);
  CHECK(value(f, "slurm_feature_cpu_alloc", {"a100"}) == 4);  // the pending job holds none
  CHECK(value(f, "slurm_feature_cpu_alloc", {"ib"}) == 6);
  CHECK(value(f, "slurm_feature_mem_alloc", {"ib"}) == 1500);
  CHECK(value(f, "slurm_feature_mem_alloc", {"a100"}) == 1000);
}

TEST_CASE("GPU families per type: configured, allocated, per partition, per node") {
  const auto f = collectors::collect_nodes(fixtures::cluster());
  CHECK(value(f, "slurm_gpus", {"a100"}) == 6);
  CHECK(value(f, "slurm_gpus", {""}) == 2);
  CHECK(value(f, "slurm_gpus", {"v100"}) == 1);
  CHECK(value(f, "slurm_gpus_allocated", {"a100"}) == 1);
  CHECK(value(f, "slurm_gpus_allocated", {""}) == 1);
  CHECK(value(f, "slurm_gpus_allocated", {"v100"}) == 0);  // zero-filled
  CHECK(value(f, "slurm_partition_gpus", {"debug", "a100"}) == 6);
  CHECK(value(f, "slurm_partition_gpus", {"batch", "a100"}) == 2);
  CHECK(value(f, "slurm_partition_gpus", {"batch", "v100"}) == 1);
  CHECK(value(f, "slurm_partition_gpus_allocated", {"batch", ""}) == 1);
  CHECK(value(f, "slurm_partition_gpus_allocated", {"debug", "a100"}) == 1);
  const auto n = collectors::collect_node(fixtures::cluster());
  CHECK(value(n, "slurm_node_gpus", {"node2", ""}) == 2);
  CHECK(value(n, "slurm_node_gpus_allocated", {"node1", "a100"}) == 0);
  CHECK(value(n, "slurm_node_gpus_allocated", {"node2", "a100"}) == 1);
}

TEST_CASE("GRES families: every GRES by name and type, sizes in Slurm's count") {
  const auto f = collectors::collect_nodes(fixtures::cluster());
  CHECK(value(f, "slurm_gres", {"shard", ""}) == 8);
  CHECK(value(f, "slurm_gres_allocated", {"shard", ""}) == 3);
  CHECK(value(f, "slurm_gres", {"bandwidth", "lustre"}) == 4294967296.0);
  CHECK(value(f, "slurm_gres_allocated", {"bandwidth", "lustre"}) == 0);
  CHECK(value(f, "slurm_gres", {"gpu", "a100"}) == value(f, "slurm_gpus", {"a100"}));
  CHECK(value(f, "slurm_gres_allocated", {"gpu", "v100"}) == 0);  // zero-filled
  CHECK(value(f, "slurm_partition_gres", {"debug", "shard", ""}) == 8);
  CHECK(value(f, "slurm_partition_gres_allocated", {"debug", "shard", ""}) == 3);
  CHECK(value(f, "slurm_partition_gres", {"batch", "gpu", "v100"}) == 1);
  const auto n = collectors::collect_node(fixtures::cluster());
  CHECK(value(n, "slurm_node_gres", {"node1", "bandwidth", "lustre"}) == 4294967296.0);
  CHECK(value(n, "slurm_node_gres", {"node1", "shard", ""}) == 8);
  CHECK(value(n, "slurm_node_gres_allocated", {"node1", "shard", ""}) == 3);
  CHECK(value(n, "slurm_node_gres_allocated", {"node2", "gpu", ""}) == 1);
}

TEST_CASE("GPUs held per user and account, requested per partition") {
  const auto f = job_families(fixtures::jobs(), fixtures::kNow);
  CHECK(value(f, "slurm_user_gpus_allocated", {"alice", "a100"}) == 1);
  CHECK(value(f, "slurm_user_gpus_allocated", {"alice", ""}) == 1);
  CHECK(value(f, "slurm_user_gpus_allocated", {"root", "v100"}) == 1);
  CHECK(value(f, "slurm_account_gpus_allocated", {"physics", "a100"}) == 1);
  // pending: alice's 2 in debug, bob's array 5 tasks × 1 in debug and in batch
  CHECK(value(f, "slurm_partition_pending_gpus", {"debug"}) == 2 + 5);
  CHECK(value(f, "slurm_partition_pending_gpus", {"batch"}) == 5);
}

namespace {
// The value of histogram series `name` + suffix with `labels` (+ le for buckets).
double hist(const std::vector<metrics::Family>& f, const std::string& name, std::string_view suffix,
            const std::vector<std::string>& labels, const std::string& le = {}) {
  for (const auto& fam : f) {
    if (fam.name != name) continue;
    CHECK(fam.type == metrics::Type::kHistogram);
    for (const auto& s : fam.samples) {
      if (s.suffix == suffix && s.label_values == labels && s.le == le) return s.value;
    }
  }
  FAIL("no sample " << name << suffix);
  return -1;
}
}  // namespace

TEST_CASE("pending wait gauge histogram: eligible pending jobs, cumulative buckets") {
  const auto f = job_families(fixtures::jobs(), fixtures::kNow);
  const std::string n = "slurm_pending_job_wait_seconds";
  // debug: alice's job pending 600 s, and bob's 5-task array (pending in debug,batch) 7200 s.
  CHECK(hist(f, n, "_bucket", {"debug"}, "300") == 0);
  CHECK(hist(f, n, "_bucket", {"debug"}, "900") == 1);  // 600 s
  CHECK(hist(f, n, "_bucket", {"debug"}, "3600") == 1);
  CHECK(hist(f, n, "_bucket", {"debug"}, "7200") == 6);  // le is inclusive
  CHECK(hist(f, n, "_bucket", {"debug"}, "+Inf") == 6);
  CHECK(hist(f, n, "_count", {"debug"}) == 6);  // the future-eligible job is not waiting
  CHECK(hist(f, n, "_sum", {"debug"}) == 600 + 5 * 7200);
  // batch: the array again; the held job is not waiting.
  CHECK(hist(f, n, "_bucket", {"batch"}, "3600") == 0);
  CHECK(hist(f, n, "_bucket", {"batch"}, "7200") == 5);
  CHECK(hist(f, n, "_count", {"batch"}) == 5);
  CHECK(hist(f, n, "_sum", {"batch"}) == 5 * 7200);
}

TEST_CASE("started-job wait counter histogram: each job once, again after a requeue") {
  collectors::StartedJobWaits waits;
  auto jobs = fixtures::jobs();
  waits.update(jobs);
  waits.update(jobs);  // the same jobs again: not observed twice
  // (carol's finished job, waited 100 s in debug, is not observed either)
  auto f = std::vector<metrics::Family>{waits.family()};
  const std::string n = "slurm_job_wait_seconds";
  CHECK(hist(f, n, "_count", {"debug"}) == 1);
  CHECK(hist(f, n, "_sum", {"debug"}) == 1000);
  CHECK(hist(f, n, "_bucket", {"debug"}, "900") == 0);
  CHECK(hist(f, n, "_bucket", {"debug"}, "1800") == 1);
  CHECK(hist(f, n, "_bucket", {"batch"}, "60") == 1);  // the COMPLETING job: 10 s
  // alice's job is requeued (pending), then starts again later: a second observation.
  jobs[0].state = "PENDING";
  jobs[0].start_time = 0;
  waits.update(jobs);
  jobs[0].state = "RUNNING";
  jobs[0].eligible_time = fixtures::kNow - 100;
  jobs[0].start_time = fixtures::kNow;
  waits.update(jobs);
  f = {waits.family()};
  CHECK(hist(f, n, "_count", {"debug"}) == 2);
  CHECK(hist(f, n, "_sum", {"debug"}) == 1100);
  CHECK(hist(f, n, "_bucket", {"debug"}, "300") == 1);
}

TEST_CASE("sums past 2^32 don't wrap: CPUs, memory, GPUs, array tasks") {
  slurm::NodeData d;
  for (int i = 0; i < 3; ++i) {
    slurm::Node n;
    n.name = "n" + std::to_string(i);
    n.state = slurm::node_state::kIdle;
    n.cpus = n.idle_cpus = 4294967295u;
    n.real_memory_bytes = 1ULL << 62;
    n.gres = {{"gpu", "", 4294967296ULL}};
    n.partitions = {"p"};
    d.nodes.push_back(n);
  }
  d.partitions.resize(1);
  d.partitions[0].name = "p";
  const auto f = collectors::collect_nodes(d);
  CHECK(value(f, "slurm_cpus_total") == 3.0 * 4294967295.0);
  CHECK(value(f, "slurm_partition_total_cpus", {"p"}) == 3.0 * 4294967295.0);
  CHECK(value(f, "slurm_mem_real") == 3.0 * 4611686018427387904.0);
  CHECK(value(f, "slurm_gpus", {""}) == 3.0 * 4294967296.0);

  std::vector<slurm::Job> jobs(2, fixtures::job("u", "a", "p", "PENDING", "Priority", 4294967295u,
                                                1, 4294967295u, fixtures::kNow));
  const auto j = job_families(jobs, fixtures::kNow);
  CHECK(value(j, "slurm_jobs_pending") == 2.0 * 4294967295.0);
  CHECK(value(j, "slurm_partition_pending_cpus", {"p"}) == 2.0 * 4294967295.0 * 4294967295.0);
}

TEST_CASE("pending waits recomputed at a later now without the jobs") {
  const auto jobs = fixtures::jobs();
  const collectors::PendingWaits waits(jobs);
  auto f = std::vector<metrics::Family>{waits.family(fixtures::kNow)};
  const std::string n = "slurm_pending_job_wait_seconds";
  CHECK(hist(f, n, "_bucket", {"debug"}, "900") == 1);
  CHECK(hist(f, n, "_count", {"debug"}) == 6);
  // An hour later: the 600 s job is at 4200 s, the job eligible at now+10 waits 3590 s and
  // the array's 5 tasks 10800 s.
  f = {waits.family(fixtures::kNow + 3600)};
  CHECK(hist(f, n, "_bucket", {"debug"}, "900") == 0);
  CHECK(hist(f, n, "_bucket", {"debug"}, "3600") == 1);
  CHECK(hist(f, n, "_bucket", {"debug"}, "7200") == 2);
  CHECK(hist(f, n, "_bucket", {"debug"}, "14400") == 7);
  CHECK(hist(f, n, "_count", {"debug"}) == 7);
  CHECK(hist(f, n, "_sum", {"debug"}) == 4200 + 3590 + 5 * 10800);
  // The same as collect_jobs gives at that time.
  const auto direct = job_families(jobs, fixtures::kNow + 3600);
  CHECK(hist(direct, n, "_sum", {"debug"}) == 4200 + 3590 + 5 * 10800);
}

TEST_CASE("vpenso's families: its state prefixes, each node once, tasks one by one") {
  slurm::JobData jobs;
  jobs.jobs = fixtures::jobs();
  const auto f = collectors::collect_vpenso(fixtures::cluster(), jobs);
  const auto nodes = fixtures::cluster().nodes;
  const auto count_prefix = [&](std::string_view p) {
    double n = 0;
    for (const auto& node : nodes) n += node.state_name.starts_with(p) ? 1 : 0;
    return n;
  };
  CHECK(value(f, "slurm_nodes_drain") == count_prefix("drain"));  // drained and draining
  CHECK(value(f, "slurm_nodes_idle") == count_prefix("idle"));
  CHECK(value(f, "slurm_nodes_mix") == count_prefix("mix"));
  CHECK(value(f, "slurm_nodes_alloc") == count_prefix("alloc"));
  CHECK(value(f, "slurm_nodes_down") == count_prefix("down"));
  CHECK(value(f, "slurm_queue_pending") == 1 + 5 + 1 + 1);  // the array's five tasks
  CHECK(value(f, "slurm_queue_running") == 1);
  CHECK(value(f, "slurm_queue_completing") == 1);
  CHECK(value(f, "slurm_queue_failed") == 1);
  CHECK(value(f, "slurm_queue_pending_dependency") == 0);
  const auto n = collectors::collect_nodes(fixtures::cluster());
  CHECK(value(f, "slurm_cpus_alloc") + value(f, "slurm_cpus_other") + value(n, "slurm_cpus_idle") ==
        value(n, "slurm_cpus_total"));
  CHECK(value(f, "slurm_gpus_total") == 6 + 2 + 1);  // a100, untyped, v100 (slurm_gpus)
  CHECK(value(f, "slurm_gpus_alloc") == 2);
  // node4 (down*, 1 v100 free) cannot take jobs: its GPU is "other", not idle.
  CHECK(value(f, "slurm_gpus_other") == 1);
  CHECK(value(f, "slurm_gpus_idle") == 6);
  CHECK(value(f, "slurm_gpus_utilization") == Approx(2.0 / 9));
}

TEST_CASE("vpenso's partition, user and account families") {
  slurm::JobData jobs;
  jobs.jobs = fixtures::jobs();
  const auto cluster = fixtures::cluster();
  const auto f = collectors::collect_vpenso(cluster, jobs);
  // Pending jobs per partition: the "debug,batch" array counts in both, tasks one by one.
  CHECK(value(f, "slurm_partition_jobs_pending", {"debug"}) == 1 + 5 + 1);
  CHECK(value(f, "slurm_partition_jobs_pending", {"batch"}) == 5 + 1);
  // CPUs per partition, from each node's own partition list (sinfo %R,%C).
  for (const auto& p : cluster.partitions) {
    double a = 0, i = 0, t = 0;
    for (const auto& n : cluster.nodes) {
      if (std::find(n.partitions.begin(), n.partitions.end(), p.name) == n.partitions.end()) {
        continue;
      }
      a += n.alloc_cpus;
      i += n.idle_cpus;
      t += n.cpus;
    }
    INFO(p.name);
    CHECK(value(f, "slurm_partition_cpus_allocated", {p.name}) == a);
    CHECK(value(f, "slurm_partition_cpus_idle", {p.name}) == i);
    CHECK(value(f, "slurm_partition_cpus_other", {p.name}) == t - a - i);
    CHECK(value(f, "slurm_partition_cpus_total", {p.name}) == t);
  }
  // alice: one running job of 2 CPUs and one pending; bob: the array's 5 tasks and 2 more.
  CHECK(value(f, "slurm_user_jobs_running", {"alice"}) == 1);
  CHECK(value(f, "slurm_user_cpus_running", {"alice"}) == 2);
  CHECK(value(f, "slurm_user_jobs_pending", {"alice"}) == 1);
  CHECK(value(f, "slurm_user_jobs_pending", {"bob"}) == 7);
  CHECK(value(f, "slurm_user_jobs_running", {"bob"}) == 0);
  CHECK(value(f, "slurm_user_jobs_suspended", {"bob"}) == 0);
  CHECK(value(f, "slurm_account_jobs_pending", {"chem"}) == 7);
  CHECK(value(f, "slurm_account_cpus_running", {"physics"}) == 2);
  for (const auto& fam : f) {
    if (fam.name.starts_with("slurm_user_")) CHECK(fam.samples.size() == 2);  // not root, carol
    if (fam.name.starts_with("slurm_account_")) CHECK(fam.samples.size() == 2);
  }
}

TEST_CASE("vpenso's per-node families: its {node,status} labels, memory in bytes") {
  const auto f = collectors::collect_vpenso(fixtures::cluster(), {});
  constexpr double kMiB = 1024.0 * 1024;
  // node2: 8 CPUs, 2 allocated, mixed; 16000 MiB, 1400 allocated.
  const std::vector<std::string> node2{"node2", "mixed"};
  CHECK(value(f, "slurm_node_cpu_alloc", node2) == 2);
  CHECK(value(f, "slurm_node_cpu_idle", node2) == 6);
  CHECK(value(f, "slurm_node_cpu_other", node2) == 0);
  CHECK(value(f, "slurm_node_cpu_total", node2) == 8);
  CHECK(value(f, "slurm_node_mem_alloc", node2) == 1400 * kMiB);
  CHECK(value(f, "slurm_node_mem_total", node2) == 16000 * kMiB);
  // node3 is drained and node4 down and not responding: their CPUs are "other", as sinfo %C.
  CHECK(value(f, "slurm_node_cpu_other", {"node3", "drained"}) == 4);
  CHECK(value(f, "slurm_node_cpu_idle", {"node3", "drained"}) == 0);
  CHECK(value(f, "slurm_node_cpu_other", {"node4", "down*"}) == 4);
  CHECK(value(f, "slurm_node_cpu_total", {"node1", "idle"}) == 4);
  for (const auto& fam : f) {
    if (fam.name.starts_with("slurm_node_")) CHECK(fam.samples.size() == 4);
  }
}

TEST_CASE("vpenso's scheduler names: microseconds, cycles per minute as sdiag prints it") {
  slurm::SchedulerStats s;
  s.req_time = 1000 + 600;  // ten minutes of statistics
  s.req_time_start = 1000;
  s.schedule_cycle_counter = 25;
  s.schedule_cycle_last_us = 133;
  s.bf_cycle_mean_us = 2500;
  s.bf_backfilled_jobs = 4;
  s.bf_last_backfilled_jobs = 2;
  s.agent_queue_size = 3;
  const auto f = collectors::collect_vpenso_scheduler(s);
  CHECK(value(f, "slurm_scheduler_cycle_per_minute") == 2);  // 25 / 10, integer as sdiag
  CHECK(value(f, "slurm_scheduler_last_cycle") == 133);
  CHECK(value(f, "slurm_scheduler_backfill_mean_cycle") == 2500);
  CHECK(value(f, "slurm_scheduler_backfilled_jobs_since_start_total") == 4);
  CHECK(value(f, "slurm_scheduler_backfilled_jobs_since_cycle_total") == 2);
  CHECK(value(f, "slurm_scheduler_queue_size") == 3);
}
