// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/accounting.hpp"

#include <atomic>
#include <set>
#include <string>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"
#include "slurm_exporter/log.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::SampleMap;
using Labels = std::vector<std::string>;

namespace {

constexpr double kMicro = 1e-6;

metrics::Family counter(std::string name, std::string help, std::vector<std::string> labels,
                        const SampleMap& samples) {
  auto f = gauge(std::move(name), std::move(help), std::move(labels), samples);
  f.type = metrics::Type::kCounter;
  return f;
}

void put(SampleMap& m, const Labels& labels, const std::optional<double>& v) {
  if (v) m.emplace(labels, *v);
}

// TRES that jobs are allocated (energy, fs/disk, vmem and pages are measured, not allocated).
bool allocation_tres(const std::string& name) {
  return name == "cpu" || name == "mem" || name == "node" || name == "billing" ||
         name.starts_with("gres/") || name.starts_with("license/");
}

// --- fairshare
struct ShareMaps {
  SampleMap raw_shares, norm_shares, raw_usage, norm_usage, effective_usage, factor, level_fs;

  void add(const Labels& l, const slurm::Shares& s) {
    put(raw_shares, l, s.raw_shares);
    put(norm_shares, l, s.norm_shares);
    put(raw_usage, l, s.raw_usage);
    put(norm_usage, l, s.norm_usage);
    put(effective_usage, l, s.effective_usage);
    put(factor, l, s.fairshare);
    put(level_fs, l, s.level_fs);
  }

  std::vector<metrics::Family> families(const std::string& prefix, const Labels& names,
                                        const std::string& what, bool with_factor) const {
    std::vector<metrics::Family> out;
    out.push_back(gauge(prefix + "raw_shares",
                        "Shares configured for the " + what + " (sshare RawShares; Fairshare=)",
                        names, raw_shares));
    out.push_back(
        gauge(prefix + "norm_shares",
              "Shares of the " + what + " normalized to the whole tree (sshare NormShares)", names,
              norm_shares));
    out.push_back(
        gauge(prefix + "raw_usage",
              "Decayed usage of the " + what + " in billing-TRES-seconds (sshare RawUsage)", names,
              raw_usage));
    out.push_back(gauge(prefix + "norm_usage",
                        "Usage of the " + what + " normalized to the cluster's (sshare NormUsage)",
                        names, norm_usage));
    out.push_back(gauge(
        prefix + "effective_usage",
        "Effective usage of the " + what + ", children's usage included (sshare EffectvUsage)",
        names, effective_usage));
    if (with_factor) {
      out.push_back(gauge(prefix + "factor",
                          "Fairshare factor of the " + what + ", 0..1 (sshare FairShare)", names,
                          factor));
    }
    out.push_back(gauge(prefix + "level_fs",
                        "Fair-tree level fairshare of the " + what +
                            " against its siblings; +Inf without usage (sshare LevelFS)",
                        names, level_fs));
    return out;
  }
};

// --- limits
struct LimitMaps {
  SampleMap tres_limit, tres_used, jobs_limit, jobs_used, submit_limit, submit_used;
  SampleMap max_jobs_limit, max_jobs_used, max_submit_limit, max_submit_used, max_wall;

  void add(const Labels& l, const slurm::Association& a) {
    for (const auto& t : a.grp_tres) {
      Labels lt = l;
      lt.push_back(t.name);
      put(tres_limit, lt, t.value.max);
      if (allocation_tres(t.name) || t.value.max) tres_used.emplace(lt, t.value.used);
    }
    put(jobs_limit, l, a.grp_jobs.max);
    jobs_used.emplace(l, a.grp_jobs.used);
    put(submit_limit, l, a.grp_submit_jobs.max);
    submit_used.emplace(l, a.grp_submit_jobs.used);
    put(max_jobs_limit, l, a.max_jobs.max);
    put(max_submit_limit, l, a.max_submit_jobs.max);
    // scontrol prints the use only next to a limit ("MaxJobs=3(1)", else "MaxJobs="): so do we.
    if (!a.user.empty() && a.max_jobs.max) max_jobs_used.emplace(l, a.max_jobs.used);
    if (!a.user.empty() && a.max_submit_jobs.max) {
      max_submit_used.emplace(l, a.max_submit_jobs.used);
    }
    put(max_wall, l, a.max_wall_seconds);
  }

  std::vector<metrics::Family> families(const std::string& prefix, const Labels& names,
                                        bool users) const {
    Labels with_tres = names;
    with_tres.push_back("tres");
    std::vector<metrics::Family> out;
    out.push_back(gauge(prefix + "grp_tres_limit",
                        "GrpTRES limit of the association; mem in bytes (scontrol show assoc_mgr; "
                        "sacctmgr GrpTRES); no sample when unlimited",
                        with_tres, tres_limit));
    out.push_back(gauge(prefix + "grp_tres_used",
                        "TRES of the association's running jobs counted against GrpTRES; mem in "
                        "bytes (scontrol show assoc_mgr GrpTRES=LIMIT(USED))",
                        with_tres, tres_used));
    out.push_back(
        gauge(prefix + "grp_jobs_limit",
              "GrpJobs: running jobs allowed (sacctmgr GrpJobs); no sample when unlimited", names,
              jobs_limit));
    out.push_back(gauge(prefix + "grp_jobs_used",
                        "Running jobs counted against GrpJobs (scontrol show assoc_mgr GrpJobs)",
                        names, jobs_used));
    out.push_back(gauge(prefix + "grp_submit_limit",
                        "GrpSubmit: running plus pending jobs allowed (sacctmgr GrpSubmit)", names,
                        submit_limit));
    out.push_back(gauge(prefix + "grp_submit_used",
                        "Running plus pending jobs counted against GrpSubmit (scontrol show "
                        "assoc_mgr GrpSubmitJobs)",
                        names, submit_used));
    out.push_back(gauge(prefix + "max_jobs_limit",
                        "MaxJobs: running jobs allowed per user (sacctmgr MaxJobs)", names,
                        max_jobs_limit));
    out.push_back(
        gauge(prefix + "max_submit_limit",
              "MaxSubmit: running plus pending jobs allowed per user (sacctmgr MaxSubmit)", names,
              max_submit_limit));
    if (users) {
      out.push_back(
          gauge(prefix + "max_jobs_used",
                "The user's running jobs counted against MaxJobs, where it has one (assoc_mgr)",
                names, max_jobs_used));
      out.push_back(gauge(prefix + "max_submit_used",
                          "The user's running plus pending jobs counted against MaxSubmit "
                          "(assoc_mgr MaxSubmitJobs)",
                          names, max_submit_used));
    }
    out.push_back(gauge(prefix + "max_wall_seconds",
                        "MaxWall: time limit per job in seconds (sacctmgr MaxWall)", names,
                        max_wall));
    return out;
  }
};

std::optional<double> tres_max(const slurm::Association& a, const std::string& name) {
  for (const auto& t : a.grp_tres) {
    if (t.name == name) return t.value.max;
  }
  return std::nullopt;
}

// rivosinc's -slurm.collect-limits families (sacctmgr GrpCPU, GrpMem, GrpJobs, GrpSubmit of
// account associations, no sample where unlimited); memory in bytes (rivosinc multiplies
// Slurm's MiB by 10^6).
std::vector<metrics::Family> rivosinc_limits(const slurm::AccountingState& state,
                                             const LimitCounters& c) {
  SampleMap cpu, mem, alloc, jobs;
  for (const auto& a : state.associations) {
    if (!a.user.empty()) continue;
    const Labels l{a.account};
    put(cpu, l, tres_max(a, "cpu"));
    put(mem, l, tres_max(a, "mem"));
    put(alloc, l, a.grp_jobs.max);
    put(jobs, l, a.grp_submit_jobs.max);
  }
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_account_cpu_limit",
                      "slurm account cpu limit (rivosinc name; GrpTRES cpu)", {"account"}, cpu));
  out.push_back(gauge("slurm_account_mem_limit",
                      "slurm account mem limit in bytes (rivosinc name; GrpTRES mem)", {"account"},
                      mem));
  out.push_back(gauge("slurm_account_job_alloc_limit",
                      "slurm account limit on the # of jobs allowed to be RUNNING state "
                      "(rivosinc name; GrpJobs)",
                      {"account"}, alloc));
  out.push_back(gauge("slurm_account_job_limit",
                      "slurm account limit on the # of jobs allowed to be RUNNING or PENDING "
                      "state (rivosinc name; GrpSubmit)",
                      {"account"}, jobs));
  if (c.load_milliseconds) {
    out.push_back(gauge("slurm_limit_scrape_duration",
                        "Duration of the association load in milliseconds (rivosinc name)",
                        *c.load_milliseconds));
  }
  // Counters in rivosinc without the _total suffix: untyped, as the other inherited names.
  out.push_back(detail::legacy_untyped(gauge("slurm_account_scrape_error",
                                             "Association loads that failed (rivosinc name)",
                                             static_cast<double>(c.scrape_errors))));
  out.push_back(detail::legacy_untyped(
      gauge("slurm_account_collect_error",
            "Association records left out because they did not parse (rivosinc name)",
            static_cast<double>(c.collect_errors))));
  return out;
}

}  // namespace

std::vector<metrics::Family> collect_fairshare(const slurm::ShareData& shares, bool users) {
  ShareMaps m;
  std::set<Labels> seen;
  SampleMap rivosinc;
  for (const auto& r : shares.rows) {
    if (r.user.empty() == users) continue;
    Labels l{r.account};
    if (users) l.push_back(r.user);
    if (!seen.insert(l).second) continue;
    m.add(l, r.shares);
    if (!users) put(rivosinc, l, r.shares.norm_shares);
  }
  if (users) {
    return m.families("slurm_fairshare_user_", {"account", "user"}, "user association", true);
  }
  auto out = m.families("slurm_fairshare_account_", {"account"}, "account", false);
  out.push_back(gauge("slurm_account_fairshare",
                      "FairShare value for account (rivosinc name; sshare NormShares)", {"account"},
                      rivosinc));
  // Without accounting (no share rows) no slurm_fairshare_* series at all, the companions too.
  if (shares.rows.empty()) return out;
  out.push_back(gauge("slurm_fairshare_scrape_duration",
                      "Duration of the share load in milliseconds (rivosinc name)",
                      shares.load_seconds * 1000));
  // Counters in rivosinc without the _total suffix: untyped, as the other inherited names.
  out.push_back(detail::legacy_untyped(gauge("slurm_fairshare_scrape_error",
                                             "Share loads that failed (rivosinc name)",
                                             static_cast<double>(shares.failed_loads))));
  out.push_back(
      detail::legacy_untyped(gauge("slurm_fairshare_collect_error",
                                   "Share rows left out because they did not parse (rivosinc name)",
                                   static_cast<double>(shares.parse_errors.size()))));
  return out;
}

void note_no_associations() {
  static std::atomic<bool> noted{false};
  if (noted.exchange(true)) return;
  log::info(
      "slurmctld's association manager has no association: no accounting "
      "(AccountingStorageType=accounting_storage/slurmdbd) on this cluster?",
      {{"collectors", "fairshare,limits,qos"}, {"series", "none"}});
}

std::vector<metrics::Family> collect_limits(const slurm::AccountingState& state, bool users,
                                            const std::optional<LimitCounters>& counters) {
  LimitMaps m;
  for (const auto& a : state.associations) {
    if (a.user.empty() == users) continue;
    Labels l{a.account};
    if (users) {
      l.push_back(a.user);
      l.push_back(a.partition);
    }
    m.add(l, a);
  }
  auto out = users ? m.families("slurm_user_assoc_", {"account", "user", "partition"}, true)
                   : m.families("slurm_assoc_", {"account"}, false);
  if (counters) {
    for (auto& f : rivosinc_limits(state, *counters)) out.push_back(std::move(f));
  }
  return out;
}

std::vector<metrics::Family> collect_qos(const slurm::AccountingState& state) {
  SampleMap priority, usage, tres_limit, tres_used, jobs_limit, jobs_used, submit_limit,
      submit_used, max_wall;
  for (const auto& q : state.qos) {
    const Labels l{q.name};
    put(priority, l, q.priority);
    put(usage, l, q.usage_raw);
    for (const auto& t : q.grp_tres) {
      const Labels lt{q.name, t.name};
      put(tres_limit, lt, t.value.max);
      if (allocation_tres(t.name) || t.value.max) tres_used.emplace(lt, t.value.used);
    }
    put(jobs_limit, l, q.grp_jobs.max);
    jobs_used.emplace(l, q.grp_jobs.used);
    put(submit_limit, l, q.grp_submit_jobs.max);
    submit_used.emplace(l, q.grp_submit_jobs.used);
    put(max_wall, l, q.max_wall_seconds);
  }
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_qos_priority", "Priority of the QOS (sacctmgr show qos Priority)",
                      {"qos"}, priority));
  out.push_back(gauge("slurm_qos_usage_raw",
                      "Decayed usage of the QOS in billing-TRES-seconds (assoc_mgr UsageRaw)",
                      {"qos"}, usage));
  out.push_back(gauge("slurm_qos_grp_tres_limit",
                      "GrpTRES limit of the QOS; mem in bytes; no sample when unlimited",
                      {"qos", "tres"}, tres_limit));
  out.push_back(gauge("slurm_qos_grp_tres_used",
                      "TRES of running jobs counted against the QOS's GrpTRES; mem in bytes",
                      {"qos", "tres"}, tres_used));
  out.push_back(gauge("slurm_qos_grp_jobs_limit", "GrpJobs of the QOS: running jobs allowed",
                      {"qos"}, jobs_limit));
  out.push_back(gauge("slurm_qos_grp_jobs_used", "Running jobs counted against the QOS's GrpJobs",
                      {"qos"}, jobs_used));
  out.push_back(gauge("slurm_qos_grp_submit_limit",
                      "GrpSubmitJobs of the QOS: running plus pending jobs allowed", {"qos"},
                      submit_limit));
  out.push_back(gauge("slurm_qos_grp_submit_used",
                      "Running plus pending jobs counted against the QOS's GrpSubmitJobs", {"qos"},
                      submit_used));
  out.push_back(gauge("slurm_qos_max_wall_seconds", "MaxWall of the QOS per job, seconds", {"qos"},
                      max_wall));
  return out;
}

std::vector<metrics::Family> collect_slurmdbd(const slurm::DbdStats& dbd) {
  std::vector<metrics::Family> out;
  out.push_back(gauge("slurm_slurmdbd_up",
                      "1 when slurmdbd answered its statistics request (sacctmgr show stats)",
                      dbd.error.empty() ? 1.0 : 0.0));
  if (!dbd.error.empty()) return out;
  const slurm::DbdStats* stats = &dbd;
  out.push_back(gauge("slurm_slurmdbd_stats_since_timestamp_seconds",
                      "When slurmdbd started counting these statistics (its start or `sacctmgr "
                      "clear stats`), unix seconds",
                      static_cast<double>(stats->since)));
  SampleMap last, max, total, cycles, last_ran;
  for (const auto& r : stats->rollups) {
    const Labels l{r.cluster, r.interval};
    last[l] = static_cast<double>(r.last_cycle_us) * kMicro;
    max[l] = static_cast<double>(r.max_cycle_us) * kMicro;
    total[l] = static_cast<double>(r.total_time_us) * kMicro;
    cycles[l] = static_cast<double>(r.total_cycles);
    if (r.last_ran) last_ran[l] = static_cast<double>(*r.last_ran);
  }
  const Labels rl{"cluster", "interval"};
  out.push_back(gauge("slurm_slurmdbd_rollup_last_cycle_seconds",
                      "Duration of the last usage rollup (sacctmgr show stats Last cycle)", rl,
                      last));
  out.push_back(gauge("slurm_slurmdbd_rollup_max_cycle_seconds",
                      "Longest usage rollup (sacctmgr show stats Max cycle)", rl, max));
  out.push_back(counter("slurm_slurmdbd_rollup_seconds_total",
                        "Time spent in usage rollups (sacctmgr show stats Total time)", rl, total));
  out.push_back(counter("slurm_slurmdbd_rollups_total",
                        "Usage rollups run (sacctmgr show stats Total cycles)", rl, cycles));
  out.push_back(gauge("slurm_slurmdbd_rollup_last_run_timestamp_seconds",
                      "When the rollup last ran, unix seconds (sacctmgr show stats last ran)", rl,
                      last_ran));
  SampleMap type_calls, type_time, user_calls, user_time;
  for (const auto& r : stats->by_type) {
    type_calls[{r.name}] += static_cast<double>(r.count);
    type_time[{r.name}] += static_cast<double>(r.total_time_us) * kMicro;
  }
  for (const auto& r : stats->by_user) {
    user_calls[{r.name}] += static_cast<double>(r.count);
    user_time[{r.name}] += static_cast<double>(r.total_time_us) * kMicro;
  }
  out.push_back(counter("slurm_slurmdbd_rpc_calls_total",
                        "RPCs slurmdbd served per message type (sacctmgr show stats)", {"type"},
                        type_calls));
  out.push_back(counter("slurm_slurmdbd_rpc_duration_seconds_total",
                        "Time slurmdbd spent serving RPCs per message type (sacctmgr show stats)",
                        {"type"}, type_time));
  out.push_back(counter("slurm_slurmdbd_user_rpc_calls_total",
                        "RPCs slurmdbd served per user (sacctmgr show stats)", {"user"},
                        user_calls));
  out.push_back(counter("slurm_slurmdbd_user_rpc_duration_seconds_total",
                        "Time slurmdbd spent serving RPCs per user (sacctmgr show stats)", {"user"},
                        user_time));
  return out;
}

}  // namespace slurm_exporter::collectors
