// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/jobs_finished.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fixtures.hpp"

using namespace slurm_exporter;

namespace {

using Jobs = std::vector<slurm::Job>;

slurm::Job job(std::uint32_t id, std::string state, std::string partition = "debug",
               std::string account = "physics", std::int64_t submit = fixtures::kNow - 100,
               std::uint32_t tasks = 1) {
  slurm::Job j = fixtures::job("alice", std::move(account), std::move(partition), std::move(state),
                               "None", 1, 100, tasks, submit);
  j.job_id = id;
  return j;
}

// The counter's value for {state, partition, account}; -1 when there is no such series.
double count(const collectors::FinishedJobs& f, const std::vector<std::string>& labels) {
  const metrics::Family fam = f.family();
  for (const auto& s : fam.samples) {
    if (s.label_values == labels) return s.value;
  }
  return -1;
}

}  // namespace

TEST_CASE("finished jobs: a counter with state, partition and account") {
  collectors::FinishedJobs f;
  f.update(Jobs{});
  f.update(Jobs{job(1, "FAILED")});
  const metrics::Family fam = f.family();
  CHECK(fam.name == "slurm_jobs_finished_total");
  CHECK(fam.type == metrics::Type::kCounter);
  CHECK(fam.label_names == std::vector<std::string>{"state", "partition", "account"});
  REQUIRE(fam.samples.size() == 1);
  CHECK(fam.samples[0].value == 1);
}

TEST_CASE("finished jobs: jobs already finished at the first load make series at 0") {
  collectors::FinishedJobs f;
  f.update(Jobs{job(1, "COMPLETED"), job(2, "RUNNING"), job(3, "TIMEOUT", "batch", "chem")});
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == 0);
  CHECK(count(f, {"TIMEOUT", "batch", "chem"}) == 0);
  CHECK(count(f, {"RUNNING", "debug", "physics"}) == -1);  // running jobs make no series
  // Still listed in later loads: still not counted.
  f.update(Jobs{job(1, "COMPLETED"), job(2, "RUNNING"), job(3, "TIMEOUT", "batch", "chem")});
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == 0);
  CHECK(count(f, {"TIMEOUT", "batch", "chem"}) == 0);
}

TEST_CASE("finished jobs: each job counted once, in the load that first lists it finished") {
  collectors::FinishedJobs f;
  std::vector<slurm::Job> jobs{job(1, "RUNNING"), job(2, "RUNNING"), job(3, "PENDING"),
                               job(4, "RUNNING"), job(5, "RUNNING")};
  f.update(jobs);
  CHECK(f.family().samples.empty());
  jobs[0].state = "COMPLETING";  // still being cleaned up: not yet
  jobs[1].state = "FAILED";
  jobs[2].state = "CANCELLED";  // cancelled while pending
  jobs[3].state = "OUT_OF_MEMORY";
  f.update(jobs);
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == -1);
  CHECK(count(f, {"FAILED", "debug", "physics"}) == 1);
  CHECK(count(f, {"CANCELLED", "debug", "physics"}) == 1);
  CHECK(count(f, {"OUT_OF_MEMORY", "debug", "physics"}) == 1);
  jobs[0].state = "COMPLETED";
  jobs[4].state = "TIMEOUT";
  for (int poll = 0; poll < 3; ++poll) f.update(jobs);  // listed for MinJobAge: no recount
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == 1);
  CHECK(count(f, {"FAILED", "debug", "physics"}) == 1);
  CHECK(count(f, {"CANCELLED", "debug", "physics"}) == 1);
  CHECK(count(f, {"OUT_OF_MEMORY", "debug", "physics"}) == 1);
  CHECK(count(f, {"TIMEOUT", "debug", "physics"}) == 1);
  // Purged after MinJobAge: the counts stay.
  f.update(Jobs{});
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == 1);
  CHECK(f.family().samples.size() == 5);
}

TEST_CASE("finished jobs: array tasks, one record or one squeue -r line per task") {
  collectors::FinishedJobs libslurm, cli;
  libslurm.update(Jobs{});
  cli.update(Jobs{});
  // A pending array of 4 tasks cancelled before any started: libslurm gives one record with
  // task_count 4, squeue -r four lines with the same job id.
  libslurm.update(Jobs{job(10, "CANCELLED", "debug", "physics", fixtures::kNow, 4)});
  const std::vector<slurm::Job> lines(4, job(10, "CANCELLED", "debug", "physics", fixtures::kNow));
  cli.update(lines);
  CHECK(count(libslurm, {"CANCELLED", "debug", "physics"}) == 4);
  CHECK(count(cli, {"CANCELLED", "debug", "physics"}) == 4);
  libslurm.update(Jobs{job(10, "CANCELLED", "debug", "physics", fixtures::kNow, 4)});
  cli.update(lines);
  CHECK(count(libslurm, {"CANCELLED", "debug", "physics"}) == 4);
  CHECK(count(cli, {"CANCELLED", "debug", "physics"}) == 4);
  // Started tasks have job ids of their own.
  cli.update(Jobs{job(11, "COMPLETED"), job(12, "COMPLETED"), job(13, "FAILED")});
  CHECK(count(cli, {"COMPLETED", "debug", "physics"}) == 2);
  CHECK(count(cli, {"FAILED", "debug", "physics"}) == 1);
}

// slurmctld reports one partition for a finished job; should a backend give a list, the label
// stays a single partition that joins with slurm_partition_info.
TEST_CASE("finished jobs: a partition list counts in each partition") {
  collectors::FinishedJobs f;
  f.update(Jobs{});
  f.update(Jobs{job(1, "CANCELLED", "debug,batch"), job(2, "COMPLETED", "batch")});
  CHECK(count(f, {"CANCELLED", "debug", "physics"}) == 1);
  CHECK(count(f, {"CANCELLED", "batch", "physics"}) == 1);
  CHECK(count(f, {"CANCELLED", "debug,batch", "physics"}) == -1);
  CHECK(count(f, {"COMPLETED", "batch", "physics"}) == 1);
}

TEST_CASE("finished jobs: requeued and reused job ids count again") {
  collectors::FinishedJobs f;
  f.update(Jobs{});
  f.update(Jobs{job(7, "NODE_FAIL")});
  // Requeued (pending again, Slurm gives it a new submit time), then it finishes again.
  f.update(Jobs{job(7, "PENDING", "debug", "physics", fixtures::kNow)});
  f.update(Jobs{job(7, "RUNNING", "debug", "physics", fixtures::kNow)});
  f.update(Jobs{job(7, "NODE_FAIL", "debug", "physics", fixtures::kNow)});
  CHECK(count(f, {"NODE_FAIL", "debug", "physics"}) == 2);
  // slurmctld restarted without its state and gave id 7 to a new job: a new submit time.
  f.update(Jobs{job(7, "NODE_FAIL", "debug", "physics", fixtures::kNow + 500)});
  CHECK(count(f, {"NODE_FAIL", "debug", "physics"}) == 3);
  // Finished the same way in the same second (requeued at once): the same key stays counted
  // only while listed finished; one load listing it pending in between makes it new again.
  f.update(Jobs{job(7, "PENDING", "debug", "physics", fixtures::kNow + 500)});
  f.update(Jobs{job(7, "NODE_FAIL", "debug", "physics", fixtures::kNow + 500)});
  CHECK(count(f, {"NODE_FAIL", "debug", "physics"}) == 4);
}

TEST_CASE("finished jobs: only the keys of the latest load are kept") {
  collectors::FinishedJobs f;
  f.update(Jobs{});
  f.update(Jobs{job(1, "COMPLETED")});
  f.update(Jobs{});  // purged: forgotten
  // The same key listed again (cannot happen with one slurmctld) counts again, which shows
  // the tracker no longer holds it.
  f.update(Jobs{job(1, "COMPLETED")});
  CHECK(count(f, {"COMPLETED", "debug", "physics"}) == 2);
}
