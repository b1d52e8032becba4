// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::collectors::detail {

/// Label values → value, kept sorted so the rendered output is deterministic.
using SampleMap = std::map<std::vector<std::string>, double>;

/// A gauge family from a sample map.
inline metrics::Family gauge(std::string name, std::string help,
                             std::vector<std::string> label_names, const SampleMap& samples) {
  metrics::Family f{
      std::move(name), std::move(help), metrics::Type::kGauge, std::move(label_names), {}};
  f.samples.reserve(samples.size());
  for (const auto& [labels, value] : samples) f.samples.push_back({labels, value});
  return f;
}

/// A gauge family with one unlabelled sample.
inline metrics::Family gauge(std::string name, std::string help, double value) {
  return {std::move(name), std::move(help), metrics::Type::kGauge, {}, {{{}, value}}};
}

/// Marks a rivosinc-compatible gauge whose name ends in `_total` or `_count` as untyped: the
/// name must stay for existing dashboards, and Prometheus' lint (promtool check metrics) only
/// reserves those suffixes for counters, histograms and summaries when a type is declared.
inline metrics::Family legacy_untyped(metrics::Family f) {
  f.type = metrics::Type::kUntyped;
  return f;
}

}  // namespace slurm_exporter::collectors::detail
