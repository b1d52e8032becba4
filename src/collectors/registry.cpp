// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/collectors/registry.hpp"

namespace slurm_exporter::collectors {

bool* EnabledCollectors::find(std::string_view name) {
  if (name == "nodes") return &nodes;
  if (name == "node") return &node;
  if (name == "node_reason") return &node_reason;
  if (name == "jobs") return &jobs;
  if (name == "controllers") return &controllers;
  if (name == "scheduler") return &scheduler;
  if (name == "licenses") return &licenses;
  if (name == "reservations") return &reservations;
  return nullptr;
}

bool EnabledCollectors::enabled(std::string_view name) const {
  EnabledCollectors copy = *this;
  const bool* b = copy.find(name);
  return b != nullptr && *b;
}

std::string collector_names() {
  std::string out;
  for (const auto& c : kCollectors) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

}  // namespace slurm_exporter::collectors
