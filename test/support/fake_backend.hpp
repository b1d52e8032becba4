// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/backend.hpp"

namespace test_support {

/// A Backend whose answers the test sets, per load kind: a kind without data is "not
/// supported" (BackendError). With `change_detection` it answers like libslurm's last_update:
/// a fetch that is not `full` gets nullopt until the test calls changed(kind). Counts its
/// fetches; fields the test sets while a Poller thread runs are atomics.
class FakeBackend : public slurm_exporter::slurm::Backend {
 public:
  using LoadKind = slurm_exporter::slurm::LoadKind;
  using LoadData = slurm_exporter::slurm::LoadData;

  FakeBackend() {
    slurm_exporter::slurm::Node n;
    n.name = "n1";
    n.state_name = "idle";
    n.cpus = 4;
    n.idle_cpus = 4;
    nodes.nodes.push_back(n);
    set(LoadKind::nodes, nodes);
    set(LoadKind::jobs, jobs);
  }

  /// What loads of `kind` return from now on (counts as a change).
  void set(LoadKind kind, LoadData data) {
    data_[i(kind)] = std::move(data);
    changed(kind);
  }
  /// Says the data of `kind` changed (for change_detection).
  void changed(LoadKind kind) { ++version_[i(kind)]; }
  /// Loads of `kind` throw BackendError(`error`, unreachable) while `error` is non-empty.
  void fail(LoadKind kind, std::string error, bool unreachable = false) {
    error_[i(kind)] = std::move(error);
    unreachable_[i(kind)] = unreachable;
  }
  /// What loads of `kind` return (set() first).
  const LoadData& data(LoadKind kind) const { return *data_[i(kind)]; }
  int fetches(LoadKind kind) const { return fetches_[i(kind)]; }
  int full_fetches(LoadKind kind) const { return full_fetches_[i(kind)]; }

  std::string_view name() const override { return "fake"; }
  std::string slurm_version() const override { return "22.05.8"; }

  slurm_exporter::slurm::NodeData nodes;  ///< the default node data (one idle node)
  slurm_exporter::slurm::JobData jobs;    ///< the default job data (none)
  bool change_detection = false;
  std::thread::id last_thread;      ///< the thread of the latest fetch
  std::function<void()> on_fetch;   ///< runs at each fetch (e.g. to block it)
  std::function<void()> on_cancel;  ///< runs at cancel() (from another thread)

  void cancel() noexcept override {
    if (on_cancel) on_cancel();
  }

 protected:
  std::optional<LoadData> fetch(LoadKind kind, bool full) override {
    last_thread = std::this_thread::get_id();
    ++fetches_[i(kind)];
    if (full) ++full_fetches_[i(kind)];
    if (on_fetch) on_fetch();
    if (!error_[i(kind)].empty()) {
      throw slurm_exporter::BackendError(error_[i(kind)], unreachable_[i(kind)]);
    }
    if (!data_[i(kind)]) unsupported(kind);
    if (change_detection && !full && seen_[i(kind)] == version_[i(kind)]) return std::nullopt;
    seen_[i(kind)] = version_[i(kind)];
    return data_[i(kind)];
  }

 private:
  static std::size_t i(LoadKind kind) { return static_cast<std::size_t>(kind); }
  static constexpr std::size_t kN = slurm_exporter::slurm::kLoadKinds;
  std::array<std::optional<LoadData>, kN> data_;
  std::array<int, kN> version_{}, seen_{};
  std::array<std::string, kN> error_;
  std::array<bool, kN> unreachable_{};
  std::array<std::atomic<int>, kN> fetches_{}, full_fetches_{};
};

}  // namespace test_support
