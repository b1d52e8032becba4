// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "slurm_exporter/collectors/jobs.hpp"
#include "slurm_exporter/collectors/jobs_finished.hpp"
#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/backend.hpp"

namespace slurm_exporter::scrape {

/// The exposition text of one poll, shared by every scrape that serves it.
using Text = std::shared_ptr<const std::string>;

/// Tracks failure streaks so each collector logs its error once per streak, and recovery once.
class FailureLog {
 public:
  /// Logs at error on the first failure of a streak, at debug on repeats and when `quiet`
  /// (a collector skipped because an earlier one found slurmctld unreachable).
  void failed(const std::string& collector, const std::string& error, bool quiet = false);
  /// Logs at info when a streak ends.
  void succeeded(const std::string& collector);

 private:
  std::vector<std::string> failing_;
};

/// What one poll produced.
struct PollResult {
  std::string text;       ///< text format 0.0.4
  bool slurm_up = false;  ///< slurmctld answered at least one load
  bool reloaded = false;  ///< some load brought new data (not a SLURM_NO_CHANGE_IN_DATA poll)
};

/// What poll_once keeps between polls so that data slurmctld reports unchanged is neither
/// converted, collected nor rendered again: the rendered text of the node-based collectors and
/// the job families (whose pending ages are brought up to date from the oldest pending job of
/// each partition). Owned by one poller thread.
struct PollCache {
  bool nodes_valid = false;  ///< nodes_text is what the node load last produced
  std::string nodes_text;
  bool jobs_valid = false;  ///< job_families, oldest_pending are what the job load produced
  std::vector<metrics::Family> job_families;  ///< after the family filter
  std::vector<slurm::Job> oldest_pending;     ///< the jobs the pending ages can come from
  /// The pending-wait histogram's input, to recompute it at each poll's "now".
  collectors::PendingWaits pending_waits;
  /// The nodes of the latest node load, for the reservations collector when the nodes are
  /// unchanged (kept only while that collector is on; only name, state and CPUs are set).
  std::vector<slurm::Node> reservation_nodes;
};

/// Says whether a family is dropped from the output (-metrics.exclude); empty drops nothing.
using FamilyFilter = std::function<bool(const std::string& family_name)>;

/// Runs one poll of the `enabled` collectors: loads nodes (once, if any of nodes, node,
/// node_reason is on) and jobs (if jobs is on) from `backend`, turns them into families,
/// appends the exporter's own families and renders text format 0.0.4. A disabled collector
/// doesn't run and has no collector_success series. Never throws for Slurm errors: a failed
/// load gives collector_success 0 for every collector that needed it and, if every load
/// failed, slurm_up 0. Once slurmctld is found unreachable, the remaining loads are skipped.
/// Families for which `drop` returns true are left out of the text. `waits` carries the
/// started-job wait histogram from poll to poll (nullptr: a fresh one for this poll). With a
/// `cache` (kept by the caller across polls with the same backend, `enabled` and `drop`), a load
/// that the backend reports unchanged reuses the previous poll's work: the text is the same as
/// without. `finished` carries the finished-jobs counter from poll to poll likewise (nullptr:
/// a fresh one, whose first load counts nothing).
PollResult poll_once(slurm::Backend& backend, FailureLog& failures,
                     const collectors::EnabledCollectors& enabled = {},
                     const FamilyFilter& drop = {}, collectors::StartedJobWaits* waits = nullptr,
                     PollCache* cache = nullptr, collectors::FinishedJobs* finished = nullptr);

/// Sets glibc malloc up for the poller's pattern (call once, from main, before any thread):
/// a big poll allocates and frees ~100 MB (a 50,000-job libslurm message) on the poller
/// thread. glibc's dynamic trim threshold rises to twice the largest freed mmap'd block (up to
/// 64 MiB), and malloc_trim() never shrinks the top of a thread's arena, so that memory would
/// stay resident between polls (measured: 67 MiB steady instead of 14 MiB at 10,000 nodes /
/// 50,000 jobs). A fixed 1 MiB trim threshold gives it back as it is freed.
void configure_malloc_for_polls();

/// Owns the backend on its own thread (every Slurm call happens there) and caches the rendered
/// text. A request gets the cached text while it is younger than `poll_limit`; otherwise one
/// poll runs and every request that arrives meanwhile waits for that same poll. While the
/// latest poll found slurmctld down, requests get that answer (slurm_up 0) at once and the
/// next poll runs in the background: libslurm retries a dead controller for MessageTimeout
/// seconds, which would otherwise hold every scrape up to Prometheus' scrape timeout.
class Poller {
 public:
  /// Makes the backend on the poller's thread (libslurm wants one thread).
  using BackendFactory = std::function<std::unique_ptr<slurm::Backend>()>;

  /// Starts the thread and creates the backend there; rethrows the factory's exception.
  /// Every poll runs the `enabled` collectors and leaves out the families `drop` names.
  Poller(BackendFactory factory, std::chrono::milliseconds poll_limit,
         collectors::EnabledCollectors enabled = {}, FamilyFilter drop = {});
  /// Stops the thread after the poll in flight, if any. Pending requests are dropped.
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Calls `done` with the text, on the caller's thread when cached, else on the poller's
  /// thread after the poll. Never blocks.
  void get(std::function<void(Text)> done);

  /// Number of polls run so far (for tests).
  std::size_t polls() const;

 private:
  void run(BackendFactory factory, std::exception_ptr& init_error, bool& init_done);

  const std::chrono::milliseconds poll_limit_;
  const collectors::EnabledCollectors enabled_;
  const FamilyFilter drop_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Text cached_;
  bool cached_up_ = false;
  std::chrono::steady_clock::time_point cached_at_;
  std::vector<std::function<void(Text)>> waiters_;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  std::size_t polls_ = 0;
  std::unique_ptr<slurm::Backend> backend_;
  collectors::StartedJobWaits waits_;  // poller thread only
  collectors::FinishedJobs finished_;  // poller thread only
  PollCache cache_;                    // the poller thread's only
  std::thread thread_;
};

}  // namespace slurm_exporter::scrape
