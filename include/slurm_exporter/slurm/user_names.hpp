// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace slurm_exporter::slurm {

/// uid → user name through getpwuid_r, cached for the process' lifetime (both backends use it,
/// so they name users identically). Not thread-safe: one instance per backend thread.
class UserNames {
 public:
  /// The name of `uid`, or its decimal number when the passwd database has none (as squeue).
  const std::string& name(std::uint32_t uid);

 private:
  std::unordered_map<std::uint32_t, std::string> cache_;
};

}  // namespace slurm_exporter::slurm
