// SPDX-License-Identifier: GPL-2.0-or-later
// squeue: one job or array task per line (-r -O kSqueueFields).
#include "slurm_exporter/slurm/cli_parse.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/detail/cli_fields.hpp"
#include "slurm_exporter/slurm/gres.hpp"
#include "slurm_exporter/slurm/job_fields.hpp"
#include "slurm_exporter/slurm/node_state.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
using namespace detail;
using text::quote;
namespace {

constexpr std::string_view kSqueueSource = "squeue";

// The fields of one squeue line, kSqueueFieldCount values each followed by '|': JobID,
// UserName, Account, Partition and State first, then Reason, which is free text, so the
// fields after it (NumCPUs … NumTasks) are taken from the end.
struct SqueueLine {
  std::array<std::string_view, 5> head;
  std::string_view reason, num_cpus, tres;
  std::array<std::string_view, kSqueueFieldCount - 8> tail;  // SubmitTime … NumTasks
  std::optional<std::string_view> feature;  // after the last 0x1F; none in the 17-field shape
};

SqueueLine split_squeue_line(std::string_view line) {
  const auto shape = [] {
    return ParseError(fmt::format("expected {} fields each ending in '|'", kSqueueFieldCount));
  };
  SqueueLine out;
  if (line.back() != '|') throw shape();
  std::string_view rest = line.substr(0, line.size() - 1);
  // Feature last, after NumTasks' 0x1F: a constraint holds no 0x1F (Reason may: it comes
  // before, so the last one is NumTasks').
  if (const auto us = rest.rfind('\x1f'); us != std::string_view::npos) {
    out.feature = rest.substr(us + 1);
    rest = rest.substr(0, us);
  }
  for (auto& field : out.head) {
    const auto bar = rest.find('|');
    if (bar == std::string_view::npos) throw shape();
    field = rest.substr(0, bar);
    rest.remove_prefix(bar + 1);
  }
  for (std::size_t i = out.tail.size(); i-- > 0;) {
    const auto bar = rest.rfind('|');
    if (bar == std::string_view::npos || bar == 0) throw shape();
    out.tail[i] = rest.substr(bar + 1);
    rest = rest.substr(0, bar);
  }
  const auto last = rest.rfind('|');
  if (last == std::string_view::npos || last == 0) throw shape();
  out.tres = rest.substr(last + 1);
  const auto before = rest.rfind('|', last - 1);
  if (before == std::string_view::npos) throw shape();
  out.num_cpus = rest.substr(before + 1, last - before - 1);
  out.reason = rest.substr(0, before);
  return out;
}

Job squeue_job(const SqueueLine& l, std::vector<std::string>& errors) {
  Job job;
  job.job_id = text::parse_uint<std::uint32_t>(l.head[0], "JobID");
  if (l.head[1].empty()) throw ParseError("empty UserName");
  job.user = std::string(l.head[1]);
  job.account = std::string(l.head[2]);
  job.partition = std::string(l.head[3]);
  const std::string_view state = l.head[4];
  if (state.empty() || !std::all_of(state.begin(), state.end(),
                                    [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; })) {
    throw ParseError(fmt::format("State {} is not a job state", quote(state)));
  }
  job.state = std::string(state);
  // Empty when squeue printed a free-text description: CliBackend asks squeue --json then.
  job.reason = std::string(reason_code(l.reason).value_or(std::string_view()));
  job.cpus = text::parse_uint<std::uint32_t>(l.num_cpus, "NumCPUs");
  if (!l.tres.empty() && l.tres != "N/A") {
    try {
      job.memory_bytes = tres_memory_bytes(l.tres).value_or(0);
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("tres-alloc: {}", e.what()));
    }
  }
  if (l.feature && *l.feature != "(null)") job.features = std::string(*l.feature);
  job.task_count = 1;
  job.submit_time = parse_timestamp(l.tail[0]);
  job.eligible_time = parse_timestamp(l.tail[1]);
  job.start_time = parse_timestamp(l.tail[2]);
  const auto nodes = text::parse_uint<std::uint64_t>(l.tail[7], "NumNodes");
  const auto tasks =
      l.tail[8] == "N/A" ? 1 : text::parse_uint<std::uint64_t>(l.tail[8], "NumTasks");
  try {
    job.gpus_requested = requested_gpus(l.tail[3], l.tail[4], l.tail[5], l.tail[6], nodes, tasks);
  } catch (const ParseError& e) {
    // The job's GPU request is lost; the job itself is still right.
    errors.push_back(fmt::format(
        "job {} tres-per-*: {}: {}", job.job_id,
        quote(fmt::format("{}|{}|{}|{}", l.tail[3], l.tail[4], l.tail[5], l.tail[6])), e.what()));
  }
  return job;
}

}  // namespace

JobData parse_squeue(std::string_view text) {
  JobData data;
  data.jobs.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  bool features = true;
  parse_lines(text, kSqueueSource, data.parse_errors, [&](std::string_view line, std::size_t) {
    const SqueueLine l = split_squeue_line(line);
    features = features && l.feature.has_value();
    data.jobs.push_back(squeue_job(l, data.parse_errors));
  });
  data.features_known = features;
  return data;
}

std::vector<Job> parse_squeue_jobs(std::string_view text) { return parse_squeue(text).jobs; }
}  // namespace slurm_exporter::slurm::cli
