// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/scheduler.hpp"

#include <string>
#include <utility>

#include "slurm_exporter/collectors/detail/sample_map.hpp"

namespace slurm_exporter::collectors {
using detail::gauge;
using detail::legacy_untyped;
using detail::SampleMap;

namespace {

constexpr double kMicro = 1e-6;

metrics::Family counter(std::string name, std::string help, double value) {
  return {std::move(name), std::move(help), metrics::Type::kCounter, {}, {{{}, value}}};
}

metrics::Family counter(std::string name, std::string help, std::string label,
                        const SampleMap& samples) {
  metrics::Family f = gauge(std::move(name), std::move(help), {std::move(label)}, samples);
  f.type = metrics::Type::kCounter;
  return f;
}

double d(std::uint64_t v) { return static_cast<double>(v); }

// Main scheduler gauges and job counters (sdiag), in output order.
void add_main_scheduler(std::vector<metrics::Family>& out, const slurm::SchedulerStats& s) {
  const auto g = [&](const char* name, const char* help, double v) {
    out.push_back(gauge(name, help, v));
  };
  const auto c = [&](const char* name, const char* help, double v) {
    out.push_back(counter(name, help, v));
  };
  g("slurm_scheduler_threads", "slurmctld server threads (sdiag Server thread count)",
    d(s.server_thread_count));
  g("slurm_scheduler_agent_queue_size",
    "RPCs queued for slurmctld's agents (sdiag Agent queue size)", d(s.agent_queue_size));
  g("slurm_scheduler_agents", "slurmctld agents (sdiag Agent count)", d(s.agent_count));
  g("slurm_scheduler_agent_threads", "Threads of slurmctld's agents (sdiag Agent thread count)",
    d(s.agent_thread_count));
  g("slurm_scheduler_dbd_agent_queue_size",
    "Messages queued for slurmdbd; grows while slurmdbd is down or slow (sdiag DBD Agent queue "
    "size)",
    d(s.dbd_agent_queue_size));
  g("slurm_scheduler_last_cycle_seconds", "Duration of the main scheduler's last cycle (sdiag)",
    d(s.schedule_cycle_last_us) * kMicro);
  g("slurm_scheduler_max_cycle_seconds", "Longest main scheduler cycle (sdiag Max cycle)",
    d(s.schedule_cycle_max_us) * kMicro);
  g("slurm_scheduler_mean_cycle_seconds",
    "Mean main scheduler cycle, 0 before the first (sdiag Mean cycle)",
    d(s.schedule_cycle_mean_us) * kMicro);
  g("slurm_scheduler_mean_depth", "Mean jobs looked at per main scheduler cycle (sdiag)",
    d(s.schedule_cycle_mean_depth));
  g("slurm_scheduler_last_queue_length",
    "Jobs pending at the main scheduler's last cycle (sdiag Last queue length)",
    d(s.schedule_queue_len));
  c("slurm_scheduler_cycles_total", "Main scheduler cycles (sdiag Total cycles)",
    d(s.schedule_cycle_counter));
  c("slurm_scheduler_jobs_submitted_total", "Jobs submitted (sdiag Jobs submitted)",
    d(s.jobs_submitted));
  c("slurm_scheduler_jobs_started_total", "Jobs started (sdiag Jobs started)", d(s.jobs_started));
  c("slurm_scheduler_jobs_completed_total", "Jobs completed (sdiag Jobs completed)",
    d(s.jobs_completed));
  c("slurm_scheduler_jobs_canceled_total", "Jobs canceled (sdiag Jobs canceled)",
    d(s.jobs_canceled));
  c("slurm_scheduler_jobs_failed_total", "Jobs failed (sdiag Jobs failed)", d(s.jobs_failed));
}

// Backfill gauges, rivosinc's backfill names and the backfill counters.
void add_backfill(std::vector<metrics::Family>& out, const slurm::SchedulerStats& s) {
  const auto g = [&](const char* name, const char* help, double v) {
    out.push_back(gauge(name, help, v));
  };
  const auto c = [&](const char* name, const char* help, double v) {
    out.push_back(counter(name, help, v));
  };
  g("slurm_backfill_active", "1 while a backfill cycle runs (sdiag Backfilling stats WARNING)",
    s.bf_active ? 1 : 0);
  g("slurm_backfill_last_cycle_seconds", "Duration of the last backfill cycle (sdiag)",
    d(s.bf_cycle_last_us) * kMicro);
  g("slurm_backfill_max_cycle_seconds", "Longest backfill cycle (sdiag Max cycle)",
    d(s.bf_cycle_max_us) * kMicro);
  g("slurm_backfill_mean_cycle_seconds", "Mean backfill cycle, 0 before the first (sdiag)",
    d(s.bf_cycle_mean_us) * kMicro);
  g("slurm_backfill_last_depth",
    "Jobs looked at in the last backfill cycle (sdiag Last depth cycle)", d(s.bf_last_depth));
  g("slurm_backfill_last_depth_tried",
    "Jobs the last backfill cycle tried to start (sdiag Last depth cycle (try sched))",
    d(s.bf_last_depth_try));
  g("slurm_backfill_mean_depth", "Mean jobs looked at per backfill cycle (sdiag Depth Mean)",
    d(s.bf_depth_mean));
  g("slurm_backfill_queue_length", "Jobs pending at the last backfill cycle (sdiag)",
    d(s.bf_queue_len));
  g("slurm_backfill_table_size", "Time slots of the last backfill cycle (sdiag Last table size)",
    d(s.bf_table_size));
  g("slurm_backfill_last_cycle_timestamp_seconds",
    "When the last backfill cycle ran, unix seconds; 0 before the first (sdiag Last cycle when)",
    static_cast<double>(s.bf_when_last_cycle));
  // rivosinc's names (its diags collector, 1.6.7+). Those ending in _count/_counter are
  // declared untyped, as the other inherited names are, so promtool accepts the text.
  const auto u = [&](const char* name, const char* help, double v) {
    out.push_back(legacy_untyped(gauge(name, help, v)));
  };
  u("slurm_backfill_job_count",
    "Jobs started by backfill since slurmctld started (rivosinc name; sdiag Total backfilled "
    "jobs)",
    d(s.bf_backfilled_jobs));
  u("slurm_backfill_cycle_count",
    "Sum of backfill cycle times in microseconds since the last reset (rivosinc name, sdiag "
    "bf_cycle_sum; rivosinc's help calls it a cycle count)",
    d(s.bf_cycle_sum_us));
  u("slurm_backfill_cycle_counter", "Backfill cycles since the last reset (rivosinc name)",
    d(s.bf_cycle_counter));
  g("slurm_backfill_last_depth_try_sched",
    "Jobs the last backfill cycle tried to start (rivosinc name; sdiag Last depth cycle (try "
    "sched))",
    d(s.bf_last_depth_try));
  c("slurm_backfill_cycles_total", "Backfill cycles (sdiag Total cycles)", d(s.bf_cycle_counter));
  c("slurm_backfilled_jobs_total",
    "Jobs started by backfill (sdiag Total backfilled jobs since last slurm start)",
    d(s.bf_backfilled_jobs));
  c("slurm_backfilled_heterogeneous_jobs_total",
    "Heterogeneous job components started by backfill (sdiag)", d(s.bf_backfilled_het_jobs));
}

// RPC tables by message type and by user, then rivosinc's diags names.
void add_rpc_tables(std::vector<metrics::Family>& out, const slurm::SchedulerStats& s) {
  SampleMap type_calls, type_time, user_calls, user_time, type_avg_us, type_time_us, user_time_us;
  for (const auto& r : s.rpc_types) {
    type_calls[{r.name}] += d(r.count);
    type_time[{r.name}] += d(r.total_time_us) * kMicro;
    type_time_us[{r.name}] += d(r.total_time_us);
    type_avg_us[{r.name}] = r.count ? d(r.total_time_us / r.count) : 0;
  }
  for (const auto& r : s.rpc_users) {
    user_calls[{r.name}] += d(r.count);
    user_time[{r.name}] += d(r.total_time_us) * kMicro;
    user_time_us[{r.name}] += d(r.total_time_us);
  }
  out.push_back(counter("slurm_rpc_calls_total",
                        "RPCs slurmctld handled, by message type as sdiag names it", "type",
                        type_calls));
  out.push_back(counter("slurm_rpc_duration_seconds_total",
                        "Time slurmctld spent handling RPCs, by message type (sdiag total_time)",
                        "type", type_time));
  out.push_back(counter("slurm_rpc_user_calls_total", "RPCs slurmctld handled, by user (sdiag)",
                        "user", user_calls));
  out.push_back(counter("slurm_rpc_user_duration_seconds_total",
                        "Time slurmctld spent handling RPCs, by user (sdiag total_time)", "user",
                        user_time));

  // The rivosinc exporter's names (-slurm.collect-diags), for existing dashboards.
  out.push_back(legacy_untyped(gauge("slurm_daemon_thread_count",
                                     "slurmctld server threads (rivosinc name; sdiag)",
                                     d(s.server_thread_count))));
  out.push_back(gauge("slurm_dbd_agent_queue_size",
                      "Messages queued for slurmdbd (rivosinc name; sdiag DBD Agent queue size)",
                      d(s.dbd_agent_queue_size)));
  out.push_back(legacy_untyped(gauge("slurm_rpc_msg_type_count",
                                     "RPC count per message type (rivosinc name; sdiag)", {"type"},
                                     type_calls)));
  out.push_back(gauge("slurm_rpc_msg_type_avg_time",
                      "Average RPC time per message type, microseconds (rivosinc name; sdiag "
                      "ave_time)",
                      {"type"}, type_avg_us));
  out.push_back(gauge("slurm_rpc_msg_type_total_time",
                      "Total RPC time per message type, microseconds (rivosinc name; sdiag "
                      "total_time)",
                      {"type"}, type_time_us));
  out.push_back(legacy_untyped(gauge(
      "slurm_rpc_user_count", "RPC count per user (rivosinc name; sdiag)", {"user"}, user_calls)));
  out.push_back(gauge("slurm_rpc_user_total_time",
                      "Total RPC time per user, microseconds (rivosinc name; sdiag total_time)",
                      {"user"}, user_time_us));
}

}  // namespace

std::vector<metrics::Family> collect_scheduler(const slurm::SchedulerStats& s) {
  std::vector<metrics::Family> out;
  out.reserve(48);
  add_main_scheduler(out, s);
  add_backfill(out, s);
  add_rpc_tables(out, s);
  return out;
}

}  // namespace slurm_exporter::collectors
