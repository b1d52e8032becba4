// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>

#include <fmt/format.h>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting_text.hpp"
#include "slurm_exporter/slurm/cli_accounting.hpp"
#include "slurm_exporter/slurm/detail/cli_fields.hpp"
#include "slurm_exporter/slurm/text.hpp"

namespace slurm_exporter::slurm::cli {
namespace {

std::vector<std::string_view> fields(std::string_view line, std::size_t count) {
  auto f = acct::split(line, '|');
  // -P (parsable2) has no trailing '|'; -p has one: accept both.
  if (f.size() == count + 1 && f.back().empty()) f.pop_back();
  if (f.size() != count) {
    throw ParseError(fmt::format("{} fields instead of {}", f.size(), count));
  }
  return f;
}

// sacctmgr's configured limits have no usage: a Limit with only `max`.
Limit configured(std::string_view value, std::string_view what) {
  return Limit{acct::optional_number(value, what), 0};
}

std::vector<TresLimit> configured_tres(std::string_view value, std::string_view what) {
  std::vector<TresLimit> out;
  for (auto& t : acct::tres_amounts(value, what)) {
    out.push_back({std::move(t.name), Limit{t.value, 0}});
  }
  return out;
}

std::optional<double> wall_minutes(std::string_view value, std::string_view what) {
  auto s = acct::wall_seconds(value, what);
  if (s) *s /= 60;
  return s;
}

std::int64_t epoch_in_parens(std::string_view line) {
  const auto open = line.rfind('(');
  if (open == std::string_view::npos || line.back() != ')') {
    throw ParseError(fmt::format("no (epoch) in {}", text::quote(line)));
  }
  const auto digits = line.substr(open + 1, line.size() - open - 2);
  const double v = acct::number(digits, "epoch");
  if (digits.find('.') != std::string_view::npos || v > 4e12) {
    throw ParseError(fmt::format("epoch {} is out of range", text::quote(digits)));
  }
  return static_cast<std::int64_t>(v);
}

std::uint64_t counter(std::string_view value, std::string_view what) {
  const double v = acct::number(value, what);
  if (value.find('.') != std::string_view::npos || v >= 18446744073709551615.0) {
    throw ParseError(fmt::format("{} {} is not a counter", what, text::quote(value)));
  }
  return static_cast<std::uint64_t>(v);
}

// "DBD_FINI                 ( 1401) count:55     ave_time:1009   total_time:55496"
DbdRpc rpc_row(std::string_view line) {
  const auto bad = [&] {
    return ParseError(fmt::format("malformed RPC row {}", text::quote(line)));
  };
  const auto t = text::trim(line);
  const auto open = t.find('(');
  const auto close = t.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      open == 0) {
    throw bad();
  }
  DbdRpc r;
  r.name = std::string(text::trim(t.substr(0, open)));
  if (r.name.empty() || r.name.find(' ') != std::string::npos) throw bad();
  const auto id = counter(text::trim(t.substr(open + 1, close - open - 1)), "RPC id");
  if (id > 4294967295u) throw bad();
  r.id = static_cast<std::uint32_t>(id);
  bool have_count = false, have_total = false;
  for (const auto token : acct::split(t.substr(close + 1), ' ')) {
    if (token.empty()) continue;
    const auto colon = token.find(':');
    if (colon == std::string_view::npos) throw bad();
    const auto key = token.substr(0, colon), value = token.substr(colon + 1);
    if (key == "count") {
      r.count = counter(value, "RPC count");
      have_count = true;
    } else if (key == "total_time") {
      r.total_time_us = counter(value, "RPC total_time");
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
  void line(std::string_view line) {
    const auto t = text::trim(line);
    if (t.starts_with("Data since")) {
      stats_.since = epoch_in_parens(t);
      have_since_ = true;
    } else if (t.starts_with("Remote Procedure Call statistics by message type")) {
      mode_ = Mode::kTypes;
    } else if (t.starts_with("Remote Procedure Call statistics by user")) {
      mode_ = Mode::kUsers;
    } else if (mode_ == Mode::kTypes || mode_ == Mode::kUsers) {
      try {
        (mode_ == Mode::kTypes ? stats_.by_type : stats_.by_user).push_back(rpc_row(line));
      } catch (const ParseError& e) {
        stats_.parse_errors.push_back(
            fmt::format("sacctmgr show stats: {}: {}", text::quote(line), e.what()));
      }
    } else if (t.starts_with("Cluster '") && t.ends_with("' rollup statistics")) {
      cluster_ = std::string(t.substr(9, t.size() - 9 - 19));
    } else if (t.find(" last ran ") != std::string_view::npos ||
               t.starts_with("Internal DBD rollup") || t.starts_with("User RPC rollup call")) {
      rollup_start(t);
    } else if (line.front() == '\t' || line.front() == ' ') {
      rollup_field(t);
    }
  }

  DbdStats take() {
    if (!have_since_)
      throw ParseError("sacctmgr show stats: no \"Data since\" line (not its output)");
    return std::move(stats_);
  }

 private:
  enum class Mode { kRollups, kTypes, kUsers };

  void rollup_start(std::string_view t) {
    DbdRollup& r = stats_.rollups.emplace_back();
    if (t.starts_with("Internal DBD rollup")) {
      r.interval = "internal";
    } else if (t.starts_with("User RPC rollup call")) {
      r.interval = "user_rpc";
    } else {
      r.cluster = cluster_;
      r.interval = std::string(t.substr(0, t.find(' ')));
    }
    if (t.find(" last ran ") != std::string_view::npos) r.last_ran = epoch_in_parens(t);
  }

  void rollup_field(std::string_view t) {
    const auto colon = t.find(':');
    if (colon == std::string_view::npos || stats_.rollups.empty()) {
      throw ParseError(fmt::format("unexpected line {}", text::quote(t)));
    }
    const auto key = t.substr(0, colon);
    const auto value = text::trim(t.substr(colon + 1));
    DbdRollup& r = stats_.rollups.back();
    if (key == "Last cycle") {
      r.last_cycle_us = counter(value, key);
    } else if (key == "Max cycle") {
      r.max_cycle_us = counter(value, key);
    } else if (key == "Total time") {
      r.total_time_us = counter(value, key);
    } else if (key == "Total cycles") {
      r.total_cycles = counter(value, key);
    }
  }

  DbdStats stats_;
  Mode mode_ = Mode::kRollups;
  std::string cluster_;
  bool have_since_ = false;
};

Association sacctmgr_assoc(const std::vector<std::string_view>& f) {
  Association a;
  a.cluster = f[0];
  a.account = f[1];
  a.user = f[2];
  a.partition = f[3];
  a.parent = f[4];
  if (a.account.empty()) throw ParseError("no Account");
  if (f[5] != "parent") a.shares.raw_shares = acct::optional_number(f[5], "Share");
  a.grp_jobs = configured(f[6], "GrpJobs");
  a.grp_submit_jobs = configured(f[7], "GrpSubmit");
  a.grp_tres = configured_tres(f[8], "GrpTRES");
  a.grp_wall_minutes = wall_minutes(f[9], "GrpWall");
  a.max_jobs = configured(f[10], "MaxJobs");
  a.max_submit_jobs = configured(f[11], "MaxSubmit");
  a.max_tres_per_job = acct::tres_amounts(f[12], "MaxTRES");
  a.max_wall_seconds = acct::wall_seconds(f[13], "MaxWall");
  return a;
}

Qos sacctmgr_qos(const std::vector<std::string_view>& f) {
  Qos q;
  q.name = f[0];
  if (q.name.empty()) throw ParseError("no Name");
  q.priority = acct::optional_number(f[1], "Priority");
  q.grp_jobs = configured(f[2], "GrpJobs");
  q.grp_submit_jobs = configured(f[3], "GrpSubmit");
  q.grp_tres = configured_tres(f[4], "GrpTRES");
  q.grp_wall_minutes = wall_minutes(f[5], "GrpWall");
  q.max_jobs_per_user = acct::optional_number(f[6], "MaxJobsPU");
  q.max_submit_per_user = acct::optional_number(f[7], "MaxSubmitPU");
  q.max_tres_per_user = acct::tres_amounts(f[8], "MaxTRESPU");
  q.max_wall_seconds = acct::wall_seconds(f[9], "MaxWall");
  q.max_tres_per_job = acct::tres_amounts(f[10], "MaxTRES");
  q.usage_factor = acct::optional_number(f[11], "UsageFactor");
  return q;
}

}  // namespace

AccountingState parse_sacctmgr_assocs(std::string_view value) {
  AccountingState out;
  detail::parse_lines(value, "sacctmgr show assoc", out.parse_errors,
                      [&](std::string_view line, std::size_t) {
                        out.associations.push_back(sacctmgr_assoc(fields(line, 16)));
                      });
  return out;
}

AccountingState parse_sacctmgr_qos(std::string_view value) {
  AccountingState out;
  detail::parse_lines(value, "sacctmgr show qos", out.parse_errors,
                      [&](std::string_view line, std::size_t) {
                        out.qos.push_back(sacctmgr_qos(fields(line, 12)));
                      });
  return out;
}

DbdStats parse_sacctmgr_stats(std::string_view value) {
  StatsReader r;
  text::for_each_line(value, [&](std::string_view line, std::size_t n) {
    try {
      r.line(line);
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("sacctmgr show stats: {}", e.what()), n);
    }
  });
  return r.take();
}

}  // namespace slurm_exporter::slurm::cli
