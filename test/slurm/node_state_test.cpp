#include "slurm_exporter/slurm/node_state.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

// libslurm 22.05 exports the function that sinfo itself uses to name node states, but its
// header does not declare it. Comparing against it proves our naming for every combination.
extern "C" char* slurm_node_state_string(std::uint32_t inx);

namespace ns = slurm_exporter::slurm::node_state;
using slurm_exporter::slurm::sinfo_idle_cpus;
using slurm_exporter::slurm::sinfo_state_name;
using slurm_exporter::slurm::slurm_state_string;

TEST_CASE("sinfo names for the common states") {
  CHECK(sinfo_state_name(ns::kIdle, 0, 4) == "idle");
  CHECK(sinfo_state_name(ns::kAllocated, 4, 4) == "allocated");
  CHECK(sinfo_state_name(ns::kAllocated, 2, 4) == "mixed");
  CHECK(sinfo_state_name(ns::kIdle | ns::kDrain, 0, 4) == "drained");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kDrain, 2, 4) == "draining");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kDrain, 4, 4) == "draining");
  CHECK(sinfo_state_name(ns::kIdle | ns::kDrain | ns::kCompleting, 0, 4) == "draining");
  CHECK(sinfo_state_name(ns::kDown | ns::kNoRespond, 0, 4) == "down*");
  CHECK(sinfo_state_name(ns::kDown, 0, 4) == "down");
  CHECK(sinfo_state_name(ns::kUnknown | ns::kNoRespond, 0, 4) == "unknown*");
  CHECK(sinfo_state_name(ns::kIdle | ns::kCompleting, 0, 4) == "completing");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kCompleting, 4, 4) == "allocated+");
  CHECK(sinfo_state_name(ns::kIdle | ns::kPoweredDown, 0, 4) == "idle~");
  CHECK(sinfo_state_name(ns::kIdle | ns::kPoweringUp, 0, 4) == "idle#");
  CHECK(sinfo_state_name(ns::kIdle | ns::kPowerDown, 0, 4) == "idle!");
  CHECK(sinfo_state_name(ns::kIdle | ns::kPoweringDown, 0, 4) == "idle%");
  CHECK(sinfo_state_name(ns::kIdle | ns::kRes, 0, 4) == "reserved");
  CHECK(sinfo_state_name(ns::kIdle | ns::kMaint, 0, 4) == "maint");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kMaint, 2, 4) == "mixed$");
  CHECK(sinfo_state_name(ns::kIdle | ns::kRebootRequested, 0, 4) == "reboot");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kRebootRequested, 1, 4) == "mixed@");
  CHECK(sinfo_state_name(ns::kIdle | ns::kPlanned, 0, 4) == "planned");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kPlanned, 1, 4) == "mixed-");
  CHECK(sinfo_state_name(ns::kIdle | ns::kFail, 0, 4) == "fail");
  CHECK(sinfo_state_name(ns::kAllocated | ns::kFail, 4, 4) == "failing");
  CHECK(sinfo_state_name(ns::kIdle | ns::kInvalidReg | ns::kDrain, 0, 4) == "inval");
  CHECK(sinfo_state_name(ns::kFuture, 0, 4) == "future");
}

TEST_CASE("sinfo idle CPUs exclude drained and down nodes") {
  CHECK(sinfo_idle_cpus(ns::kIdle, 0, 8) == 8);
  CHECK(sinfo_idle_cpus(ns::kAllocated, 3, 8) == 5);
  CHECK(sinfo_idle_cpus(ns::kIdle | ns::kDrain, 0, 8) == 0);
  CHECK(sinfo_idle_cpus(ns::kAllocated | ns::kDrain, 3, 8) == 0);
  CHECK(sinfo_idle_cpus(ns::kDown | ns::kNoRespond, 0, 8) == 0);
  CHECK(sinfo_idle_cpus(ns::kIdle, 9, 8) == 0);
}

TEST_CASE("naming agrees with libslurm's node_state_string for every base x flag combination") {
  const std::uint32_t flags[] = {
      ns::kNet,          ns::kRes,          ns::kCloud,        ns::kResume,
      ns::kDrain,        ns::kCompleting,   ns::kNoRespond,    ns::kPoweredDown,
      ns::kFail,         ns::kPoweringUp,   ns::kMaint,        ns::kRebootRequested,
      ns::kRebootCancel, ns::kPoweringDown, ns::kRebootIssued, ns::kPlanned,
      ns::kInvalidReg,   ns::kPowerDown,    ns::kPowerUp};
  constexpr std::size_t kFlags = sizeof(flags) / sizeof(flags[0]);
  std::size_t checked = 0, mismatches = 0;
  std::string first_mismatch;
  for (std::uint32_t base = 0; base <= ns::kFuture; ++base) {
    for (std::uint32_t mask = 0; mask < (1u << kFlags); ++mask) {
      std::uint32_t state = base;
      for (std::size_t i = 0; i < kFlags; ++i) {
        if (mask & (1u << i)) state |= flags[i];
      }
      const std::string ours = slurm_state_string(state);
      const char* theirs = slurm_node_state_string(state);
      ++checked;
      if (ours != theirs) {
        if (mismatches++ == 0) {
          first_mismatch = "state=" + std::to_string(state) + " ours=" + ours + " slurm=" + theirs;
        }
      }
    }
  }
  INFO(first_mismatch);
  CHECK(checked == 7u * (1u << kFlags));
  CHECK(mismatches == 0);
}
