// SPDX-License-Identifier: GPL-2.0-or-later
// Reuse of unchanged data: a Collection polls a backend that says whether its data changed
// (like libslurm's last_update); the text stays what a fresh Collection renders from scratch,
// at the same "now" (a fake clock: no test sleeps to let time pass).
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "../support/fake_backend.hpp"
#include "../support/fake_clock.hpp"
#include "../support/golden.hpp"
#include "slurm_exporter/scrape/poller.hpp"
#include "slurm_exporter/slurm/node_state.hpp"

using namespace slurm_exporter;
using namespace std::chrono_literals;
using slurm::LoadKind;
using test_support::contains;

namespace {

constexpr std::int64_t kStart = 1'700'000'000;

// `count` idle nodes n0.. in partition debug (n1 drained), 4 CPUs each.
slurm::NodeData nodes(int count) {
  slurm::NodeData d;
  for (int i = 0; i < count; ++i) {
    slurm::Node n;
    n.name = "n" + std::to_string(i);
    n.state_name = "idle";
    n.cpus = 4;
    n.idle_cpus = 4;
    n.partitions = {"debug"};
    n.state = slurm::node_state::kIdle;
    if (i == 1) n.state |= slurm::node_state::kDrain;
    d.nodes.push_back(n);
  }
  slurm::Partition p;
  p.name = "debug";
  p.state = "up";
  d.partitions.push_back(p);
  return d;
}

// Job 1 running in debug, jobs 2.. pending alternately in batch and debug, submitted at
// `submit` - i, eligible at `eligible` (0: not eligible).
slurm::JobData jobs(int count, std::int64_t submit, std::int64_t eligible = 0) {
  slurm::JobData d;
  for (int i = 0; i < count; ++i) {
    slurm::Job j;
    j.job_id = static_cast<std::uint32_t>(i + 1);
    j.user = "alice";
    j.account = "physics";
    j.partition = i % 2 ? "batch" : "debug";
    j.state = i == 0 ? "RUNNING" : "PENDING";
    j.reason = i == 0 ? "None" : "Priority";
    j.cpus = 2;
    j.submit_time = submit - i;
    if (i > 0) j.eligible_time = eligible;
    d.jobs.push_back(j);
  }
  return d;
}

slurm::Reservations maint() {
  slurm::Reservation r;
  r.name = "maint";
  r.node_count = 2;
  r.nodes = {"n0", "n1"};
  return {r};
}

struct Setup {
  test_support::FakeClock clock{kStart};
  test_support::FakeBackend backend;
  Setup(int node_count, slurm::JobData job_data) {
    backend.change_detection = true;
    backend.set(LoadKind::nodes, nodes(node_count));
    backend.set(LoadKind::jobs, std::move(job_data));
    backend.set(LoadKind::reservations, maint());
  }
};

// The text without the lines that measure time (durations) or the process (process_*).
std::string stable_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    // Durations and the process families vary; the failed-load counters count since start, so
    // a fresh Collection has fewer (this fake backend fails ping, sdiag and licenses at every
    // poll).
    if (line.find("duration") == std::string::npos && line.find("process_") == std::string::npos &&
        line.find("_scrape_error") == std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

// What a fresh Collection renders from the same data at the same clock.
std::string from_scratch(Setup& s, const collectors::EnabledCollectors& enabled = {},
                         scrape::FamilyFilter drop = {}) {
  test_support::FakeBackend fresh;
  for (LoadKind k : {LoadKind::nodes, LoadKind::jobs, LoadKind::reservations}) {
    fresh.set(k, s.backend.data(k));
  }
  scrape::Collection c(enabled, std::move(drop), s.clock);
  return stable_lines(c.poll(fresh).text);
}

}  // namespace

TEST_CASE("reuse: an unchanged poll renders the same text without collecting again") {
  Setup s(1, jobs(5, kStart - 1000));
  scrape::Collection c({}, {}, s.clock);
  const auto first = c.poll(s.backend);
  CHECK(first.reloaded);
  const int node_full = s.backend.full_fetches(LoadKind::nodes);
  const int job_full = s.backend.full_fetches(LoadKind::jobs);

  const auto again = c.poll(s.backend);
  CHECK_FALSE(again.reloaded);
  // Only asked whether anything changed: no full load.
  CHECK(s.backend.full_fetches(LoadKind::nodes) == node_full);
  CHECK(s.backend.full_fetches(LoadKind::jobs) == job_full);
  const std::string text = stable_lines(again.text);
  CHECK(text == from_scratch(s));
  CHECK(contains(text, "slurm_cpus_total 4\n"));
  CHECK(contains(text, "slurm_exporter_collector_success{collector=\"jobs\"} 1\n"));
}

TEST_CASE("reuse: the pending ages and the pending-wait histogram follow the clock") {
  // Two pending jobs (batch: submitted kStart-501, debug: kStart-502), eligible in 2 s: no
  // age and no wait before that.
  Setup s(1, jobs(3, kStart - 500, kStart + 2));
  scrape::Collection c({}, {}, s.clock);
  const std::string count_debug = "slurm_pending_job_wait_seconds_count{partition=\"debug\"} ";
  const std::string first = c.poll(s.backend).text;
  CHECK(contains(first, count_debug + "0\n"));
  CHECK(contains(first, "slurm_partition_oldest_pending_job_seconds{partition=\"batch\"} 0\n"));
  s.clock.advance(3000ms);
  const int job_fetches = s.backend.full_fetches(LoadKind::jobs);
  const std::string later = stable_lines(c.poll(s.backend).text);
  CHECK(s.backend.full_fetches(LoadKind::jobs) == job_fetches);  // no jobs converted…
  CHECK(contains(later, count_debug + "1\n"));                   // …yet at the new "now"
  CHECK(contains(later, "slurm_partition_oldest_pending_job_seconds{partition=\"batch\"} 504\n"));
  CHECK(contains(later, "slurm_partition_oldest_pending_job_seconds{partition=\"debug\"} 505\n"));
  CHECK(later == from_scratch(s));
}

TEST_CASE("reuse: changed data replaces the reused text") {
  Setup s(1, jobs(1, kStart - 10));
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  s.backend.set(LoadKind::nodes, nodes(3));  // 3 nodes x 4 CPUs
  s.backend.set(LoadKind::jobs, jobs(7, kStart - 10));
  std::string text = stable_lines(c.poll(s.backend).text);
  CHECK(text == from_scratch(s));
  CHECK(contains(text, "slurm_cpus_total 12\n"));
  CHECK(contains(text, "slurm_jobs_pending 6\n"));

  s.backend.set(LoadKind::jobs, jobs(2, kStart - 10));  // only the jobs change
  text = stable_lines(c.poll(s.backend).text);
  CHECK(text == from_scratch(s));
  CHECK(contains(text, "slurm_cpus_total 12\n"));
  CHECK(contains(text, "slurm_jobs_pending 1\n"));
}

TEST_CASE("reuse: a failed load is not hidden, and the next poll converts afresh") {
  Setup s(1, jobs(3, kStart));
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  s.backend.fail(LoadKind::jobs, "slurm_load_jobs: Socket timed out");
  const std::string failed = c.poll(s.backend).text;
  CHECK(contains(failed, "slurm_exporter_collector_success{collector=\"jobs\"} 0\n"));
  CHECK_FALSE(contains(failed, "slurm_jobs_pending"));
  CHECK_FALSE(contains(failed, "slurm_job_wait_seconds"));

  s.backend.fail(LoadKind::jobs, "");
  const int full_before = s.backend.full_fetches(LoadKind::jobs);
  const std::string back = c.poll(s.backend).text;
  CHECK(s.backend.full_fetches(LoadKind::jobs) == full_before + 1);
  CHECK(contains(back, "slurm_jobs_pending 2\n"));
}

TEST_CASE("reuse: the family filter applies to reused text too") {
  Setup s(1, jobs(1, kStart));
  const auto drop = [](const std::string& name) {
    return name.rfind("slurm_cpus", 0) == 0 || name == "slurm_jobs_pending";
  };
  scrape::Collection c({}, drop, s.clock);
  c.poll(s.backend);
  const int node_full = s.backend.full_fetches(LoadKind::nodes);
  const std::string text = c.poll(s.backend).text;
  CHECK(s.backend.full_fetches(LoadKind::nodes) == node_full);
  CHECK_FALSE(contains(text, "slurm_cpus"));
  CHECK_FALSE(contains(text, "slurm_jobs_pending"));
  CHECK(contains(text, "slurm_jobs_running"));
}

TEST_CASE("reuse: reservations of unchanged nodes keep their nodes' states, no node load") {
  Setup s(2, jobs(1, kStart));  // n0 idle, n1 drained
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  const int node_full = s.backend.full_fetches(LoadKind::nodes);
  const std::string text = stable_lines(c.poll(s.backend).text);
  CHECK(s.backend.full_fetches(LoadKind::nodes) == node_full);
  CHECK(text == from_scratch(s));
  CHECK(
      contains(text, "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"idle\"} 1\n"));
  CHECK(contains(text,
                 "slurm_reservation_nodes_by_state{reservation=\"maint\",state=\"drained\"} 1\n"));
}

TEST_CASE("reuse: the job data is not kept between polls, the node data only for reservations") {
  Setup s(2, jobs(3, kStart));
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  // A caller that holds the current generation gets no jobs data: nobody kept it.
  const auto generation = s.backend.load(LoadKind::jobs, 0).generation;
  CHECK(s.backend.load(LoadKind::jobs, generation).data == nullptr);
  const auto node_generation = s.backend.load(LoadKind::nodes, 0).generation;
  CHECK(s.backend.load(LoadKind::nodes, node_generation).data != nullptr);

  auto no_reservations = collectors::EnabledCollectors();
  no_reservations.set("reservations", false);
  scrape::Collection d(no_reservations, {}, s.clock);
  d.poll(s.backend);
  const auto g = s.backend.load(LoadKind::nodes, 0).generation;
  CHECK(s.backend.load(LoadKind::nodes, g).data == nullptr);
}

TEST_CASE("reuse: unchanged pending ages skip held jobs, split partitions, follow eligibility") {
  slurm::JobData d = jobs(1, kStart);  // one running job in debug
  const auto pending = [&](std::uint32_t id, const char* partition, std::int64_t submit,
                           std::int64_t eligible) {
    slurm::Job j;
    j.job_id = id;
    j.user = "bob";
    j.account = "chem";
    j.partition = partition;
    j.state = "PENDING";
    j.reason = eligible ? "Priority" : "JobHeldUser";
    j.cpus = 1;
    j.submit_time = submit;
    j.eligible_time = eligible;
    return j;
  };
  // In debug the held job is the oldest; the job pending in debug,batch is the oldest eligible
  // one of both partitions; batch's own job is younger; in batch a job submitted long ago
  // becomes eligible in 100 s (--begin).
  d.jobs.push_back(pending(10, "debug", kStart - 9000, 0));
  d.jobs.push_back(pending(11, "debug,batch", kStart - 700, kStart - 700));
  d.jobs.push_back(pending(12, "batch", kStart - 300, kStart - 300));
  d.jobs.push_back(pending(13, "batch", kStart - 5000, kStart + 100));
  Setup s(1, d);
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  const int job_loads = s.backend.full_fetches(LoadKind::jobs);
  const auto age = [&](const std::string& text, const std::string& part) {
    const std::string key =
        "\nslurm_partition_oldest_pending_job_seconds{partition=\"" + part + "\"} ";
    const auto pos = text.find(key);
    REQUIRE(pos != std::string::npos);
    return std::stod(text.substr(pos + key.size()));
  };
  s.clock.advance(10s);
  std::string text = stable_lines(c.poll(s.backend).text);
  CHECK(s.backend.full_fetches(LoadKind::jobs) == job_loads);  // nothing converted again
  CHECK(text == from_scratch(s));
  CHECK(age(text, "debug") == 710);
  CHECK(age(text, "batch") == 710);
  CHECK(contains(text, "partition=\"debug,batch\""));  // the rivosinc family keeps it
  CHECK_FALSE(
      contains(text, "slurm_partition_oldest_pending_job_seconds{partition=\"debug,batch\""));
  s.clock.advance(100s);  // job 13 is eligible now: batch's oldest is 5110 s old
  text = stable_lines(c.poll(s.backend).text);
  CHECK(s.backend.full_fetches(LoadKind::jobs) == job_loads);
  CHECK(text == from_scratch(s));
  CHECK(age(text, "batch") == 5110);
  CHECK(age(text, "debug") == 810);
}

TEST_CASE("rivosinc's scrape-error counters: failed loads per source since start") {
  Setup s(1, jobs(2, kStart - 10));
  scrape::Collection c({}, {}, s.clock);
  c.poll(s.backend);
  const std::string text = c.poll(s.backend).text;
  // This fake backend has no sdiag or licenses: each poll's load fails once, whatever number
  // of collectors read it.
  CHECK(contains(text, "# TYPE slurm_diag_scrape_error untyped\nslurm_diag_scrape_error 2\n"));
  CHECK(contains(text, "slurm_lic_scrape_error 2\n"));
  CHECK(contains(text, "slurm_node_scrape_error 0\n"));
  CHECK(contains(text, "slurm_job_scrape_error 0\n"));
  // A load no enabled collector reads has no counter.
  collectors::EnabledCollectors only_nodes;
  for (const auto name : collectors::collector_name_list()) only_nodes.set(name, name == "nodes");
  scrape::Collection n(only_nodes, {}, s.clock);
  const std::string nodes_only = n.poll(s.backend).text;
  CHECK(contains(nodes_only, "slurm_node_scrape_error 0\n"));
  CHECK_FALSE(contains(nodes_only, "slurm_diag_scrape_error"));
  CHECK_FALSE(contains(nodes_only, "slurm_job_scrape_error"));
}
