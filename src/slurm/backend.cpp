// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/slurm/backend.hpp"

#include <string>

namespace slurm_exporter::slurm {

std::string_view load_name(LoadKind kind) {
  switch (kind) {
    case LoadKind::ping:
      return "ping";
    case LoadKind::nodes:
      return "nodes";
    case LoadKind::jobs:
      return "jobs";
    case LoadKind::sdiag:
      return "sdiag";
    case LoadKind::licenses:
      return "licenses";
    case LoadKind::reservations:
      return "reservations";
    case LoadKind::shares:
      return "shares";
    case LoadKind::assoc_mgr:
      return "assoc_mgr";
    case LoadKind::dbd_stats:
      return "dbd_stats";
    case LoadKind::config:
      return "config";
  }
  return "?";
}

std::span<const std::string> parse_errors(const LoadData& data) {
  if (const auto* n = std::get_if<NodeData>(&data)) return n->parse_errors;
  if (const auto* j = std::get_if<JobData>(&data)) return j->parse_errors;
  if (const auto* s = std::get_if<ShareData>(&data)) return s->parse_errors;
  if (const auto* a = std::get_if<AccountingState>(&data)) return a->parse_errors;
  if (const auto* d = std::get_if<DbdStats>(&data)) return d->parse_errors;
  return {};
}

Loaded Backend::load(LoadKind kind, std::uint64_t known) {
  Slot& slot = slots_[static_cast<std::size_t>(kind)];
  // Without a copy here, "unchanged" helps only a caller that holds the current generation.
  const bool full = slot.generation == 0 || (!slot.data && known != slot.generation);
  std::optional<LoadData> fresh;
  try {
    fresh = fetch(kind, full);
  } catch (...) {
    // Never leave a generation nobody converted: the next load starts afresh.
    slot.data.reset();
    slot.generation = 0;
    throw;
  }
  if (fresh) {
    slot.data = std::make_shared<const LoadData>(std::move(*fresh));
    slot.generation = next_generation_++;
  }
  Loaded out{slot.data, slot.generation};
  if (!slot.keep) slot.data.reset();
  return out;
}

void Backend::keep(LoadKind kind, bool keep) {
  Slot& slot = slots_[static_cast<std::size_t>(kind)];
  slot.keep = keep;
  if (!keep) slot.data.reset();
}

void Backend::unsupported(LoadKind kind) const {
  throw BackendError(std::string(name()) + " backend: " + std::string(load_name(kind)) +
                     " is not supported");
}

}  // namespace slurm_exporter::slurm
