// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/scrape/poller.hpp"

#include <malloc.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "slurm_exporter/collectors/controllers.hpp"
#include "slurm_exporter/collectors/detail/partitions.hpp"
#include "slurm_exporter/collectors/exporter.hpp"
#include "slurm_exporter/collectors/jobs.hpp"
#include "slurm_exporter/collectors/licenses.hpp"
#include "slurm_exporter/collectors/node.hpp"
#include "slurm_exporter/collectors/nodes.hpp"
#include "slurm_exporter/collectors/reservations.hpp"
#include "slurm_exporter/collectors/scheduler.hpp"
#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/log.hpp"
#include "slurm_exporter/metrics/exposition.hpp"

namespace slurm_exporter::scrape {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs one collector: the load and the conversion to families. A failure is reported in its
// status and the families it would have produced are left out, never stale ones.
// `unreachable` carries a failure to contact slurmctld from one collector to the next, so a
// dead controller costs one connection timeout per poll, not one per collector.
template <typename Load, typename Collect>
collectors::CollectorStatus run_collector(const std::string& name, Load load, Collect collect,
                                          std::vector<metrics::Family>& out, double& load_ms,
                                          FailureLog& failures, std::string& unreachable) {
  collectors::CollectorStatus status{name, false, 0.0};
  if (!unreachable.empty()) {
    failures.failed(name, "skipped: " + unreachable, /*quiet=*/true);
    return status;
  }
  const auto start = Clock::now();
  try {
    auto data = load();
    load_ms = seconds_since(start) * 1000.0;
    auto families = collect(data);
    std::move(families.begin(), families.end(), std::back_inserter(out));
    status.success = true;
    failures.succeeded(name);
  } catch (const BackendError& e) {
    load_ms = seconds_since(start) * 1000.0;
    if (e.unreachable()) unreachable = e.what();
    failures.failed(name, e.what());
  } catch (const std::exception& e) {
    load_ms = seconds_since(start) * 1000.0;
    failures.failed(name, e.what());
  }
  status.duration_seconds = seconds_since(start);
  return status;
}

constexpr std::string_view kOldestPendingFamily = "slurm_partition_oldest_pending_job_seconds";

// The pending jobs the oldest-pending ages can come from at a later "now", so an unchanged poll
// can let collect_jobs compute them anew: those eligible some time (eligible_time > 0) with a
// submit time, in order of eligibility, each kept only when it was submitted before every job
// of one of its partitions that became eligible no later (usually a handful of jobs).
std::vector<slurm::Job> oldest_pending_candidates(const std::vector<slurm::Job>& jobs) {
  std::vector<const slurm::Job*> pending;
  for (const auto& j : jobs) {
    if (j.state == "PENDING" && j.submit_time > 0 && j.eligible_time > 0) pending.push_back(&j);
  }
  std::sort(pending.begin(), pending.end(), [](const slurm::Job* a, const slurm::Job* b) {
    return std::pair(a->eligible_time, a->submit_time) <
           std::pair(b->eligible_time, b->submit_time);
  });
  std::unordered_map<std::string, std::int64_t> earliest_submit;
  std::vector<slurm::Job> out;
  for (const slurm::Job* j : pending) {
    bool keep = false;
    collectors::detail::for_each_partition(j->partition, [&](std::string_view p) {
      auto [it, added] = earliest_submit.try_emplace(std::string(p), j->submit_time);
      if (added || j->submit_time < it->second) {
        it->second = j->submit_time;
        keep = true;
      }
    });
    if (keep) out.push_back(*j);
  }
  return out;
}

// Sets the oldest-pending ages in `families` to what collect_jobs gives at `now`; partitions
// without a pending job with a submit time keep their 0.
void refresh_pending_ages(std::vector<metrics::Family>& families,
                          const std::vector<slurm::Job>& oldest, std::int64_t now) {
  auto cached = std::find_if(families.begin(), families.end(),
                             [](const auto& f) { return f.name == kOldestPendingFamily; });
  if (cached == families.end() || oldest.empty()) return;
  const auto fresh_families = collectors::collect_jobs(oldest, now);
  const auto fresh = std::find_if(fresh_families.begin(), fresh_families.end(),
                                  [](const auto& f) { return f.name == kOldestPendingFamily; });
  if (fresh == fresh_families.end()) return;
  for (auto& sample : cached->samples) {
    for (const auto& f : fresh->samples) {
      if (f.label_values == sample.label_values) sample.value = f.value;
    }
  }
}

// The controllers collector: pings every SlurmctldHost. It succeeds when one answered; its
// families are served either way (a controller that doesn't answer is the news). When none
// answered and the backend says they are unreachable (connection refused, timeout), the loads
// after it are skipped; otherwise (e.g. munge down, which a ping can't tell apart) they run and
// their errors say why, so this failure is logged at error only when not `quiet`.
collectors::CollectorStatus run_controllers(slurm::Backend& backend,
                                            std::vector<metrics::Family>& out, FailureLog& failures,
                                            std::string& unreachable, bool quiet) {
  collectors::CollectorStatus status{"controllers", false, 0.0};
  const auto start = Clock::now();
  try {
    const slurm::ControllerStatus ctl = backend.ping_controllers();
    auto families = collectors::collect_controllers(ctl);
    std::move(families.begin(), families.end(), std::back_inserter(out));
    status.success = std::any_of(ctl.controllers.begin(), ctl.controllers.end(),
                                 [](const slurm::Controller& c) { return c.up; });
    if (status.success) {
      failures.succeeded(status.name);
    } else {
      std::string error = "no SlurmctldHost answered a ping";
      if (!ctl.error.empty()) error += " (" + ctl.error + ")";
      if (ctl.unreachable) {
        // A dead or frozen controller: skip the loads below, which would wait for it too.
        unreachable = error;
        failures.failed(status.name, error);
      } else {
        failures.failed(status.name, error, quiet);
      }
    }
  } catch (const BackendError& e) {
    if (e.unreachable()) unreachable = e.what();
    failures.failed(status.name, e.what());
  } catch (const std::exception& e) {
    failures.failed(status.name, e.what());
  }
  status.duration_seconds = seconds_since(start);
  return status;
}

// The scheduler, licenses and reservations collectors, each with its own RPC or command.
void run_controller_side(slurm::Backend& backend, const collectors::EnabledCollectors& enabled,
                         const std::vector<slurm::Node>* reservation_nodes,
                         std::vector<metrics::Family>& families, collectors::ExporterStatus& status,
                         FailureLog& failures, std::string& unreachable) {
  double ignored_ms = 0;
  if (enabled.scheduler) {
    status.collectors.push_back(run_collector(
        "scheduler", [&] { return backend.load_scheduler_stats(); },
        [](const slurm::SchedulerStats& s) { return collectors::collect_scheduler(s); }, families,
        ignored_ms, failures, unreachable));
  }
  if (enabled.licenses) {
    status.collectors.push_back(run_collector(
        "licenses", [&] { return backend.load_licenses(); },
        [](const std::vector<slurm::License>& l) { return collectors::collect_licenses(l); },
        families, ignored_ms, failures, unreachable));
  }
  if (enabled.reservations) {
    status.collectors.push_back(run_collector(
        "reservations",
        [&] {
          // The reserved nodes' states: from this poll's node load, else a load of our own.
          std::pair<std::vector<slurm::Reservation>, std::vector<slurm::Node>> data;
          data.first = backend.load_reservations();
          if (!reservation_nodes) data.second = backend.load_nodes().nodes;
          return data;
        },
        [&](const auto& data) {
          const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
          return collectors::collect_reservations(
              data.first, reservation_nodes ? *reservation_nodes : data.second,
              static_cast<std::int64_t>(now));
        },
        families, ignored_ms, failures, unreachable));
  }
}

}  // namespace

void FailureLog::failed(const std::string& collector, const std::string& error, bool quiet) {
  if (quiet || std::find(failing_.begin(), failing_.end(), collector) != failing_.end()) {
    if (std::find(failing_.begin(), failing_.end(), collector) == failing_.end()) {
      failing_.push_back(collector);
    }
    log::debug("collector still failing", {{"collector", collector}, {"err", error}});
    return;
  }
  failing_.push_back(collector);
  log::error("collector failed", {{"collector", collector}, {"err", error}});
}

void FailureLog::succeeded(const std::string& collector) {
  const auto it = std::find(failing_.begin(), failing_.end(), collector);
  if (it == failing_.end()) return;
  failing_.erase(it);
  log::info("collector recovered", {{"collector", collector}});
}

PollResult poll_once(slurm::Backend& backend, FailureLog& failures,
                     const collectors::EnabledCollectors& enabled, const FamilyFilter& drop,
                     collectors::StartedJobWaits* waits, PollCache* cache,
                     collectors::FinishedJobs* finished) {
  collectors::StartedJobWaits this_poll_only;
  if (!waits) waits = &this_poll_only;
  collectors::FinishedJobs finished_this_poll_only;
  if (!finished) finished = &finished_this_poll_only;
  collectors::ExporterStatus status;
  status.backend = std::string(backend.name());
  status.slurm_version = backend.slurm_version();
  std::string unreachable;
  PollResult result;
  std::vector<metrics::Family> families;  // the controller-side collectors
  const auto drop_filtered = [&](std::vector<metrics::Family>& fams) {
    if (drop) {
      std::erase_if(fams, [&](const metrics::Family& f) { return drop(f.name); });
    }
  };
  // Rendered per load, in the order node collectors, jobs, the exporter's own families.
  std::string node_text;
  bool node_from_cache = false;  // unchanged nodes: cache->nodes_text instead of node_text
  std::string job_text;

  if (enabled.controllers) {
    // First: a controller outage is reported even when a load below hangs.
    const bool others = enabled.nodes || enabled.node || enabled.node_reason || enabled.jobs ||
                        enabled.scheduler || enabled.licenses || enabled.reservations;
    status.collectors.push_back(
        run_controllers(backend, families, failures, unreachable, /*quiet=*/others));
  }
  // The reserved nodes' states come from this poll's node load (or, unchanged, the previous
  // one's): only name, state and CPUs of each node, kept in the cache or for this poll only.
  std::vector<slurm::Node> poll_reservation_nodes;
  const std::vector<slurm::Node>* reservation_nodes = nullptr;

  // The node-based collectors share one load per poll; a failed load fails each of them.
  using NodeCollect = std::vector<metrics::Family> (*)(const slurm::NodeData&);
  struct NodeCollector {
    const char* name;
    bool on;
    NodeCollect collect;
  };
  const NodeCollector node_collectors[] = {
      {"nodes", enabled.nodes, &collectors::collect_nodes},
      {"node", enabled.node, &collectors::collect_node},
      {"node_reason", enabled.node_reason, &collectors::collect_node_reasons},
  };
  std::vector<const NodeCollector*> on;
  for (const auto& c : node_collectors) {
    if (c.on) on.push_back(&c);
  }
  if (!on.empty()) {
    const auto start = Clock::now();
    std::string error;
    std::optional<slurm::NodeData> data;
    const bool reuse = cache && cache->nodes_valid;
    if (cache) cache->nodes_valid = false;
    // Skipped when an earlier collector found slurmctld unreachable (already logged).
    const bool skipped = !unreachable.empty();
    try {
      if (skipped) throw BackendError("skipped: " + unreachable, true);
      if (reuse) {
        data = backend.load_nodes_if_changed();
      } else {
        data = backend.load_nodes();
      }
    } catch (const BackendError& e) {
      if (e.unreachable()) unreachable = e.what();
      error = e.what();
    } catch (const std::exception& e) {
      error = e.what();
    }
    const double load_seconds = seconds_since(start);
    status.node_load_ms = load_seconds * 1000.0;
    if (error.empty() && enabled.reservations) {
      // Unchanged nodes: the reservations collector gets the nodes of the load that made them.
      if (data) {
        // Only what the reservations collector reads (name, state, CPUs): 10,000 full nodes
        // would be megabytes kept between polls.
        std::vector<slurm::Node>& slim = cache ? cache->reservation_nodes : poll_reservation_nodes;
        slim.assign(data->nodes.size(), {});
        for (std::size_t i = 0; i < data->nodes.size(); ++i) {
          const slurm::Node& n = data->nodes[i];
          slurm::Node& kept = slim[i];
          kept.name = n.name;
          kept.state = n.state;
          kept.alloc_cpus = n.alloc_cpus;
          kept.cpus = n.cpus;
        }
        reservation_nodes = &slim;
      } else {
        reservation_nodes = &cache->reservation_nodes;
      }
    }
    std::vector<metrics::Family> node_families;
    bool all_ok = true;
    for (std::size_t i = 0; i < on.size(); ++i) {
      collectors::CollectorStatus c{on[i]->name, false, load_seconds};
      if (!error.empty()) {
        // One error line per failed load, not one per collector.
        failures.failed(c.name, error, /*quiet=*/i > 0 || skipped);
      } else if (!data) {
        c.success = true;  // unchanged: the cached text of the previous, successful poll
        failures.succeeded(c.name);
      } else {
        const auto collect_start = Clock::now();
        try {
          auto fams = on[i]->collect(*data);
          std::move(fams.begin(), fams.end(), std::back_inserter(node_families));
          c.success = true;
          failures.succeeded(c.name);
        } catch (const std::exception& e) {
          failures.failed(c.name, e.what());
        }
        c.duration_seconds += seconds_since(collect_start);
      }
      all_ok = all_ok && c.success;
      status.collectors.push_back(std::move(c));
    }
    if (error.empty() && !data) {
      node_from_cache = true;
      cache->nodes_valid = true;
    } else {
      result.reloaded = result.reloaded || error.empty();
      drop_filtered(node_families);
      metrics::write_text(node_families, node_text);
      if (cache && error.empty() && all_ok) {
        cache->nodes_text = node_text;
        cache->nodes_valid = true;
      }
    }
  }
  if (enabled.jobs) {
    collectors::CollectorStatus c{"jobs", false, 0.0};
    const bool reuse = cache && cache->jobs_valid;
    if (cache) cache->jobs_valid = false;
    const auto start = Clock::now();
    if (!unreachable.empty()) {
      failures.failed(c.name, "skipped: " + unreachable, /*quiet=*/true);
    } else {
      try {
        std::optional<std::vector<slurm::Job>> jobs;
        if (cache) {
          // Also without a valid cache: the backend then keeps no copy of the jobs between
          // polls. "Unchanged" is no use without the previous families: load them all.
          jobs = backend.load_jobs_if_changed();
          if (!jobs && !reuse) jobs = backend.load_jobs();
        } else {
          jobs = backend.load_jobs();
        }
        status.job_load_ms = seconds_since(start) * 1000.0;
        // "now" for the job ages: once per poll, right after the load.
        const auto now =
            static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
        std::vector<metrics::Family> job_families;
        if (!jobs) {
          // Unchanged: the previous families, with the pending ages and the pending-wait
          // histogram computed anew at this poll's "now" from what the cache kept of the queue.
          job_families = cache->job_families;
          refresh_pending_ages(job_families, cache->oldest_pending, now);
          for (auto& f : job_families) {
            if (f.name == collectors::kPendingWaitFamily) f = cache->pending_waits.family(now);
          }
        } else {
          result.reloaded = true;
          job_families = collectors::collect_jobs(*jobs, now);
          waits->update(*jobs);
          finished->update(*jobs);
          drop_filtered(job_families);
          if (cache) {
            cache->job_families = job_families;
            cache->oldest_pending = oldest_pending_candidates(*jobs);
            cache->pending_waits = collectors::PendingWaits(*jobs);
          }
        }
        // The started-job histogram and the finished-jobs counter change only with the jobs;
        // they are never cached with them.
        job_families.push_back(waits->family());
        job_families.push_back(finished->family());
        drop_filtered(job_families);
        metrics::write_text(job_families, job_text);
        c.success = true;
        if (cache) cache->jobs_valid = true;
        failures.succeeded(c.name);
      } catch (const BackendError& e) {
        status.job_load_ms = seconds_since(start) * 1000.0;
        if (e.unreachable()) unreachable = e.what();
        failures.failed(c.name, e.what());
      } catch (const std::exception& e) {
        status.job_load_ms = seconds_since(start) * 1000.0;
        failures.failed(c.name, e.what());
      }
    }
    c.duration_seconds = seconds_since(start);
    status.collectors.push_back(std::move(c));
  }

  run_controller_side(backend, enabled, reservation_nodes, families, status, failures, unreachable);

  status.slurm_up = std::any_of(status.collectors.begin(), status.collectors.end(),
                                [](const auto& c) { return c.success; });
  auto own = collectors::collect_exporter(status);
  drop_filtered(own);

  result.slurm_up = status.slurm_up;
  const std::string& nodes_part = node_from_cache ? cache->nodes_text : node_text;
  result.text.reserve(nodes_part.size() + job_text.size() + 16 * 1024);
  result.text.append(nodes_part).append(job_text);
  // The controller-side collectors' families (controllers, scheduler, licenses, reservations).
  drop_filtered(families);
  metrics::write_text(families, result.text);
  metrics::write_text(own, result.text);
  return result;
}

void configure_malloc_for_polls() { mallopt(M_TRIM_THRESHOLD, 1024 * 1024); }

Poller::Poller(BackendFactory factory, std::chrono::milliseconds poll_limit,
               collectors::EnabledCollectors enabled, FamilyFilter drop)
    : poll_limit_(poll_limit), enabled_(enabled), drop_(std::move(drop)) {
  std::exception_ptr init_error;
  bool init_done = false;
  thread_ = std::thread([this, f = std::move(factory), &init_error, &init_done]() mutable {
    run(std::move(f), init_error, init_done);
  });
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return init_done; });
  if (init_error) {
    lock.unlock();
    thread_.join();
    std::rethrow_exception(init_error);
  }
}

Poller::~Poller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::get(std::function<void(Text)> done) {
  std::unique_lock lock(mutex_);
  const bool fresh = cached_ && Clock::now() - cached_at_ < poll_limit_;
  if (fresh || (cached_ && !cached_up_)) {
    Text text = cached_;
    const bool start_refresh = !fresh && !refresh_requested_;
    if (start_refresh) refresh_requested_ = true;
    lock.unlock();
    if (start_refresh) cv_.notify_all();
    done(std::move(text));
    return;
  }
  waiters_.push_back(std::move(done));
  if (!refresh_requested_) {
    refresh_requested_ = true;
    lock.unlock();
    cv_.notify_all();
  }
}

std::size_t Poller::polls() const {
  std::lock_guard lock(mutex_);
  return polls_;
}

void Poller::run(BackendFactory factory, std::exception_ptr& init_error, bool& init_done) {
  try {
    backend_ = factory();
  } catch (...) {
    std::lock_guard lock(mutex_);
    init_error = std::current_exception();
    init_done = true;
    cv_.notify_all();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    init_done = true;
  }
  cv_.notify_all();

  FailureLog failures;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || refresh_requested_; });
      if (stopping_) break;
    }
    const auto started = Clock::now();
    PollResult result =
        poll_once(*backend_, failures, enabled_, drop_, &waits_, &cache_, &finished_);
    // A big answer (50,000 jobs: ~100 MB of libslurm message and conversion) leaves freed
    // heap behind; give it back to the system instead of keeping the peak as RSS.
    if (result.reloaded) malloc_trim(0);
    auto text = std::make_shared<const std::string>(std::move(result.text));
    std::vector<std::function<void(Text)>> waiters;
    {
      std::lock_guard lock(mutex_);
      cached_ = text;
      cached_up_ = result.slurm_up;
      // The data is as old as the start of the poll that fetched it.
      cached_at_ = started;
      ++polls_;
      refresh_requested_ = false;
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) w(text);
  }
  backend_.reset();
}

}  // namespace slurm_exporter::scrape
