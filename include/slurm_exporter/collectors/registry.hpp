// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"
#include "slurm_exporter/slurm/backend.hpp"

namespace slurm_exporter::collectors {

/// A set of loads (a bit per slurm::LoadKind).
class LoadSet {
 public:
  constexpr LoadSet() = default;
  constexpr LoadSet(std::initializer_list<slurm::LoadKind> kinds) {
    for (auto k : kinds) bits_ |= bit(k);
  }
  constexpr bool has(slurm::LoadKind k) const { return (bits_ & bit(k)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }

 private:
  static constexpr std::uint32_t bit(slurm::LoadKind k) {
    return std::uint32_t{1} << static_cast<unsigned>(k);
  }
  std::uint32_t bits_ = 0;
};

/// The data of one poll a collector reads: only the loads its row declares (reading another
/// one throws std::logic_error, a bug in the table).
class Inputs {
 public:
  /// Makes `kind` readable (null `data`: not readable).
  void set(slurm::LoadKind kind, const slurm::LoadData* data);

  const slurm::ControllerStatus& ping() const;
  const slurm::NodeData& nodes() const;
  const slurm::JobData& jobs() const;
  const slurm::SchedulerStats& sdiag() const;
  const slurm::Licenses& licenses() const;
  const slurm::Reservations& reservations() const;
  const slurm::ShareData& shares() const;
  const slurm::AccountingState& assoc_mgr() const;
  const slurm::DbdStats& dbd_stats() const;
  const slurm::SlurmConfig& config() const;

 private:
  template <typename T>
  const T& get(slurm::LoadKind kind) const;
  std::array<const slurm::LoadData*, slurm::kLoadKinds> data_{};
};

/// What a collector made of one poll.
struct Collected {
  Collected() = default;
  Collected(std::vector<metrics::Family> f) : families(std::move(f)) {}  // NOLINT: implicit
  std::vector<metrics::Family> families;
  /// Non-empty: the collector failed (success 0, logged once per streak), yet its families
  /// are served (the controllers collector: a controller that does not answer is the news).
  std::string failure;
  /// The failure is one other collectors' errors explain better (munge down looks like a
  /// controller down to a ping): logged at debug while other collectors run.
  bool failure_secondary = false;
};

/// A stateful collector: what it keeps from poll to poll (e.g. which started jobs it has
/// already observed). The poller owns one per enabled row and calls it on its thread only.
class CollectorState {
 public:
  virtual ~CollectorState() = default;
  /// Takes in a new generation of the row's loads: called when any of them changed (and at
  /// the first poll), never with unchanged data. `now` is unix seconds.
  virtual void update(const Inputs& in, std::int64_t now) = 0;
  /// The families at `now` (unix seconds), from what update() kept; needs no Slurm data.
  virtual std::vector<metrics::Family> collect(std::int64_t now) const = 0;
};

/// One row of the collector table. A collector is one or more rows with the same `name` (the
/// first one carries its documentation); --collector.<name> switches all of them, and
/// slurm_exporter_collector_success/duration_seconds report them together.
struct Collector {
  std::string_view name;      ///< --collector.<name>; the `collector` label
  bool default_on = true;     ///< on unless --no-collector.<name>
  std::string_view alias;     ///< a rivosinc flag that switches it too ("" for none)
  std::string_view help;      ///< one line for --help (first row of a name)
  std::string_view families;  ///< the README's "families" cell, Markdown (first row of a name)
  LoadSet loads;              ///< the loads it reads (each runs at most once per poll)
  /// Its output depends on "now": rendered at every poll. Otherwise its text is reused while
  /// the generations of its loads are unchanged.
  bool uses_now = false;
  /// A stateless collector: pure, `now` in unix seconds. Throws on a bug or bad data (the
  /// collector then fails alone).
  Collected (*collect)(const Inputs& in, std::int64_t now) = nullptr;
  /// A stateful one (instead of `collect`): makes its state once.
  std::unique_ptr<CollectorState> (*make_state)() = nullptr;
};

/// The collector table, in the order they run (controllers first: when it finds slurmctld
/// unreachable, the other loads of the poll are skipped).
std::span<const Collector> collector_table();

/// The collector names in table order, each once.
std::vector<std::string_view> collector_name_list();

/// "controllers, nodes, node, …": the known names, for error messages and usage.
std::string collector_names();

/// Which collectors run; by default those whose first row says default_on.
class EnabledCollectors {
 public:
  EnabledCollectors();
  /// Switches collector `name`; false (nothing changed) for an unknown name.
  bool set(std::string_view name, bool on);
  /// Whether collector `name` runs (false for an unknown name).
  bool enabled(std::string_view name) const;
  /// Every collector off (tests: then switch on the ones wanted).
  static EnabledCollectors none();

 private:
  std::vector<std::string_view> on_;
};

/// The README's collector table (Markdown), generated from the table; a unit test checks that
/// README.md holds exactly this between its `collector-table` markers.
std::string collectors_markdown();

}  // namespace slurm_exporter::collectors
