// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "slurm_exporter/errors.hpp"
#include "slurm_exporter/slurm/accounting.hpp"
#include "slurm_exporter/slurm/controller.hpp"
#include "slurm_exporter/slurm/snapshot.hpp"

namespace slurm_exporter::slurm {

/// One kind of Slurm data a collector can need; each is one RPC (or command set) per poll.
/// `nodes` is the nodes with their partitions (a node's partitions need both messages).
/// `config` is the controller's configuration (PrivateData). `shares`, `assoc_mgr` and
/// `dbd_stats` need accounting (slurmdbd): sshare's numbers, the association manager's
/// associations and QOS with their usage, slurmdbd's statistics.
enum class LoadKind : std::uint8_t {
  ping,
  nodes,
  jobs,
  sdiag,
  licenses,
  reservations,
  config,
  shares,
  assoc_mgr,
  dbd_stats
};
inline constexpr std::size_t kLoadKinds = 10;
inline constexpr std::array<LoadKind, kLoadKinds> kAllLoads{
    LoadKind::ping,      LoadKind::nodes,        LoadKind::jobs,   LoadKind::sdiag,
    LoadKind::licenses,  LoadKind::reservations, LoadKind::config, LoadKind::shares,
    LoadKind::assoc_mgr, LoadKind::dbd_stats};

/// "ping", "nodes", "jobs", "sdiag", "licenses", "reservations", "config", "shares",
/// "assoc_mgr", "dbd_stats" (docs and log lines).
std::string_view load_name(LoadKind kind);

using Licenses = std::vector<License>;
using Reservations = std::vector<Reservation>;
/// The data of one load; the alternative matches the LoadKind (ping: ControllerStatus, nodes:
/// NodeData, jobs: JobData, sdiag: SchedulerStats, licenses, reservations, config: SlurmConfig,
/// shares: ShareData, assoc_mgr: AccountingState, dbd_stats: DbdStats).
using LoadData = std::variant<ControllerStatus, NodeData, JobData, SchedulerStats, Licenses,
                              Reservations, SlurmConfig, ShareData, AccountingState, DbdStats>;

/// The parse_errors entries of a load (NodeData, JobData, ShareData, AccountingState,
/// DbdStats; empty for the other kinds).
std::span<const std::string> parse_errors(const LoadData& data);

/// What load() returns: the data and its generation.
struct Loaded {
  /// The data; null only when `generation` is the `known` generation the caller passed and the
  /// backend keeps no copy of it (see Backend::keep).
  std::shared_ptr<const LoadData> data;
  /// Changes whenever the data may have changed (a new number per converted answer; the same
  /// number while slurmctld reports SLURM_NO_CHANGE_IN_DATA). Never 0. Unique across kinds.
  std::uint64_t generation = 0;
};

/// A source of Slurm state: libslurm RPCs or the Slurm commands' output. It is the one cache of
/// Slurm data: load() hands out the data and its generation, the backend decides (through
/// fetch) whether Slurm's answer is new. Not thread-safe: the poller calls it from one thread.
class Backend {
 public:
  virtual ~Backend() = default;

  /// "libslurm" or "cli" (the build_info `backend` label).
  virtual std::string_view name() const = 0;

  /// Version of the Slurm the backend talks to, e.g. "22.05.8".
  virtual std::string slurm_version() const = 0;

  /// Abandons what can be abandoned of a load running in another thread, for a shutdown: the
  /// cli backend kills its running commands (the load throws BackendError "… cancelled") and
  /// starts none afterwards. Final: there is no un-cancel. Thread-safe and async-signal-safe
  /// (the only member that is). Default: nothing (a libslurm RPC cannot be interrupted).
  virtual void cancel() noexcept {}

  /// A new poll starts: a backend that answers two kinds from one Slurm call (the libslurm
  /// backend: shares and assoc_mgr from one slurm_load_assoc_mgr_info) makes that call once per
  /// poll and forgets its answer here. Default: nothing.
  virtual void begin_poll() {}

  /// Loads `kind`. `known` is the generation the caller already holds what it needs of (0:
  /// none): when Slurm reports the data unchanged since then, the data may be left out (null)
  /// unless this kind is kept (keep()). Otherwise the data is always there, loaded in full if
  /// need be. Throws BackendError (unreachable() when slurmctld cannot be contacted) or
  /// ParseError; after a failure the next load converts afresh.
  Loaded load(LoadKind kind, std::uint64_t known = 0);

  /// Whether the converted data of `kind` stays in the backend between loads (default: no):
  /// needed when a caller wants the data of every poll, changed or not (e.g. a collector that
  /// depends on "now"). Not keeping 50,000 converted jobs keeps the steady memory small.
  void keep(LoadKind kind, bool keep);

 protected:
  /// Fetches `kind` from Slurm and converts it. With `full` false the backend may return
  /// nullopt when Slurm reports nothing changed since its previous successful fetch of `kind`
  /// (libslurm's last_update); with `full` true it always returns the data. The default for
  /// the controller-side kinds throws BackendError ("not supported"). Throws BackendError,
  /// ParseError.
  virtual std::optional<LoadData> fetch(LoadKind kind, bool full) = 0;

  /// BackendError text for a kind this backend cannot load.
  [[noreturn]] void unsupported(LoadKind kind) const;

 private:
  struct Slot {
    std::shared_ptr<const LoadData> data;  // kept copy (keep) or null
    std::uint64_t generation = 0;          // 0: nothing loaded yet, or the last load failed
    bool keep = false;
  };
  std::array<Slot, kLoadKinds> slots_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace slurm_exporter::slurm
