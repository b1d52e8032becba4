// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/job_fields.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "slurm_exporter/errors.hpp"

// Exported by libslurm 22.05 (squeue uses it) but not declared in slurm.h.
extern "C" char* slurm_job_state_string(std::uint32_t inx);

namespace js = slurm_exporter::slurm::job_state;
using namespace slurm_exporter::slurm;
using slurm_exporter::ParseError;

TEST_CASE("job state names agree with libslurm for every base x flag combination") {
  const std::uint32_t flags[] = {js::kRequeue,     js::kRequeueHold, js::kSpecialExit,
                                 js::kResizing,    js::kConfiguring, js::kCompleting,
                                 js::kStopped,     js::kRevoked,     js::kRequeueFed,
                                 js::kResvDelHold, js::kSignaling,   js::kStageOut};
  constexpr std::size_t kFlags = sizeof(flags) / sizeof(flags[0]);
  std::size_t mismatches = 0;
  std::string first;
  for (std::uint32_t base = 0; base <= js::kOom; ++base) {
    for (std::uint32_t mask = 0; mask < (1u << kFlags); ++mask) {
      std::uint32_t state = base;
      for (std::size_t i = 0; i < kFlags; ++i) {
        if (mask & (1u << i)) state |= flags[i];
      }
      const std::string ours = job_state_name(state);
      const std::string theirs = slurm_job_state_string(state);
      if (ours != theirs && mismatches++ == 0)
        first = std::to_string(state) + ": " + ours + " vs " + theirs;
    }
  }
  INFO(first);
  CHECK(mismatches == 0);
  CHECK(job_state_name(js::kRunning) == "RUNNING");
  CHECK(job_state_name(js::kRunning | js::kConfiguring) == "CONFIGURING");
  CHECK(job_state_name(js::kPending) == "PENDING");
}

TEST_CASE("final job states: a finished base state with no flag still being handled") {
  for (std::uint32_t base = js::kPending; base <= js::kOom; ++base) {
    const bool finished = base >= js::kComplete;
    INFO("base " << base);
    CHECK(is_final_job_state(job_state_name(base)) == finished);
    // Still completing or staging out: not final yet.
    CHECK_FALSE(is_final_job_state(job_state_name(base | js::kCompleting)));
    CHECK_FALSE(is_final_job_state(job_state_name(base | js::kStageOut)));
  }
  CHECK(is_final_job_state("OUT_OF_MEMORY"));
  CHECK_FALSE(is_final_job_state("REQUEUED"));
  CHECK_FALSE(is_final_job_state(""));
  CHECK_FALSE(is_final_job_state("completed"));
}

TEST_CASE("TRES memory in bytes") {
  CHECK(tres_memory_bytes("cpu=2,mem=1400M,node=1,billing=2") == 1400ULL << 20);
  CHECK(tres_memory_bytes("cpu=1,mem=16G,node=1") == 16ULL << 30);
  CHECK(tres_memory_bytes("mem=512K") == 512ULL << 10);
  CHECK(tres_memory_bytes("mem=2T") == 2ULL << 40);
  CHECK(tres_memory_bytes("mem=100") == 100ULL << 20);
  // Slurm prints two decimals when the value is not a whole number of the larger unit.
  CHECK(tres_memory_bytes("cpu=1,mem=1.50G,node=1") == 1536ULL << 20);
  CHECK(tres_memory_bytes("mem=1.46G") == 1567663063ULL);  // round(1.46 * 2^30)
  CHECK(tres_memory_bytes("mem=0.50T") == 512ULL << 30);
  CHECK_THROWS_AS(tres_memory_bytes("mem=1.G"), ParseError);
  CHECK_THROWS_AS(tres_memory_bytes("mem=.5G"), ParseError);
  CHECK_THROWS_AS(tres_memory_bytes("mem=1.5.0G"), ParseError);
  CHECK_THROWS_AS(tres_memory_bytes("mem=-1.5G"), ParseError);
  CHECK_FALSE(tres_memory_bytes("cpu=1,node=1").has_value());
  CHECK_FALSE(tres_memory_bytes("").has_value());
  CHECK_FALSE(tres_memory_bytes("gres/mem=1").has_value());
  CHECK_THROWS_AS(tres_memory_bytes("mem=abcM"), ParseError);
  CHECK_THROWS_AS(tres_memory_bytes("mem=M"), ParseError);
  CHECK_THROWS_AS(tres_memory_bytes("mem="), ParseError);
}

TEST_CASE("pending reason labels keep the code, never a description") {
  CHECK(reason_code("None") == "None");
  CHECK(reason_code("JobHeldUser") == "JobHeldUser");
  CHECK(reason_code("ReqNodeNotAvail, UnavailableNodes:node1") == "ReqNodeNotAvail");
  CHECK(reason_code("ReqNodeNotAvail, Reserved for maintenance") == "ReqNodeNotAvail");
  CHECK(reason_code("  Resources , x") == "Resources");
  // Descriptions slurmctld and the accounting limits write instead of the code.
  CHECK_FALSE(reason_code("job requeued in held state"));
  CHECK_FALSE(
      reason_code("Nodes required for job are DOWN, DRAINED or reserved for jobs in "
                  "higher priority partitions"));
  CHECK_FALSE(reason_code("Job is at or exceeds QOS normal's max TRES(cpu) minutes of 10 with 12"));
  CHECK_FALSE(reason_code("Resources "));  // not what job_reason_string prints
  CHECK_FALSE(reason_code(""));
  CHECK_FALSE(reason_code("resources"));
}

TEST_CASE("the job reason table: sorted, code-shaped, with the names of every release") {
  // Each of these is a job_reason_string() return value, read from Slurm's source by hand:
  // 22.05 (BlockFreeAction, gone later), 23.11, and 26.05.
  for (const char* name : {"None", "Priority", "Dependency", "Resources", "JobHeldUser",
                           "JobHeldAdmin", "BeginTime", "ReqNodeNotAvail", "QOSMaxCpuPerUserLimit",
                           "AssocGrpJobsLimit", "BlockFreeAction", "BadConstraints", "Prolog"}) {
    INFO(name);
    CHECK(is_job_reason_name(name));
  }
  CHECK_FALSE(is_job_reason_name("other"));
  CHECK_FALSE(is_job_reason_name("NONE"));
  // is_job_reason_name binary-searches the table: it must be sorted (bytewise) and unique.
  static constexpr std::string_view kNames[] = {
#include "../../src/slurm/job_reasons.inc"
  };
  CHECK(std::size(kNames) >= 190);
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    INFO(kNames[i]);
    if (i > 0) CHECK(kNames[i - 1] < kNames[i]);
    CHECK(std::all_of(kNames[i].begin(), kNames[i].end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }));
    CHECK(is_job_reason_name(kNames[i]));
  }
}

TEST_CASE("job array task counts") {
  CHECK(count_array_tasks("1") == 1);
  CHECK(count_array_tasks("1-5") == 5);
  CHECK(count_array_tasks("1-5,7,10-20:2") == 5 + 1 + 6);
  CHECK(count_array_tasks("0-99%4") == 100);
  CHECK(count_array_tasks("3,5,9") == 3);
  CHECK_THROWS_AS(count_array_tasks(""), ParseError);
  CHECK_THROWS_AS(count_array_tasks("5-1"), ParseError);
  CHECK_THROWS_AS(count_array_tasks("1-x"), ParseError);
  CHECK_THROWS_AS(count_array_tasks("1-9:0"), ParseError);
  CHECK_THROWS_AS(count_array_tasks("1,,2"), ParseError);
}
