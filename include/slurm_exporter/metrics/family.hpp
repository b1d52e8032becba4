#pragma once

#include <string>
#include <vector>

namespace slurm_exporter::metrics {

/// Prometheus metric type, as written on the # TYPE line.
enum class Type { kGauge, kCounter, kUntyped };

/// One sample: label values in the order of the family's label names.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0.0;
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
