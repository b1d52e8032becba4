// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/sdiag_parse.hpp"

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

enum class Section { kHeader, kMain, kBackfill, kRpcTypes, kRpcUsers, kOther };

using text::quote;
using text::trim;

std::uint64_t number(std::string_view text, std::string_view line, std::size_t line_no) {
  try {
    return text::parse_u64(text, "sdiag: value");
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("{} in {}", e.what(), quote(line)), line_no);
  }
}

// "Last cycle when: Mon Nov 30 00:31:34 2026 (1795998694)" → 1795998694; "N/A" → 0.
std::int64_t epoch_in_parens(std::string_view value, std::string_view line, std::size_t line_no) {
  if (value == "N/A") return 0;
  const auto open = value.rfind('(');
  if (open == std::string_view::npos || value.back() != ')') {
    throw ParseError(fmt::format("sdiag: no (epoch) in {}", quote(line)), line_no);
  }
  return static_cast<std::int64_t>(
      number(value.substr(open + 1, value.size() - open - 2), line, line_no));
}

// "\tNAME                (  ID) count:N      ave_time:N      total_time:N"
struct Row : RpcStat {
  std::string id;
};

Row rpc_row(std::string_view line, std::size_t line_no) {
  const auto bad = [&] {
    return ParseError(fmt::format("sdiag: malformed RPC statistics row {}", quote(line)), line_no);
  };
  const std::string_view row = trim(line);
  const auto open = row.find('(');
  const auto close = row.find(')', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos || open == 0) throw bad();
  Row s;
  s.name = std::string(trim(row.substr(0, open)));
  const std::string_view id = trim(row.substr(open + 1, close - open - 1));
  std::string_view rest = row.substr(close + 1);
  const auto field = [&](std::string_view key) {
    const auto at = rest.find(key);
    if (at == std::string_view::npos) throw bad();
    std::string_view v = rest.substr(at + key.size());
    v = v.substr(0, v.find_first_of(" \t"));
    return number(v, line, line_no);
  };
  s.count = field("count:");
  field("ave_time:");
  s.total_time_us = field("total_time:");
  if (s.name.empty() || id.empty()) throw bad();
  if (s.name.find_first_of(" \t") != std::string::npos) throw bad();
  s.id = std::string(id);
  return s;
}

}  // namespace

namespace {

// The plain "Key: number" lines of each section and where their values go.
struct NumberField {
  Section section;
  std::string_view key;
  std::uint64_t SchedulerStats::*member;
};
using S = SchedulerStats;
constexpr NumberField kNumberFields[] = {
    {Section::kHeader, "Server thread count", &S::server_thread_count},
    {Section::kHeader, "Agent queue size", &S::agent_queue_size},
    {Section::kHeader, "Agent count", &S::agent_count},
    {Section::kHeader, "Agent thread count", &S::agent_thread_count},
    {Section::kHeader, "DBD Agent queue size", &S::dbd_agent_queue_size},
    {Section::kHeader, "Jobs submitted", &S::jobs_submitted},
    {Section::kHeader, "Jobs started", &S::jobs_started},
    {Section::kHeader, "Jobs completed", &S::jobs_completed},
    {Section::kHeader, "Jobs canceled", &S::jobs_canceled},
    {Section::kHeader, "Jobs failed", &S::jobs_failed},
    {Section::kMain, "Last cycle", &S::schedule_cycle_last_us},
    {Section::kMain, "Max cycle", &S::schedule_cycle_max_us},
    {Section::kMain, "Total cycles", &S::schedule_cycle_counter},
    {Section::kMain, "Mean cycle", &S::schedule_cycle_mean_us},
    {Section::kMain, "Mean depth cycle", &S::schedule_cycle_mean_depth},
    {Section::kMain, "Last queue length", &S::schedule_queue_len},
    {Section::kBackfill, "Total backfilled jobs (since last slurm start)", &S::bf_backfilled_jobs},
    {Section::kBackfill, "Total backfilled jobs (since last stats cycle start)",
     &S::bf_last_backfilled_jobs},
    {Section::kBackfill, "Total backfilled heterogeneous job components",
     &S::bf_backfilled_het_jobs},
    {Section::kBackfill, "Total cycles", &S::bf_cycle_counter},
    {Section::kBackfill, "Last cycle", &S::bf_cycle_last_us},
    {Section::kBackfill, "Max cycle", &S::bf_cycle_max_us},
    {Section::kBackfill, "Mean cycle", &S::bf_cycle_mean_us},
    {Section::kBackfill, "Last depth cycle", &S::bf_last_depth},
    {Section::kBackfill, "Last depth cycle (try sched)", &S::bf_last_depth_try},
    {Section::kBackfill, "Depth Mean", &S::bf_depth_mean},
    {Section::kBackfill, "Last queue length", &S::bf_queue_len},
    {Section::kBackfill, "Last table size", &S::bf_table_size},
};

// A section heading changes the section (and, for backfill, says whether it is active);
// false when the line is not one.
bool section_heading(std::string_view line, Section& section, SchedulerStats& st) {
  if (line.starts_with("Main schedule statistics")) {
    section = Section::kMain;
  } else if (line.starts_with("Backfilling stats")) {
    section = Section::kBackfill;
    st.bf_active = line.find("WARNING") != std::string_view::npos;
  } else if (line.starts_with("Remote Procedure Call statistics by message type")) {
    section = Section::kRpcTypes;
  } else if (line.starts_with("Remote Procedure Call statistics by user")) {
    section = Section::kRpcUsers;
  } else if (line.starts_with("Main scheduler exit") || line.starts_with("Backfill exit") ||
             line.starts_with("Pending RPC") || line.starts_with("Latency for")) {
    section = Section::kOther;
  } else {
    return false;
  }
  return true;
}

// A "Key: value" line of the header, main or backfill section.
void key_value_line(std::string_view line, std::string_view raw, std::size_t line_no,
                    Section section, SchedulerStats& st) {
  // Header lines whose value is a ctime with its own colons.
  if (line.starts_with("sdiag output at ")) {
    st.req_time = epoch_in_parens(line.substr(16), raw, line_no);
    return;
  }
  if (line.starts_with("Data since ")) {
    st.req_time_start = epoch_in_parens(trim(line.substr(11)), raw, line_no);
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view key = trim(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (section == Section::kBackfill && key == "Last cycle when") {
    st.bf_when_last_cycle = epoch_in_parens(value, raw, line_no);
    return;
  }
  for (const NumberField& f : kNumberFields) {
    if (f.section == section && f.key == key) {
      st.*f.member = number(value, raw, line_no);
      return;
    }
  }
}

}  // namespace

SchedulerStats parse_sdiag(std::string_view text) {
  SchedulerStats st;
  Section section = Section::kHeader;
  bool saw_threads = false;
  text::for_each_line(text, [&](std::string_view raw, std::size_t line_no) {
    const std::string_view line = trim(raw);
    if (line.front() == '*' || section_heading(line, section, st)) return;
    if (section == Section::kRpcTypes || section == Section::kRpcUsers) {
      Row row = rpc_row(raw, line_no);
      if (section == Section::kRpcUsers) {
        // Keep the uid, "root (0)" → "0": the backend names it as the libslurm backend does.
        number(row.id, raw, line_no);
        st.rpc_users.push_back({row.id, row.count, row.total_time_us});
      } else {
        st.rpc_types.push_back({row.name, row.count, row.total_time_us});
      }
      return;
    }
    if (section == Section::kHeader && line.starts_with("Server thread count")) saw_threads = true;
    if (section != Section::kOther) key_value_line(line, raw, line_no, section, st);
  });
  if (!saw_threads) throw ParseError("sdiag: no \"Server thread count\" line: not sdiag output");
  // sdiag prints no sum; Mean cycle is sum / cycles truncated.
  st.bf_cycle_sum_us = st.bf_cycle_mean_us * st.bf_cycle_counter;
  return st;
}

}  // namespace slurm_exporter::slurm::cli
