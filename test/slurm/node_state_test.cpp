// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/node_state.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "slurm_exporter/slurm/cli_parse.hpp"

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

namespace {

using slurm_exporter::slurm::primary_state;
using slurm_exporter::slurm::with_mixed;

// The flags primary_state() reads, highest precedence first within each group.
constexpr std::uint32_t kPrecedenceFlags[] = {
    ns::kInvalidReg,      ns::kNoRespond,    ns::kFail,   ns::kDrain,       ns::kMaint,
    ns::kRebootRequested, ns::kRebootIssued, ns::kRes,    ns::kPoweredDown, ns::kPoweringUp,
    ns::kPoweringDown,    ns::kCompleting,   ns::kPlanned};
constexpr std::size_t kPrecedenceFlagCount = std::size(kPrecedenceFlags);

struct CpuCase {
  std::uint32_t alloc, cpus;
};
constexpr CpuCase kCpuCases[] = {{0, 4}, {2, 4}, {4, 4}};

const char* base_name(std::uint32_t base) {
  static const char* const kNames[] = {"unknown", "down",  "idle",  "allocated",
                                       "error",   "mixed", "future"};
  return kNames[base];
}

std::string state_text(std::uint32_t state) {
  std::string text = base_name(state & ns::kBaseMask);
  for (const auto& f : slurm_exporter::slurm::cli::state_flag_names()) {
    if (state & f.bit) text += "+" + std::string(f.name);
  }
  return text;
}

}  // namespace

TEST_CASE("primary state: the documented precedence") {
  CHECK(primary_state(ns::kIdle, 0, 4) == "idle");
  CHECK(primary_state(ns::kAllocated, 4, 4) == "allocated");
  CHECK(primary_state(ns::kAllocated, 2, 4) == "mixed");
  CHECK(primary_state(ns::kMixed, 2, 4) == "mixed");
  CHECK(primary_state(ns::kIdle | ns::kDrain, 0, 4) == "drained");
  CHECK(primary_state(ns::kAllocated | ns::kDrain, 2, 4) == "draining");
  CHECK(primary_state(ns::kMixed | ns::kDrain, 2, 4) == "draining");
  CHECK(primary_state(ns::kIdle | ns::kDrain | ns::kCompleting, 0, 4) == "draining");
  CHECK(primary_state(ns::kDown | ns::kDrain, 0, 4) == "down");
  CHECK(primary_state(ns::kUnknown | ns::kNoRespond, 0, 4) == "down");
  CHECK(primary_state(ns::kIdle | ns::kNoRespond | ns::kDrain, 0, 4) == "down");
  CHECK(primary_state(ns::kIdle | ns::kInvalidReg, 0, 4) == "down");
  CHECK(primary_state(ns::kAllocated | ns::kFail | ns::kDrain, 4, 4) == "fail");
  CHECK(primary_state(ns::kIdle | ns::kMaint | ns::kRes, 0, 4) == "maint");
  CHECK(primary_state(ns::kIdle | ns::kRebootRequested, 0, 4) == "reboot");
  CHECK(primary_state(ns::kIdle | ns::kRes, 0, 4) == "reserved");
  CHECK(primary_state(ns::kIdle | ns::kPoweredDown | ns::kCloud, 0, 4) == "powered_down");
  CHECK(primary_state(ns::kIdle | ns::kCompleting, 0, 4) == "completing");
  CHECK(primary_state(ns::kIdle | ns::kPlanned, 0, 4) == "planned");
  CHECK(primary_state(ns::kFuture, 0, 4) == "future");
  CHECK(primary_state(ns::kUnknown, 0, 4) == "unknown");
  CHECK(primary_state(ns::kError, 0, 4) == "down");
}

TEST_CASE("primary state: every combination of the flags it reads") {
  // For every base, CPU split and subset of the 13 flags: the state is one of kPrimaryStates,
  // equals the state given by the subset's highest-precedence flag alone (flags of equal rank
  // give the same state alone), and is the same in
  // libslurm's encoding (ALLOCATED) and sinfo's StateComplete (with_mixed: MIXED).
  std::size_t checked = 0, failures = 0;
  std::string first;
  for (std::uint32_t base = 0; base <= ns::kFuture; ++base) {
    for (const auto& c : kCpuCases) {
      for (std::uint32_t mask = 0; mask < (1u << kPrecedenceFlagCount); ++mask) {
        std::uint32_t state = base, top = base;
        bool have_top = false;
        for (std::size_t i = 0; i < kPrecedenceFlagCount; ++i) {
          if (!(mask & (1u << i))) continue;
          state |= kPrecedenceFlags[i];
          if (!have_top) top |= kPrecedenceFlags[i];
          have_top = true;
        }
        const auto got = primary_state(state, c.alloc, c.cpus);
        const bool known = std::find(slurm_exporter::slurm::kPrimaryStates.begin(),
                                     slurm_exporter::slurm::kPrimaryStates.end(),
                                     got) != slurm_exporter::slurm::kPrimaryStates.end();
        // The one interaction: COMPLETING turns drained into draining.
        const bool drain_busy = (top & ns::kDrain) && (state & ns::kCompleting);
        const bool same_top =
            got == primary_state(drain_busy ? top | ns::kCompleting : top, c.alloc, c.cpus);
        const bool same_cli =
            got == primary_state(with_mixed(state, c.alloc, c.cpus), c.alloc, c.cpus);
        ++checked;
        if (!known || !same_top || !same_cli) {
          if (failures++ == 0) first = state_text(state) + " " + std::string(got);
        }
      }
    }
  }
  INFO(first);
  CHECK(checked == 7u * 3u * (1u << kPrecedenceFlagCount));
  CHECK(failures == 0);
}

TEST_CASE("primary state matches the golden table of every base x single flag and flag pair") {
  // test/golden/node_primary_state.txt: "<base+flags> <alloc>/<cpus> <primary state>" for
  // every base, CPU split, and no flag, each flag and each pair of flags Slurm 22.05 names.
  const auto names = slurm_exporter::slurm::cli::state_flag_names();
  std::string table;
  auto row = [&](std::uint32_t state) {
    for (const auto& c : kCpuCases) {
      table += state_text(state) + " " + std::to_string(c.alloc) + "/" + std::to_string(c.cpus) +
               " " + std::string(primary_state(state, c.alloc, c.cpus)) + "\n";
    }
  };
  for (std::uint32_t base = 0; base <= ns::kFuture; ++base) {
    row(base);
    for (std::size_t i = 0; i < names.size(); ++i) {
      row(base | names[i].bit);
      for (std::size_t j = i + 1; j < names.size(); ++j) row(base | names[i].bit | names[j].bit);
    }
  }
  const std::string path = std::string(SE_TEST_DATA_DIR) + "/golden/node_primary_state.txt";
  if (std::getenv("SE_UPDATE_GOLDEN")) std::ofstream(path, std::ios::binary) << table;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream expected;
  expected << in.rdbuf();
  REQUIRE_FALSE(expected.str().empty());
  CHECK(table == expected.str());
}
