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

SchedulerStats parse_sdiag(std::string_view text) {
  SchedulerStats st;
  Section section = Section::kHeader;
  bool saw_threads = false;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '*') continue;

    if (line.starts_with("Main schedule statistics")) {
      section = Section::kMain;
      continue;
    }
    if (line.starts_with("Backfilling stats")) {
      section = Section::kBackfill;
      st.bf_active = line.find("WARNING") != std::string_view::npos;
      continue;
    }
    if (line.starts_with("Remote Procedure Call statistics by message type")) {
      section = Section::kRpcTypes;
      continue;
    }
    if (line.starts_with("Remote Procedure Call statistics by user")) {
      section = Section::kRpcUsers;
      continue;
    }
    if (line.starts_with("Main scheduler exit") || line.starts_with("Backfill exit") ||
        line.starts_with("Pending RPC") || line.starts_with("Latency for")) {
      section = Section::kOther;
      continue;
    }
    if (section == Section::kRpcTypes || section == Section::kRpcUsers) {
      Row row = rpc_row(raw, line_no);
      if (section == Section::kRpcUsers) {
        // Keep the uid, "root (0)" → "0": the backend names it as the libslurm backend does.
        number(row.id, raw, line_no);
        st.rpc_users.push_back({row.id, row.count, row.total_time_us});
      } else {
        st.rpc_types.push_back({row.name, row.count, row.total_time_us});
      }
      continue;
    }
    // Header lines whose value is a ctime with its own colons.
    if (line.starts_with("sdiag output at ")) {
      st.req_time = epoch_in_parens(line.substr(16), raw, line_no);
      continue;
    }
    if (line.starts_with("Data since ")) {
      st.req_time_start = epoch_in_parens(trim(line.substr(11)), raw, line_no);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    const auto num = [&] { return number(value, raw, line_no); };

    switch (section) {
      case Section::kHeader:
        if (key == "Server thread count") {
          st.server_thread_count = num();
          saw_threads = true;
        } else if (key == "Agent queue size") {
          st.agent_queue_size = num();
        } else if (key == "Agent count") {
          st.agent_count = num();
        } else if (key == "Agent thread count") {
          st.agent_thread_count = num();
        } else if (key == "DBD Agent queue size") {
          st.dbd_agent_queue_size = num();
        } else if (key == "Jobs submitted") {
          st.jobs_submitted = num();
        } else if (key == "Jobs started") {
          st.jobs_started = num();
        } else if (key == "Jobs completed") {
          st.jobs_completed = num();
        } else if (key == "Jobs canceled") {
          st.jobs_canceled = num();
        } else if (key == "Jobs failed") {
          st.jobs_failed = num();
        }
        break;
      case Section::kMain:
        if (key == "Last cycle") {
          st.schedule_cycle_last_us = num();
        } else if (key == "Max cycle") {
          st.schedule_cycle_max_us = num();
        } else if (key == "Total cycles") {
          st.schedule_cycle_counter = num();
        } else if (key == "Mean cycle") {
          st.schedule_cycle_mean_us = num();
        } else if (key == "Mean depth cycle") {
          st.schedule_cycle_mean_depth = num();
        } else if (key == "Last queue length") {
          st.schedule_queue_len = num();
        }
        break;
      case Section::kBackfill:
        if (key == "Total backfilled jobs (since last slurm start)") {
          st.bf_backfilled_jobs = num();
        } else if (key == "Total backfilled heterogeneous job components") {
          st.bf_backfilled_het_jobs = num();
        } else if (key == "Total cycles") {
          st.bf_cycle_counter = num();
        } else if (key == "Last cycle when") {
          st.bf_when_last_cycle = epoch_in_parens(value, raw, line_no);
        } else if (key == "Last cycle") {
          st.bf_cycle_last_us = num();
        } else if (key == "Max cycle") {
          st.bf_cycle_max_us = num();
        } else if (key == "Mean cycle") {
          st.bf_cycle_mean_us = num();
        } else if (key == "Last depth cycle") {
          st.bf_last_depth = num();
        } else if (key == "Last depth cycle (try sched)") {
          st.bf_last_depth_try = num();
        } else if (key == "Depth Mean") {
          st.bf_depth_mean = num();
        } else if (key == "Last queue length") {
          st.bf_queue_len = num();
        } else if (key == "Last table size") {
          st.bf_table_size = num();
        }
        break;
      default:
        break;
    }
  }
  if (!saw_threads) throw ParseError("sdiag: no \"Server thread count\" line: not sdiag output");
  return st;
}

}  // namespace slurm_exporter::slurm::cli
