// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/trace.hpp"

#include <string>
#include <unordered_map>
#include <utility>

namespace slurm_exporter::collectors {
namespace {

metrics::Family family(std::string name, std::string help, std::vector<std::string> labels) {
  metrics::Family f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = metrics::Type::kGauge;
  f.label_names = std::move(labels);
  return f;
}

}  // namespace

std::vector<metrics::Family> collect_trace(std::span<const slurm::Job> jobs,
                                           std::span<const trace::Sample> samples) {
  std::unordered_map<std::uint32_t, const slurm::Job*> known;
  known.reserve(jobs.size());
  for (const auto& j : jobs) known.emplace(j.job_id, &j);  // the first record of an id

  auto mem_alloc = family("slurm_job_mem_alloc",
                          "Memory allocated to a traced job, bytes (Slurm's figure)", {"jobid"});
  auto cpu_alloc =
      family("slurm_job_cpu_alloc", "CPUs allocated to a traced job (Slurm's figure)", {"jobid"});
  auto pid = family("slurm_proc_pid",
                    "Pid of the traced job's wrapped command, as its agent "
                    "reports it",
                    {"jobid", "hostname"});
  auto cpu = family("slurm_proc_cpu_usage",
                    "CPU usage of the traced job's process tree, percent of one CPU (rivosinc's "
                    "unit: 200 = two CPUs busy)",
                    {"jobid", "username"});
  auto mem =
      family("slurm_proc_mem_usage", "Resident memory of the traced job's process tree, bytes",
             {"jobid", "username"});
  auto threads = family("slurm_proc_threadcount", "Threads of the traced job's process tree",
                        {"jobid", "username"});
  auto wbytes = family("slurm_proc_write_bytes",
                       "Bytes the traced job's process tree has written (storage I/O)",
                       {"jobid", "username"});
  auto rbytes =
      family("slurm_proc_read_bytes", "Bytes the traced job's process tree has read (storage I/O)",
             {"jobid", "username"});
  for (const trace::Sample& s : samples) {
    const auto it = known.find(s.job_id);
    if (it == known.end()) continue;
    const slurm::Job& j = *it->second;
    const std::string id = std::to_string(s.job_id);
    mem_alloc.samples.emplace_back(std::vector<std::string>{id},
                                   static_cast<double>(j.memory_bytes));
    cpu_alloc.samples.emplace_back(std::vector<std::string>{id}, static_cast<double>(j.cpus));
    pid.samples.emplace_back(std::vector<std::string>{id, s.hostname}, static_cast<double>(s.pid));
    cpu.samples.emplace_back(std::vector<std::string>{id, s.username}, s.cpus);
    mem.samples.emplace_back(std::vector<std::string>{id, s.username}, s.mem);
    threads.samples.emplace_back(std::vector<std::string>{id, s.username}, s.threads);
    wbytes.samples.emplace_back(std::vector<std::string>{id, s.username}, s.write_bytes);
    rbytes.samples.emplace_back(std::vector<std::string>{id, s.username}, s.read_bytes);
  }
  std::vector<metrics::Family> out;
  for (auto* f : {&mem_alloc, &cpu_alloc, &pid, &cpu, &mem, &threads, &wbytes, &rbytes}) {
    out.push_back(std::move(*f));
  }
  return out;
}

Collected collect_trace_row(const Inputs& in, std::int64_t now) {
  const auto samples = trace::process_store().live(now);
  return collect_trace(in.jobs().jobs, samples);
}

}  // namespace slurm_exporter::collectors
