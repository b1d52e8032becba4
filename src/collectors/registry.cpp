// SPDX-License-Identifier: GPL-2.0-or-later
// The collector table: one row per collector (or per part of one). Adding a collector is a
// file with its collect function (or state class) and one row here.
#include "slurm_exporter/collectors/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "slurm_exporter/collectors/accounting.hpp"
#include "slurm_exporter/collectors/controllers.hpp"
#include "slurm_exporter/collectors/features.hpp"
#include "slurm_exporter/collectors/jobs.hpp"
#include "slurm_exporter/collectors/jobs_finished.hpp"
#include "slurm_exporter/collectors/licenses.hpp"
#include "slurm_exporter/collectors/node.hpp"
#include "slurm_exporter/collectors/nodes.hpp"
#include "slurm_exporter/collectors/private_data.hpp"
#include "slurm_exporter/collectors/process.hpp"
#include "slurm_exporter/collectors/reservations.hpp"
#include "slurm_exporter/collectors/scheduler.hpp"
#include "slurm_exporter/collectors/trace.hpp"
#include "slurm_exporter/collectors/vpenso.hpp"

namespace slurm_exporter::collectors {
namespace {

using slurm::LoadKind;

template <typename State>
std::unique_ptr<CollectorState> make() {
  return std::make_unique<State>();
}

// A ping that no controller answered fails the collector, but its families (every controller
// down) are served.
Collected collect_ping(const Inputs& in, std::int64_t /*now*/) {
  const slurm::ControllerStatus& ctl = in.ping();
  Collected out(collect_controllers(ctl));
  const bool any_up = std::any_of(ctl.controllers.begin(), ctl.controllers.end(),
                                  [](const slurm::Controller& c) { return c.up; });
  if (!any_up) {
    out.failure = "no SlurmctldHost answered a ping";
    if (!ctl.error.empty()) out.failure += " (" + ctl.error + ")";
    out.failure_secondary = !ctl.unreachable;
  }
  return out;
}

// Rows name only the fields that differ from Collector's defaults; GCC's
// -Wmissing-field-initializers would flag every default left out of a designated initializer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const Collector kTable[] = {
    {.name = "controllers",
     .help = "slurm_controller_up/_ping_seconds per SlurmctldHost, "
             "slurm_exporter_on_active_controller",
     .families = "`slurm_controller_up`, `slurm_controller_ping_seconds`, "
                 "`slurm_exporter_on_active_controller` (one `slurm_ping` per SlurmctldHost; "
                 "CLI: `scontrol ping`)",
     .loads = {LoadKind::ping},
     .collect = collect_ping},
    {.name = "nodes",
     .help = "cluster and partition families from the node load, slurm_nodes{state}",
     .families =
         "the cluster and partition families of the node and partition load (`slurm_cpus_*`, "
         "`slurm_mem_*`, `slurm_partition_*`, …), `slurm_nodes`, `slurm_nodes_flagged`, the "
         "partition settings (`slurm_partition_info`, `_nodes`, `_cpus`, `_max_time_seconds`), "
         "the GPU families `slurm_gpus`, `slurm_gpus_allocated`, `slurm_partition_gpus`, "
         "`slurm_partition_gpus_allocated`, the GRES families `slurm_gres`, "
         "`slurm_gres_allocated`, `slurm_partition_gres`, `slurm_partition_gres_allocated`",
     .loads = {LoadKind::nodes},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_nodes(in.nodes());
     }},
    {.name = "node",
     .default_on = false,
     .help = "per-node families slurm_node_* (one series per node: opt-in)",
     .families = "per-node families `slurm_node_*`, `slurm_node_gpus`, "
                 "`slurm_node_gpus_allocated`, `slurm_node_gres`, `slurm_node_gres_allocated` "
                 "(one series per node and family: opt in on large clusters)",
     .loads = {LoadKind::nodes},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_node(in.nodes());
     }},
    {.name = "node_reason",
     .help = "slurm_node_reason_info / _timestamp_seconds of nodes with a reason",
     .families = "`slurm_node_reason_info`, `slurm_node_reason_timestamp_seconds` (only nodes "
                 "with a reason)",
     .loads = {LoadKind::nodes},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_node_reasons(in.nodes());
     }},
    {.name = "jobs",
     .help = "job families from the job load",
     .families = "the job families (`slurm_jobs_*`, `slurm_user_*`, `slurm_account_*`, …), "
                 "rivosinc's `slurm_feature_*`, "
                 "`slurm_jobs{state}`, `slurm_jobs_finished_total`, `slurm_partition_jobs`, the "
                 "pending pressure per "
                 "partition (incl. `slurm_partition_pending_gpus`), GPUs held per user and "
                 "account, and the wait-time histograms `slurm_pending_job_wait_seconds`, "
                 "`slurm_job_wait_seconds`",
     .loads = {LoadKind::jobs},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_jobs(in.jobs().jobs);
     }},
    // The job families that depend on "now", from a small summary of the queue.
    {.name = "jobs", .loads = {LoadKind::jobs}, .uses_now = true, .make_state = make<PendingAges>},
    {.name = "jobs", .loads = {LoadKind::jobs}, .make_state = make<StartedJobWaits>},
    {.name = "jobs", .loads = {LoadKind::jobs}, .make_state = make<FinishedJobs>},
    // rivosinc's slurm_feature_* (when the backend knows the features: JobData::features_known).
    {.name = "jobs",
     .loads = {LoadKind::jobs},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_features(in.jobs());
     }},
    {.name = "trace",
     .default_on = false,
     .help = "job tracing: samples POSTed to -trace.path by the job agent, for jobs Slurm knows "
             "(on with -trace.enabled)",
     .families = "rivosinc's job tracing, for traced jobs Slurm lists: `slurm_job_mem_alloc`, "
                 "`slurm_job_cpu_alloc`, `slurm_proc_pid`, `slurm_proc_cpu_usage`, "
                 "`slurm_proc_mem_usage`, `slurm_proc_threadcount`, `slurm_proc_write_bytes`, "
                 "`slurm_proc_read_bytes` (see Job tracing)",
     .loads = {LoadKind::jobs},
     .uses_now = true,
     .collect = collect_trace_row},
    {.name = "scheduler",
     .alias = "slurm.collect-diags",
     .help = "scheduler and RPC statistics (sdiag): slurm_scheduler_*, slurm_rpc_*",
     .families = "scheduler and RPC statistics: `slurm_scheduler_*`, `slurm_backfill_*`, "
                 "`slurm_rpc_*` and rivosinc's diag names (one `slurm_get_statistics`; CLI: "
                 "`sdiag`)",
     .loads = {LoadKind::sdiag},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_scheduler(in.sdiag());
     }},
    {.name = "licenses",
     .alias = "slurm.collect-licenses",
     .help = "slurm_license_* per license (scontrol show licenses)",
     .families = "`slurm_license_*` and rivosinc's `slurm_lic_*` (one `slurm_load_licenses`; "
                 "CLI: `scontrol show licenses -o`)",
     .loads = {LoadKind::licenses},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_licenses(in.licenses());
     }},
    {.name = "reservations",
     .help = "slurm_reservation_* per reservation (scontrol show reservation)",
     .families = "`slurm_reservation_*` (one `slurm_load_reservations` plus the node load; "
                 "CLI: `scontrol show reservation -o`)",
     .loads = {LoadKind::reservations, LoadKind::nodes},
     .uses_now = true,
     .collect = [](const Inputs& in, std::int64_t now) -> Collected {
       return collect_reservations(in.reservations(), in.nodes().nodes, now);
     }},
    {.name = "fairshare",
     .help = "fairshare per account (sshare): slurm_fairshare_account_*, slurm_account_fairshare",
     .families =
         "`slurm_fairshare_account_*` (raw/normalized shares and usage, effective usage, "
         "level FS) and rivosinc's `slurm_account_fairshare` per account with its "
         "`slurm_fairshare_scrape_duration`, `_scrape_error`, `_collect_error` (libslurm: the "
         "association manager's shares, the one `slurm_load_assoc_mgr_info` per poll that "
         "`limits` and `qos` read too; CLI: `sshare -a "
         "-n -P -o …`); needs accounting",
     .loads = {LoadKind::shares},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_fairshare(in.shares(), false);
     }},
    {.name = "fairshare_users",
     .default_on = false,
     .help = "fairshare per user association: slurm_fairshare_user_* (one series per user)",
     .families = "`slurm_fairshare_user_*` {account, user}: sshare's numbers and the fairshare "
                 "factor of every user association (one series per association and family)",
     .loads = {LoadKind::shares},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_fairshare(in.shares(), true);
     }},
    {.name = "limits",
     .alias = "slurm.collect-limits",
     .help = "account limits and their use (assoc_mgr): slurm_assoc_*, rivosinc's limit names",
     .families = "`slurm_assoc_*` {account}: GrpTRES/GrpJobs/GrpSubmit/MaxJobs/MaxSubmit/MaxWall "
                 "limits and what running and pending jobs use of them, and rivosinc's "
                 "`slurm_account_{cpu,mem,job_alloc,job}_limit`, `slurm_limit_scrape_duration`, "
                 "`slurm_account_scrape_error`, `slurm_account_collect_error` (one "
                 "`slurm_load_assoc_mgr_info`; CLI: `scontrol show assoc_mgr flags=assoc,qos`)",
     .loads = {LoadKind::assoc_mgr},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       const auto& a = in.assoc_mgr();
       if (a.associations.empty()) note_no_associations();
       LimitCounters c{a.load_seconds * 1000, a.failed_loads, a.parse_errors.size()};
       return collect_limits(a, false, c);
     }},
    {.name = "limits_users",
     .default_on = false,
     .help = "user association limits and their use: slurm_user_assoc_* (one series per user)",
     .families = "`slurm_user_assoc_*` {account, user, partition}: the same per user "
                 "association, plus the user's own jobs against MaxJobs/MaxSubmit",
     .loads = {LoadKind::assoc_mgr},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_limits(in.assoc_mgr(), true, std::nullopt);
     }},
    {.name = "qos",
     .help = "QOS limits, use and priority: slurm_qos_*",
     .families = "`slurm_qos_*` {qos}: priority, raw usage, GrpTRES/GrpJobs/GrpSubmit limits and "
                 "use, MaxWall (the same `slurm_load_assoc_mgr_info` as `limits`)",
     .loads = {LoadKind::assoc_mgr},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_qos(in.assoc_mgr());
     }},
    {.name = "slurmdbd",
     .default_on = false,
     .help = "slurmdbd health: slurm_slurmdbd_up, rollups, RPCs (asks slurmdbd every poll)",
     .families = "`slurm_slurmdbd_up`, `slurm_slurmdbd_rollup_*`, `slurm_slurmdbd_rpc_*`, "
                 "`slurm_slurmdbd_user_rpc_*` (one `slurmdb_get_stats` RPC to slurmdbd; CLI: "
                 "`sacctmgr show stats`)",
     .loads = {LoadKind::dbd_stats},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       const auto& d = in.dbd_stats();
       Collected out(collect_slurmdbd(d));
       if (!d.error.empty()) out.failure = "slurmdbd: " + d.error;
       return out;
     }},
    {.name = "vpenso",
     .default_on = false,
     .help = "vpenso's names: slurm_nodes_*, slurm_queue_*, slurm_cpus_alloc/_other, "
             "slurm_gpus_*, slurm_node_cpu_*/_mem_* (also --compat=vpenso)",
     .families = "vpenso's families (`slurm_nodes_alloc`, …, `slurm_queue_pending`, …, "
                 "`slurm_cpus_alloc`, `slurm_cpus_other`, `slurm_gpus_alloc`, …, "
                 "`slurm_node_cpu_alloc`, …, `slurm_node_mem_total` per node, "
                 "`slurm_partition_cpus_allocated`, …, `slurm_partition_jobs_pending`, "
                 "`slurm_user_jobs_pending`, …, `slurm_account_cpus_running`, …) from the node "
                 "and job loads; `--compat=vpenso` turns it on",
     .loads = {LoadKind::nodes, LoadKind::jobs},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_vpenso(in.nodes(), in.jobs());
     }},
    {.name = "vpenso",
     .loads = {LoadKind::sdiag},
     .collect = [](const Inputs& in, std::int64_t) -> Collected {
       return collect_vpenso_scheduler(in.sdiag());
     }},
    {.name = "private_data",
     .help = "slurm_exporter_private_data{kind}: slurmctld's PrivateData, warned about",
     .families = "`slurm_exporter_private_data{kind}` (one `slurm_load_ctl_conf`; CLI: "
                 "`scontrol show config`); logs a warning when PrivateData hides jobs from the "
                 "exporter's user or exposes them on a port without a password",
     .loads = {LoadKind::config},
     .make_state = make<PrivateDataState>},
    // No Slurm load: the exporter's own process, read from /proc at every poll.
    {.name = "process",
     .help = "process_* of the exporter itself (CPU, memory, file descriptors, start time)",
     .families = "`process_cpu_seconds_total`, `process_resident_memory_bytes`, "
                 "`process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`, "
                 "`process_start_time_seconds` (from `/proc/self`, as client_golang defines "
                 "them)",
     .uses_now = true,
     .collect = [](const Inputs&, std::int64_t) -> Collected {
       return process_families(read_process_stats());
     }},
};
#pragma GCC diagnostic pop

}  // namespace

void Inputs::set(slurm::LoadKind kind, const slurm::LoadData* data) {
  data_[static_cast<std::size_t>(kind)] = data;
}

template <typename T>
const T& Inputs::get(slurm::LoadKind kind) const {
  const slurm::LoadData* d = data_[static_cast<std::size_t>(kind)];
  if (!d) {
    throw std::logic_error(
        fmt::format("collector read the {} load, which its row does not "
                    "declare",
                    slurm::load_name(kind)));
  }
  return std::get<T>(*d);
}

const slurm::ControllerStatus& Inputs::ping() const {
  return get<slurm::ControllerStatus>(LoadKind::ping);
}
const slurm::NodeData& Inputs::nodes() const { return get<slurm::NodeData>(LoadKind::nodes); }
const slurm::JobData& Inputs::jobs() const { return get<slurm::JobData>(LoadKind::jobs); }
const slurm::SchedulerStats& Inputs::sdiag() const {
  return get<slurm::SchedulerStats>(LoadKind::sdiag);
}
const slurm::Licenses& Inputs::licenses() const { return get<slurm::Licenses>(LoadKind::licenses); }
const slurm::SlurmConfig& Inputs::config() const {
  return get<slurm::SlurmConfig>(LoadKind::config);
}
const slurm::Reservations& Inputs::reservations() const {
  return get<slurm::Reservations>(LoadKind::reservations);
}
const slurm::ShareData& Inputs::shares() const { return get<slurm::ShareData>(LoadKind::shares); }
const slurm::AccountingState& Inputs::assoc_mgr() const {
  return get<slurm::AccountingState>(LoadKind::assoc_mgr);
}
const slurm::DbdStats& Inputs::dbd_stats() const {
  return get<slurm::DbdStats>(LoadKind::dbd_stats);
}

std::span<const Collector> collector_table() { return kTable; }

std::vector<std::string_view> collector_name_list() {
  std::vector<std::string_view> names;
  for (const auto& c : kTable) {
    if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  }
  return names;
}

std::string collector_names() { return fmt::format("{}", fmt::join(collector_name_list(), ", ")); }

EnabledCollectors::EnabledCollectors() {
  for (const auto name : collector_name_list()) {
    const auto first = std::find_if(std::begin(kTable), std::end(kTable),
                                    [&](const Collector& c) { return c.name == name; });
    if (first->default_on) on_.push_back(name);
  }
}

EnabledCollectors EnabledCollectors::none() {
  EnabledCollectors e;
  e.on_.clear();
  return e;
}

bool EnabledCollectors::set(std::string_view name, bool on) {
  const auto names = collector_name_list();
  const auto known = std::find(names.begin(), names.end(), name);
  if (known == names.end()) return false;
  std::erase(on_, *known);
  if (on) on_.push_back(*known);
  return true;
}

bool EnabledCollectors::enabled(std::string_view name) const {
  return std::find(on_.begin(), on_.end(), name) != on_.end();
}

std::string collectors_markdown() {
  std::string out = "| collector | default | families |\n| --- | --- | --- |\n";
  for (const auto name : collector_name_list()) {
    const auto& c = *std::find_if(std::begin(kTable), std::end(kTable),
                                  [&](const Collector& r) { return r.name == name; });
    out += fmt::format("| `{}` | {} | {} |\n", c.name, c.default_on ? "on" : "**off**", c.families);
  }
  return out;
}

}  // namespace slurm_exporter::collectors
