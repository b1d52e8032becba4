// SPDX-License-Identifier: GPL-2.0-or-later
// Reads text 0.0.4 on stdin and writes its OpenMetrics form (tests feed it to a reference
// OpenMetrics parser).
#include <iostream>
#include <iterator>
#include <string>

#include "slurm_exporter/metrics/openmetrics.hpp"

int main() {
  const std::string text((std::istreambuf_iterator<char>(std::cin)),
                         std::istreambuf_iterator<char>());
  std::cout << slurm_exporter::metrics::to_openmetrics(text);
  return 0;
}
