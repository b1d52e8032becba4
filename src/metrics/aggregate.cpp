// SPDX-License-Identifier: GPL-2.0-or-later
#include "slurm_exporter/metrics/aggregate.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

namespace slurm_exporter::metrics {

void aggregate_away(std::vector<Family>& families, std::initializer_list<std::string_view> labels) {
  for (Family& f : families) {
    std::vector<bool> keep(f.label_names.size(), true);
    bool any = false;
    for (std::size_t i = 0; i < f.label_names.size(); ++i) {
      if (std::find(labels.begin(), labels.end(), f.label_names[i]) != labels.end()) {
        keep[i] = false;
        any = true;
      }
    }
    if (!any) continue;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < f.label_names.size(); ++i) {
      if (keep[i]) names.push_back(f.label_names[i]);
    }
    using Key = std::tuple<std::vector<std::string>, std::string, std::string>;
    std::map<Key, std::size_t> index;
    std::vector<Sample> out;
    for (Sample& s : f.samples) {
      std::vector<std::string> values;
      for (std::size_t i = 0; i < s.label_values.size() && i < keep.size(); ++i) {
        if (keep[i]) values.push_back(std::move(s.label_values[i]));
      }
      Key key{values, std::string(s.suffix), s.le};
      const auto [it, fresh] = index.emplace(std::move(key), out.size());
      if (fresh) {
        out.emplace_back(std::move(values), s.value, s.suffix, s.le);
      } else {
        out[it->second].value += s.value;
      }
    }
    f.label_names = std::move(names);
    f.samples = std::move(out);
  }
}

}  // namespace slurm_exporter::metrics
