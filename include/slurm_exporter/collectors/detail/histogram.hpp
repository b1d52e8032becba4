// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "slurm_exporter/metrics/exposition.hpp"
#include "slurm_exporter/metrics/family.hpp"

namespace slurm_exporter::collectors::detail {

/// Observations per label set with fixed upper bounds (+Inf implied), rendered as a Prometheus
/// histogram: cumulative `_bucket{le}`, `_sum` and `_count`. Label sets sorted.
class Histograms {
 public:
  explicit Histograms(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()) {}

  /// Adds `weight` observations of `value` for `labels`.
  void observe(const std::vector<std::string>& labels, double value, double weight = 1) {
    Counts& c = series(labels);
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    c.buckets[i] += weight;
    c.sum += value * weight;
    c.count += weight;
  }

  /// Makes sure `labels` has a series (all zero until observed).
  void touch(const std::vector<std::string>& labels) { series(labels); }

  /// The family; `type` kHistogram. Every label set gets every bucket.
  metrics::Family family(std::string name, std::string help,
                         std::vector<std::string> label_names) const {
    metrics::Family f{
        std::move(name), std::move(help), metrics::Type::kHistogram, std::move(label_names), {}};
    f.samples.reserve(by_labels_.size() * (bounds_.size() + 3));
    for (const auto& [labels, c] : by_labels_) {
      double cumulative = 0;
      for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += c.buckets[i];
        f.samples.push_back({labels, cumulative, "_bucket",
                             i < bounds_.size() ? metrics::format_value(bounds_[i]) : "+Inf"});
      }
      f.samples.push_back({labels, c.sum, "_sum", {}});
      f.samples.push_back({labels, c.count, "_count", {}});
    }
    return f;
  }

 private:
  struct Counts {
    std::vector<double> buckets;  // per bound, +Inf last; not cumulative
    double sum = 0;
    double count = 0;
  };
  Counts& series(const std::vector<std::string>& labels) {
    auto [it, added] = by_labels_.try_emplace(labels);
    if (added) it->second.buckets.assign(bounds_.size() + 1, 0);
    return it->second;
  }

  std::vector<double> bounds_;
  std::map<std::vector<std::string>, Counts> by_labels_;
};

}  // namespace slurm_exporter::collectors::detail
