// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <cstdint>

namespace slurm_exporter::scrape {

/// The poller's two clocks, injected so tests move time instead of sleeping: `steady` for
/// durations and the poll limit, `unix_seconds` for "now" in ages (wall clock).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point steady() const {
    return std::chrono::steady_clock::now();
  }
  virtual std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// The real clocks.
inline const Clock& system_clock() {
  static const Clock clock;
  return clock;
}

}  // namespace slurm_exporter::scrape
