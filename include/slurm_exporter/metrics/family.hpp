// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slurm_exporter::metrics {

/// Prometheus metric type, as written on the # TYPE line.
enum class Type { kGauge, kCounter, kUntyped, kHistogram };

/// One sample: label values in the order of the family's label names.
struct Sample {
  Sample() = default;
  Sample(std::vector<std::string> labels, double v, std::string_view series_suffix = {},
         std::string bucket_le = {})
      : label_values(std::move(labels)),
        value(v),
        suffix(series_suffix),
        le(std::move(bucket_le)) {}

  std::vector<std::string> label_values;
  double value = 0.0;
  /// Histograms: "_bucket", "_sum" or "_count", appended to the family name (a string
  /// literal); empty for other types.
  std::string_view suffix;
  /// Histogram buckets: the upper bound, written as a last `le` label ("+Inf" for the last).
  std::string le;
};

/// A metric family: name, help, type, label names and samples. Plain data; the exposition
/// writer renders it. Samples are written in the order given.
struct Family {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<std::string> label_names;
  std::vector<Sample> samples;
};

}  // namespace slurm_exporter::metrics
