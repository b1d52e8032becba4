// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/cli_parse.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

std::vector<std::string_view> fields(std::string_view line, std::size_t count,
                                     std::string_view what, std::size_t n) {
  auto f = acct::split(line, '|');
  // -P (parsable2) has no trailing '|'; -p has one: accept both.
  if (f.size() == count + 1 && f.back().empty()) f.pop_back();
  if (f.size() != count) {
    throw ParseError(
        fmt::format("{}: {} fields instead of {} in {}", what, f.size(), count, quote(line)), n);
  }
  return f;
}

// sacctmgr's configured limits have no usage: a Limit with only `max`.
Limit configured(std::string_view text, std::string_view what, std::size_t n) {
  return Limit{acct::optional_number(text, what, n), 0};
}

std::vector<TresLimit> configured_tres(std::string_view text, std::string_view what,
                                       std::size_t n) {
  std::vector<TresLimit> out;
  for (auto& t : acct::tres_amounts(text, what, n)) {
    out.push_back({std::move(t.name), Limit{t.value, 0}});
  }
  return out;
}

std::optional<double> wall_minutes(std::string_view text, std::string_view what, std::size_t n) {
  auto s = acct::wall_seconds(text, what, n);
  if (s) *s /= 60;
  return s;
}

std::int64_t epoch_in_parens(std::string_view line, std::size_t n) {
  const auto open = line.rfind('(');
  if (open == std::string_view::npos || line.back() != ')') {
    throw ParseError(fmt::format("sacctmgr show stats: no (epoch) in {}", quote(line)), n);
  }
  const auto digits = line.substr(open + 1, line.size() - open - 2);
  const double v = acct::number(digits, "sacctmgr show stats: epoch", n);
  if (digits.find('.') != std::string_view::npos || v > 4e12) {
    throw ParseError(fmt::format("sacctmgr show stats: epoch {} is out of range", quote(digits)),
                     n);
  }
  return static_cast<std::int64_t>(v);
}

std::uint64_t counter(std::string_view text, std::string_view what, std::size_t n) {
  const double v = acct::number(text, what, n);
  if (text.find('.') != std::string_view::npos || v >= 18446744073709551615.0) {
    throw ParseError(fmt::format("{} {} is not a counter", what, quote(text)), n);
  }
  return static_cast<std::uint64_t>(v);
}

// "DBD_FINI                 ( 1401) count:55     ave_time:1009   total_time:55496"
DbdRpc rpc_row(std::string_view line, std::size_t n) {
  const auto bad = [&] {
    return ParseError(fmt::format("sacctmgr show stats: malformed RPC row {}", quote(line)), n);
  };
  const auto t = acct::trim(line);
  const auto open = t.find('(');
  const auto close = t.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      open == 0) {
    throw bad();
  }
  DbdRpc r;
  r.name = std::string(acct::trim(t.substr(0, open)));
  if (r.name.empty() || r.name.find(' ') != std::string::npos) throw bad();
  const auto id = counter(acct::trim(t.substr(open + 1, close - open - 1)), "RPC id", n);
  if (id > 4294967295u) throw bad();
  r.id = static_cast<std::uint32_t>(id);
  bool have_count = false, have_total = false;
  for (const auto token : acct::split(t.substr(close + 1), ' ')) {
    if (token.empty()) continue;
    const auto colon = token.find(':');
    if (colon == std::string_view::npos) throw bad();
    const auto key = token.substr(0, colon), value = token.substr(colon + 1);
    if (key == "count") {
      r.count = counter(value, "RPC count", n);
      have_count = true;
    } else if (key == "total_time") {
      r.total_time_us = counter(value, "RPC total_time", n);
      have_total = true;
    } else if (key != "ave_time") {
      throw bad();
    }
  }
  if (!have_count || !have_total) throw bad();
  return r;
}

class StatsReader {
 public:
  void line(std::string_view line, std::size_t n) {
    const auto t = acct::trim(line);
    if (t.starts_with("Data since")) {
      stats_.since = epoch_in_parens(t, n);
      have_since_ = true;
    } else if (t.starts_with("Remote Procedure Call statistics by message type")) {
      mode_ = Mode::kTypes;
    } else if (t.starts_with("Remote Procedure Call statistics by user")) {
      mode_ = Mode::kUsers;
    } else if (mode_ == Mode::kTypes) {
      stats_.by_type.push_back(rpc_row(line, n));
    } else if (mode_ == Mode::kUsers) {
      stats_.by_user.push_back(rpc_row(line, n));
    } else if (t.starts_with("Cluster '") && t.ends_with("' rollup statistics")) {
      cluster_ = std::string(t.substr(9, t.size() - 9 - 19));
    } else if (t.find(" last ran ") != std::string_view::npos ||
               t.starts_with("Internal DBD rollup") || t.starts_with("User RPC rollup call")) {
      rollup_start(t, n);
    } else if (line.front() == '\t' || line.front() == ' ') {
      rollup_field(t, n);
    }
  }

  DbdStats take() {
    if (!have_since_) throw ParseError("sacctmgr show stats: no \"Data since\" line");
    return std::move(stats_);
  }

 private:
  enum class Mode { kRollups, kTypes, kUsers };

  void rollup_start(std::string_view t, std::size_t n) {
    DbdRollup& r = stats_.rollups.emplace_back();
    if (t.starts_with("Internal DBD rollup")) {
      r.interval = "internal";
    } else if (t.starts_with("User RPC rollup call")) {
      r.interval = "user_rpc";
    } else {
      r.cluster = cluster_;
      r.interval = std::string(t.substr(0, t.find(' ')));
    }
    if (t.find(" last ran ") != std::string_view::npos) r.last_ran = epoch_in_parens(t, n);
  }

  void rollup_field(std::string_view t, std::size_t n) {
    const auto colon = t.find(':');
    if (colon == std::string_view::npos || stats_.rollups.empty()) {
      throw ParseError(fmt::format("sacctmgr show stats: unexpected line {}", quote(t)), n);
    }
    const auto key = t.substr(0, colon);
    const auto value = acct::trim(t.substr(colon + 1));
    DbdRollup& r = stats_.rollups.back();
    if (key == "Last cycle") {
      r.last_cycle_us = counter(value, key, n);
    } else if (key == "Max cycle") {
      r.max_cycle_us = counter(value, key, n);
    } else if (key == "Total time") {
      r.total_time_us = counter(value, key, n);
    } else if (key == "Total cycles") {
      r.total_cycles = counter(value, key, n);
    }
  }

  DbdStats stats_;
  Mode mode_ = Mode::kRollups;
  std::string cluster_;
  bool have_since_ = false;
};

}  // namespace

std::vector<Association> parse_sacctmgr_assocs(std::string_view text) {
  std::vector<Association> out;
  acct::for_each_line(text, [&](std::string_view line, std::size_t n) {
    const auto f = fields(line, 16, "sacctmgr show assoc", n);
    Association& a = out.emplace_back();
    a.cluster = f[0];
    a.account = f[1];
    a.user = f[2];
    a.partition = f[3];
    a.parent = f[4];
    if (a.account.empty()) {
      throw ParseError(fmt::format("sacctmgr show assoc: no account in {}", quote(line)), n);
    }
    if (f[5] != "parent") a.shares.raw_shares = acct::optional_number(f[5], "Share", n);
    a.grp_jobs = configured(f[6], "GrpJobs", n);
    a.grp_submit_jobs = configured(f[7], "GrpSubmit", n);
    a.grp_tres = configured_tres(f[8], "GrpTRES", n);
    a.grp_wall_minutes = wall_minutes(f[9], "GrpWall", n);
    a.max_jobs = configured(f[10], "MaxJobs", n);
    a.max_submit_jobs = configured(f[11], "MaxSubmit", n);
    a.max_tres_per_job = acct::tres_amounts(f[12], "MaxTRES", n);
    a.max_wall_seconds = acct::wall_seconds(f[13], "MaxWall", n);
  });
  return out;
}

std::vector<Qos> parse_sacctmgr_qos(std::string_view text) {
  std::vector<Qos> out;
  acct::for_each_line(text, [&](std::string_view line, std::size_t n) {
    const auto f = fields(line, 12, "sacctmgr show qos", n);
    Qos& q = out.emplace_back();
    q.name = f[0];
    if (q.name.empty()) {
      throw ParseError(fmt::format("sacctmgr show qos: no name in {}", quote(line)), n);
    }
    q.priority = acct::optional_number(f[1], "Priority", n);
    q.grp_jobs = configured(f[2], "GrpJobs", n);
    q.grp_submit_jobs = configured(f[3], "GrpSubmit", n);
    q.grp_tres = configured_tres(f[4], "GrpTRES", n);
    q.grp_wall_minutes = wall_minutes(f[5], "GrpWall", n);
    q.max_jobs_per_user = acct::optional_number(f[6], "MaxJobsPU", n);
    q.max_submit_per_user = acct::optional_number(f[7], "MaxSubmitPU", n);
    q.max_tres_per_user = acct::tres_amounts(f[8], "MaxTRESPU", n);
    q.max_wall_seconds = acct::wall_seconds(f[9], "MaxWall", n);
    q.max_tres_per_job = acct::tres_amounts(f[10], "MaxTRES", n);
    q.usage_factor = acct::optional_number(f[11], "UsageFactor", n);
  });
  return out;
}

DbdStats parse_sacctmgr_stats(std::string_view text) {
  StatsReader r;
  acct::for_each_line(text, [&](std::string_view line, std::size_t n) { r.line(line, n); });
  return r.take();
}

}  // namespace slurm_exporter::slurm::cli
