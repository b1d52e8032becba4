// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "slurm_exporter/collectors/registry.hpp"
#include "slurm_exporter/scrape/clock.hpp"
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
  bool reloaded = false;  ///< the node or job load brought new data (not SLURM_NO_CHANGE_IN_DATA)
};

/// Says whether a family is dropped from the output (-metrics.exclude); empty drops nothing.
using FamilyFilter = std::function<bool(const std::string& family_name)>;

/// Changes the families of a collector before they are rendered (--metrics.aggregate-users);
/// empty changes nothing.
using FamilyTransform = std::function<void(std::vector<metrics::Family>& families)>;

/// The enabled rows of the collector table and what they keep between polls (their rendered
/// text and the generations it was made from, stateful collectors' state, the failure streaks,
/// the parse-error counts). Used by one thread.
class Collection {
 public:
  /// `drop` leaves families out of the text; `clock` gives "now" and the durations.
  explicit Collection(const collectors::EnabledCollectors& enabled = {}, FamilyFilter drop = {},
                      const Clock& clock = system_clock(), FamilyTransform transform = {});
  ~Collection();
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  /// One poll: each enabled row in table order, each load it needs run at most once (the
  /// first row that needs it pays for it), each row in its own try/catch. A row's text is
  /// reused while the generations of its loads are unchanged and it does not use "now". Once
  /// slurmctld is found unreachable the remaining loads are skipped (their collectors fail
  /// quietly). Then the exporter's own families. Never throws for Slurm errors. Use one
  /// backend per Collection. Never throws at all: any exception (a backend's, a collector's,
  /// the family filter's) makes a failed poll, slurm_up 0 and the exporter's own families
  /// (failed_poll), logged at error once per streak of such polls.
  PollResult poll(slurm::Backend& backend);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The answer of a poll that threw: slurm_up 0 and the exporter's own families, filtered by
/// `drop` unless the filter throws too.
PollResult failed_poll(const slurm::Backend& backend, const FamilyFilter& drop);

/// The text of the exception being handled (call inside a catch block).
std::string current_exception_text();

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
         collectors::EnabledCollectors enabled = {}, FamilyFilter drop = {},
         const Clock& clock = system_clock(), FamilyTransform transform = {});
  /// Stops the thread after the poll in flight, if any (stop() without a deadline). Pending
  /// requests are dropped.
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Calls `done` with the text, on the caller's thread when cached, else on the poller's
  /// thread after the poll. Never blocks.
  void get(std::function<void(Text)> done);

  /// Asks the thread to stop and waits up to `deadline` for it (the poll in flight ends
  /// first). True when it stopped (joined); false when a Slurm call still holds it: a libslurm
  /// RPC to a dead slurmctld cannot be cancelled, so the caller gives up on it (main exits
  /// without destroying the Poller, the thread blocked in its syscall). Call from one thread.
  bool stop(std::chrono::milliseconds deadline = std::chrono::milliseconds::max());

  /// Number of polls run so far (for tests).
  std::size_t polls() const;

 private:
  void run(BackendFactory factory, std::exception_ptr& init_error, bool& init_done);
  /// Calls `done`; an exception from it is logged (once at error), never propagated.
  void deliver(const std::function<void(Text)>& done, Text text);

  const std::chrono::milliseconds poll_limit_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Text cached_;
  bool cached_up_ = false;
  std::chrono::steady_clock::time_point cached_at_;
  std::vector<std::function<void(Text)>> waiters_;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  bool stopped_ = false;  // run() returned
  std::size_t polls_ = 0;
  std::atomic<bool> callback_failed_{false};
  std::unique_ptr<slurm::Backend> backend_;
  Collection collection_;  // the poller thread's only
  std::thread thread_;
};

}  // namespace slurm_exporter::scrape
