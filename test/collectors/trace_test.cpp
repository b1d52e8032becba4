// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/trace.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../support/golden.hpp"

using slurm_exporter::collectors::collect_trace;
using slurm_exporter::slurm::Job;
using slurm_exporter::trace::Sample;

namespace {

const slurm_exporter::metrics::Family& find(const std::vector<slurm_exporter::metrics::Family>& fs,
                                            std::string_view name) {
  for (const auto& f : fs) {
    if (f.name == name) return f;
  }
  FAIL("no family " << name);
  throw;
}

}  // namespace

TEST_CASE("traced jobs Slurm lists get rivosinc's families; unknown job ids none",
          "[collectors][trace]") {
  Job j;
  j.job_id = 31;
  j.cpus = 4;
  j.memory_bytes = 2ULL << 30;
  j.state = "RUNNING";
  Job other;
  other.job_id = 32;
  Sample s;
  s.job_id = 31;
  s.pid = 4242;
  s.cpus = 187.5;
  s.mem = 1e8;
  s.threads = 9;
  s.read_bytes = 4096;
  s.write_bytes = 8192;
  s.username = "alice";
  s.hostname = "cn01";
  Sample ghost = s;
  ghost.job_id = 999;  // traced, but Slurm does not know it
  const std::vector<Job> jobs{j, other};
  const std::vector<Sample> samples{s, ghost};
  const auto fs = collect_trace(jobs, samples);
  REQUIRE(fs.size() == 8);

  const auto& mem_alloc = find(fs, "slurm_job_mem_alloc");
  REQUIRE(mem_alloc.samples.size() == 1);
  CHECK(mem_alloc.label_names == std::vector<std::string>{"jobid"});
  CHECK(mem_alloc.samples[0].label_values == std::vector<std::string>{"31"});
  CHECK(mem_alloc.samples[0].value == 2147483648.0);
  CHECK(find(fs, "slurm_job_cpu_alloc").samples.at(0).value == 4);
  const auto& pid = find(fs, "slurm_proc_pid");
  CHECK(pid.label_names == std::vector<std::string>{"jobid", "hostname"});
  CHECK(pid.samples.at(0).label_values == std::vector<std::string>{"31", "cn01"});
  CHECK(pid.samples.at(0).value == 4242);
  const auto& cpu = find(fs, "slurm_proc_cpu_usage");
  CHECK(cpu.label_names == std::vector<std::string>{"jobid", "username"});
  CHECK(cpu.samples.at(0).label_values == std::vector<std::string>{"31", "alice"});
  CHECK(cpu.samples.at(0).value == 187.5);
  CHECK(find(fs, "slurm_proc_mem_usage").samples.at(0).value == 1e8);
  CHECK(find(fs, "slurm_proc_threadcount").samples.at(0).value == 9);
  CHECK(find(fs, "slurm_proc_read_bytes").samples.at(0).value == 4096);
  CHECK(find(fs, "slurm_proc_write_bytes").samples.at(0).value == 8192);
  for (const auto& f : fs) CHECK(f.samples.size() == 1);  // job 999 and the untraced 32: none

  test_support::check_golden("trace.prom", test_support::render(fs));
}

TEST_CASE("no traced job: the families have no series", "[collectors][trace]") {
  Job j;
  j.job_id = 31;
  const std::vector<Job> jobs{j};
  for (const auto& f : collect_trace(jobs, {})) CHECK(f.samples.empty());
}
